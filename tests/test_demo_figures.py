"""The demo's figures in the viewer's language: dashboard/figures.py and dashboard/money.py."""

from decimal import Decimal

import pytest
from django.utils import translation

from dashboard.figures import format_amount, format_count, format_share
from dashboard.money import format_money

NBSP = "\N{NO-BREAK SPACE}"


@pytest.mark.parametrize(
    ("language", "currency", "text"),
    [
        ("en", "EUR", "€1,234.50"),
        ("en", "USD", "$1,234.50"),
        ("en", "GBP", "£1,234.50"),
        ("en", "JPY", "¥1,235"),
        ("en", "CHF", f"CHF{NBSP}1,234.50"),
        ("de", "EUR", f"1.234,50{NBSP}€"),
        ("de", "USD", f"1.234,50{NBSP}$"),
        ("de", "GBP", f"1.234,50{NBSP}£"),
        ("de", "JPY", f"1.235{NBSP}¥"),
        ("de", "CHF", f"1.234,50{NBSP}CHF"),
    ],
)
def test_money_is_written_the_languages_way(language, currency, text):
    with translation.override(language):
        assert format_amount(Decimal("1234.5"), currency) == text


def test_money_is_rounded_half_up_to_the_currencys_minor_unit():
    with translation.override("en"):
        assert format_amount(Decimal("0.125"), "EUR") == "€0.13"
        assert format_amount(Decimal("2.5"), "JPY") == "¥3"
        assert format_amount(1.005, "USD") == "$1.01"  # the float's digits as written, not its binary value


def test_money_converts_euro_cents_at_the_rate():
    with translation.override("de"):
        assert format_money(123450, Decimal("162.5"), "JPY") == f"200.606{NBSP}¥"
        assert format_money(99, Decimal(1), "EUR") == f"0,99{NBSP}€"


def test_money_outside_a_request_is_written_in_the_default_language():
    """Management commands run with no language active: ``simulate_orders`` logs "€12.34"."""
    with translation.override(None):
        assert format_money(1234, Decimal(1), "EUR") == "€12.34"


@pytest.mark.parametrize(
    ("language", "count", "share"), [("en", "1,234,567", "25.0 %"), ("de", "1.234.567", "25,0 %")]
)
def test_counts_and_shares_are_written_the_languages_way(language, count, share):
    with translation.override(language):
        assert format_count(1234567) == count
        assert format_share(0.25) == share


def test_a_share_keeps_one_decimal_and_its_space_as_the_frameworks_percentages():
    with translation.override("en"):
        assert [format_share(fraction) for fraction in (0, 0.1234, 1, 12.5)] == [
            "0.0 %",
            "12.3 %",
            "100.0 %",
            "1,250.0 %",
        ]
