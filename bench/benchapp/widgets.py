"""The bench widgets, registered only where bench/settings.py installs this app.

- S1: twelve KPI widgets, each with its own path on the counting upstream
  (200 ms) and the paid-orders aggregate, run concurrently by the engine.
- S3: three widgets refreshing every 5 s and cached for 5 s, one per kind of upstream source.
- S4: one FX widget against a 1 s upstream.
- S5: six KPI widgets, each one ~100 ms PostgreSQL aggregate and nothing else.
- S7: one FX widget with a ``shard`` parameter: each shard is a distinct load of the slow upstream.

Every widget but S7's takes the dashboard's filters (range, currency) as parameters,
so a fresh filter combination per run is a cold cache without knowing the cache.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from django import forms

from bench.benchapp.conf import bench_settings
from bench.benchapp.names import (
    S1_WIDGET_NAMES,
    S3_REFRESH_SECONDS,
    S3_WIDGET_NAMES,
    S4_WIDGET_NAME,
    S5_WIDGET_NAMES,
    S7_WIDGET_NAME,
)
from bench.benchapp.queries import PaidOrders, asummarise_paid_orders
from dashboard.filters import ShopFilters
from dashboard.money import format_money
from widgets import register
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.builtin.rates import RatesWidget, rate_for, rates_source
from widgets.builtin.statuspage import StatuspageWidget
from widgets.sources import gather_sources, orm


def upstream_base(widget_name: str) -> str:
    """Each widget has its own path prefix on the upstream, so requests are counted per source."""
    return f"{bench_settings.UPSTREAM_URL}/{widget_name}"


def paid_orders_kpis(orders: PaidOrders, rate: Decimal, currency: str) -> list[Kpi]:
    value = format_money(orders.total_cents, rate, currency)
    return [Kpi("Paid revenue", value, detail=f"{orders.count:,} paid orders")]


class RateAndOrdersWidget(KpiWidget):
    """An FX rate from the upstream and the paid-orders aggregate, loaded concurrently."""

    params_form = ShopFilters
    refresh_seconds: ClassVar[int] = 60

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        values = await gather_sources(
            rates_source(upstream_base(self.name), "EUR", name="fx-rates"),
            orm("paid-orders", asummarise_paid_orders),
        )
        currency = params["currency"]
        rate = rate_for(values["fx-rates"], currency)
        return {"kpis": paid_orders_kpis(values["paid-orders"], rate, currency)}


class SlowAggregateWidget(KpiWidget):
    """One PostgreSQL aggregate of about ``BENCH_S5_PAUSE_SECONDS``, nothing else."""

    params_form = ShopFilters
    refresh_seconds: ClassVar[int] = 60

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        pause = bench_settings.S5_PAUSE_SECONDS
        values = await gather_sources(orm("slow-aggregate", lambda: asummarise_paid_orders(pause)))
        return {"kpis": paid_orders_kpis(values["slow-aggregate"], Decimal(1), "EUR")}


for number, name in enumerate(S1_WIDGET_NAMES, start=1):
    register(type(f"S1Widget{number:02}", (RateAndOrdersWidget,), {"name": name, "title": f"S1 #{number}"}))

for number, name in enumerate(S5_WIDGET_NAMES, start=1):
    register(type(f"S5Widget{number:02}", (SlowAggregateWidget,), {"name": name, "title": f"S5 #{number}"}))


@register
class PolledRatesWidget(RatesWidget):
    name = S3_WIDGET_NAMES[0]
    title = "S3 FX rates"
    refresh_seconds = S3_REFRESH_SECONDS
    cache_seconds = S3_REFRESH_SECONDS

    def base_url(self) -> str:
        return upstream_base(self.name)


@register
class PolledStatusWidget(StatuspageWidget):
    name = S3_WIDGET_NAMES[1]
    title = "S3 service status"
    refresh_seconds = S3_REFRESH_SECONDS
    cache_seconds = S3_REFRESH_SECONDS

    def base_url(self) -> str:
        return upstream_base(self.name)


@register
class PolledRevenueWidget(RateAndOrdersWidget):
    name = S3_WIDGET_NAMES[2]
    title = "S3 revenue"
    refresh_seconds = S3_REFRESH_SECONDS
    cache_seconds = S3_REFRESH_SECONDS


@register
class BurstRatesWidget(RatesWidget):
    name = S4_WIDGET_NAME
    title = "S4 FX rates"

    def base_url(self) -> str:
        return upstream_base(self.name)


class ShardForm(forms.Form):
    shard = forms.IntegerField(min_value=0)


@register
class ShardedRatesWidget(RatesWidget):
    """S7: the upstream's FX rates, one load per ``shard`` (each its own cache key), for anyone."""

    name = S7_WIDGET_NAME
    title = "S7 FX rates"
    params_form = ShardForm
    public = True  # S7 measures admission, not logins

    def base_url(self) -> str:
        return upstream_base(self.name)
