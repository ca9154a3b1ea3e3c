"""The demo's figures written the viewer's way, with Babel: counts, shares and amounts of money.

"1,234", "25.0 %" and "€1,234.50" in English; "1.234", "25,0 %" and "1.234,50 €" in German.
The language is the active one, which ``widgets.middleware.LocaleMiddleware`` sets per request;
outside a request (management commands) it is ``LANGUAGE_CODE``.
"""

import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, format_decimal, get_currency_symbol
from babel.numbers import get_currency_precision as currency_places
from django.conf import settings
from django.utils import translation

NO_BREAK_SPACE = "\N{NO-BREAK SPACE}"


def babel_locale() -> str:
    """The active language as a Babel locale name: "de", "en_US"."""
    return translation.to_locale(translation.get_language() or settings.LANGUAGE_CODE)


def format_count(count: int) -> str:
    """A whole number with the language's grouping: "1,234", "1.234"."""
    return format_decimal(count, locale=babel_locale())


def format_share(fraction: float) -> str:
    """A fraction as a percentage with one decimal: 0.25 → "25.0 %", "25,0 %".

    Written as the framework writes its own (a key figure's change, a donut's
    shares), so the figures of one widget match.
    """
    return f"{format_decimal(fraction * 100, '#,##0.0', locale=babel_locale())} %"


def format_amount(amount: Decimal | float, currency: str) -> str:
    """``amount`` of ``currency`` in the active language: "€1,234.50", "1.234,50 €", "¥1,235".

    Rounded half up to the currency's minor unit (none for JPY), as a till would.
    """
    places = Decimal(1).scaleb(-currency_places(currency))
    rounded = Decimal(str(amount)).quantize(places, rounding=ROUND_HALF_UP)
    locale = babel_locale()
    return spaced(format_currency(rounded, currency, locale=locale), get_currency_symbol(currency, locale))


def spaced(money: str, symbol: str) -> str:
    """CLDR's currency spacing, which Babel leaves out: a no-break space between letters and digits.

    "CHF1,234.50" → "CHF 1,234.50"; "€1,234.50" and "1.234,50 €" stay as they are.
    """
    at = money.find(symbol)
    if not symbol or at < 0:
        return money
    before, after = money[:at], money[at + len(symbol) :]
    if after[:1].isdigit() and not is_symbol_or_space(symbol[-1]):
        after = NO_BREAK_SPACE + after
    if before[-1:].isdigit() and not is_symbol_or_space(symbol[0]):
        before += NO_BREAK_SPACE
    return before + symbol + after


def is_symbol_or_space(character: str) -> bool:
    return unicodedata.category(character)[0] in "SZ"
