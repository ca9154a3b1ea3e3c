"""The demo's filters: a time range (the framework's ``PeriodField``) and a display currency.

The dashboards take them as their filters forms; the widgets take the same
forms as their parameters, so each filter flows into the widgets by name.
"""

from django import forms

from widgets import PeriodField

CURRENCIES = ["EUR", "USD", "GBP", "JPY", "CHF"]
DEFAULT_CURRENCY = "EUR"


class PeriodForm(forms.Form):
    period = PeriodField(initial="7d", label="Time range")


class ShopFilters(PeriodForm):
    """Every shop filter; also the parameters form of currency-aware widgets."""

    currency = forms.ChoiceField(
        choices=[(code, code) for code in CURRENCIES], required=False, initial=DEFAULT_CURRENCY
    )

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"] or DEFAULT_CURRENCY
