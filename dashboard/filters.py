"""The demo's filters: a time range (the framework's ``PeriodField``) and a display currency.

The dashboards take them as their filters forms; the widgets take the same
forms as their parameters, so each filter flows into the widgets by name.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from widgets import PeriodField

# ISO 4217 codes: the same in every language, so they are the choices' labels too.
CURRENCIES = ["EUR", "USD", "GBP", "JPY", "CHF"]
DEFAULT_CURRENCY = "EUR"


class PeriodForm(forms.Form):
    period = PeriodField(initial="7d", label=_("Time range"))


class CurrencyForm(forms.Form):
    """The display currency: the parameters form of money figures that take no time range."""

    currency = forms.ChoiceField(
        label=_("Currency"),
        choices=[(code, code) for code in CURRENCIES],
        required=False,
        initial=DEFAULT_CURRENCY,
    )

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"] or DEFAULT_CURRENCY


class ShopFilters(CurrencyForm, PeriodForm):
    """Every shop filter, the time range first; also the parameters form of currency-aware widgets."""
