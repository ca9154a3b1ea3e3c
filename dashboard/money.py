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


def in_currency(cents_eur: int | float | Decimal, rate: Decimal) -> Decimal:
    """EUR cents as an amount of the currency ``rate`` converts to."""
    return Decimal(cents_eur) / 100 * rate


def format_amount(amount: Decimal | float, currency: str) -> str:
    """``amount`` of ``currency`` with its symbol: "€1,234.50", "¥1,235"."""
    places = Decimal(1) if currency in ZERO_DECIMAL else Decimal("0.01")
    rounded = Decimal(str(amount)).quantize(places, rounding=ROUND_HALF_UP)
    digits = f"{rounded:,.0f}" if currency in ZERO_DECIMAL else f"{rounded:,.2f}"
    return f"{SYMBOLS.get(currency, currency + ' ')}{digits}"


def format_money(cents_eur: int | float | Decimal, rate: Decimal, currency: str) -> str:
    return format_amount(in_currency(cents_eur, rate), currency)
