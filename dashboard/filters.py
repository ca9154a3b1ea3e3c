"""The dashboard's filters, kept in the page URL: time range and display currency."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django import forms

from widgets.memo import LruMemo
from widgets.render import ParamError

RANGES: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
}
RANGE_LABELS = {"24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days"}
CURRENCIES = ["EUR", "USD", "GBP", "JPY", "CHF"]
DEFAULT_RANGE = "7d"
DEFAULT_CURRENCY = "EUR"


class RangeForm(forms.Form):
    range = forms.ChoiceField(choices=list(RANGE_LABELS.items()), required=False, initial=DEFAULT_RANGE)

    def clean_range(self) -> str:
        return self.cleaned_data["range"] or DEFAULT_RANGE


class FiltersForm(RangeForm):
    """Every dashboard filter; also the parameters form of currency-aware widgets."""

    currency = forms.ChoiceField(
        choices=[(code, code) for code in CURRENCIES], required=False, initial=DEFAULT_CURRENCY
    )

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"] or DEFAULT_CURRENCY


@dataclass(frozen=True)
class Period:
    """A half-open time window ``[start, end)`` and the window just before it."""

    start: datetime
    end: datetime

    @classmethod
    def ending(cls, end: datetime, range_key: str) -> "Period":
        return cls(end - RANGES[range_key], end)

    @property
    def previous(self) -> "Period":
        return Period(self.start - (self.end - self.start), self.start)

    @property
    def is_hourly(self) -> bool:
        return self.end - self.start <= timedelta(days=2)


# Valid filters by the raw values the form reads: validating is a tenth of a cached page view.
_valid_filters: LruMemo[tuple[str | None, ...], dict[str, str]] = LruMemo(max_entries=64)


def parse_filters(query: Mapping[str, str]) -> tuple[dict[str, str], list[ParamError]]:
    """Valid filters (defaults where missing or invalid) and the errors of invalid ones."""
    raw = tuple(query.get(name) for name in FiltersForm.base_fields)
    valid = _valid_filters.get(raw)
    if valid is not None:
        return dict(valid), []
    form = FiltersForm(data=query)
    form.is_valid()
    filters = {"range": DEFAULT_RANGE, "currency": DEFAULT_CURRENCY, **form.cleaned_data}
    errors = [
        ParamError(field, str(query.get(field, "")), str(message))
        for field, messages in form.errors.items()
        for message in messages
    ]
    if not errors:
        _valid_filters.put(raw, dict(filters))
    return filters, errors
