"""Amounts in the display currency: EUR cents converted with an FX rate."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from widgets import Source
from widgets.builtin.rates import rate_for, rates_source

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF "}
ZERO_DECIMAL = {"JPY"}


def fx_rate_source(currency: str) -> Source[Decimal]:
    """The EUR → ``currency`` rate; EUR itself needs no upstream call."""
    rates = rates_source(settings.RATES_API_URL, "EUR", name="fx-rate")

    async def load() -> Decimal:
        if currency == "EUR":
            return Decimal(1)
        return rate_for(await rates.load(), currency)

    return Source("fx-rate", load)


def format_money(cents_eur: int | float | Decimal, rate: Decimal, currency: str) -> str:
    amount = Decimal(cents_eur) / 100 * rate
    places = Decimal(1) if currency in ZERO_DECIMAL else Decimal("0.01")
    amount = amount.quantize(places, rounding=ROUND_HALF_UP)
    digits = f"{amount:,.0f}" if currency in ZERO_DECIMAL else f"{amount:,.2f}"
    return f"{SYMBOLS.get(currency, currency + ' ')}{digits}"
