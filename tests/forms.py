"""Parameter forms of the framework's tests: their own, not the demo's."""

from django import forms

RANGES = [("24h", "Last 24 hours"), ("7d", "Last 7 days"), ("30d", "Last 30 days"), ("90d", "Last 90 days")]
CURRENCIES = ["EUR", "USD", "GBP", "JPY", "CHF"]


class RangeForm(forms.Form):
    range = forms.ChoiceField(choices=RANGES, required=False, initial="7d")

    def clean_range(self) -> str:
        return self.cleaned_data["range"] or "7d"


class FiltersForm(RangeForm):
    currency = forms.ChoiceField(choices=[(code, code) for code in CURRENCIES], required=False, initial="EUR")

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"] or "EUR"
