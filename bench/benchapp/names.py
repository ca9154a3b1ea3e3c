"""Names the bench runner and the bench app share; importable without Django set up."""

import itertools
from collections.abc import Iterator

S1_WIDGET_NAMES = [f"s1_{number:02}" for number in range(1, 13)]
S3_REFRESH_SECONDS = 5
S3_WIDGET_NAMES = ["s3_fx", "s3_status", "s3_revenue"]
S4_WIDGET_NAME = "s4_fx"
S5_WIDGET_NAMES = [f"s5_{number:02}" for number in range(1, 7)]
S7_WIDGET_NAME = "s7_fx"

# The dashboard's filter values (dashboard/filters.py): every bench widget takes
# them as parameters, so each combination is a cache key of its own.
FILTER_RANGES = ("24h", "7d", "30d", "90d")
FILTER_CURRENCIES = ("EUR", "USD", "GBP", "JPY", "CHF")


def fresh_filters() -> Iterator[str]:
    """Query strings with filter combinations never used before in this run: a cold cache each."""
    for range_key, currency in itertools.product(FILTER_RANGES, FILTER_CURRENCIES):
        yield f"?range={range_key}&currency={currency}"
