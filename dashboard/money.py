"""Amounts in the display currency: EUR cents converted with an FX rate."""

from decimal import Decimal

from django.conf import settings

from dashboard.figures import format_amount
from widgets import Source
from widgets.builtin.rates import rate_for, rates_source


def fx_rate_source(currency: str) -> Source[Decimal]:
    """The EUR → ``currency`` rate; EUR itself needs no upstream call."""
    rates = rates_source(settings.RATES_API_URL, "EUR", name="fx-rate")

    async def load() -> Decimal:
        if currency == "EUR":
            return Decimal(1)
        return rate_for(await rates.load(), currency)

    return Source("fx-rate", load)


def in_currency(cents_eur: int | float | Decimal, rate: Decimal) -> Decimal:
    """EUR cents as an amount of the currency ``rate`` converts to."""
    return Decimal(cents_eur) / 100 * rate


def format_money(cents_eur: int | float | Decimal, rate: Decimal, currency: str) -> str:
    """EUR cents in ``currency``, written in the active language: "€1,234.50", "1.234,50 €"."""
    return format_amount(in_currency(cents_eur, rate), currency)
