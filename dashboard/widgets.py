"""The demo dashboard's widgets, found by the widgets app's autodiscovery."""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils import dateformat, timezone

from dashboard import queries
from dashboard.demo_users import VIEW_CUSTOMERS, VIEW_REVENUE
from dashboard.figures import format_amount, format_count, format_share
from dashboard.filters import CurrencyForm, PeriodForm, ShopFilters
from dashboard.money import format_money, fx_rate_source, in_currency
from widgets import Period, SourcesFailed, TimeWindow, gather_sources, orm, register, settle_sources
from widgets.builtin.chart import (
    ChartWidget,
    Series,
    Sparkline,
    TimeSeriesWidget,
    area_chart,
    bar_chart,
    donut_chart,
    sparkline,
    stacked_bar_chart,
)
from widgets.builtin.kpi import Kpi, KpiWidget, relative_change
from widgets.builtin.rates import RatesWidget
from widgets.builtin.statuspage import StatuspageWidget
from widgets.builtin.table import Table, TableWidget
from widgets.builtin.uptime import UptimeWidget


def window_of(params: Mapping[str, Any]) -> TimeWindow:
    period: Period = params["period"]
    return period.window()


def period_label(params: Mapping[str, Any]) -> str:
    """The period in words, to follow a noun: "last 7 days", "1 Nov 2026 to 20 Nov 2026"."""
    period: Period = params["period"]
    return period.label if period.is_custom else period.label.lower()


def interval_of(window: TimeWindow) -> Literal["hour", "day"]:
    """The charts' buckets: hours for two days or less, else days (as ``queries.bucket_starts``)."""
    return "hour" if window.is_hourly else "day"


@register
class RevenueWidget(KpiWidget):
    name = "revenue"
    title = "Revenue"
    permissions = (VIEW_REVENUE,)
    params_form = ShopFilters
    refresh_seconds = 30

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        period = window_of(params)
        results = await settle_sources(
            orm("revenue", lambda: queries.revenue_cents(period)),
            orm("previous-revenue", lambda: queries.revenue_cents(period.previous)),
            fx_rate_source(params["currency"]),
            orm("revenue-trend", lambda: queries.revenue_per_bucket(period)),
        )
        # The sparkline is extra: if its query fails (slow over a long range on SQLite), the figure stays.
        trend = results.pop("revenue-trend")
        if errors := [result.error for result in results.values() if result.error]:
            raise SourcesFailed(errors)
        currency, rate = params["currency"], results["fx-rate"].value
        revenue, previous = results["revenue"].value, results["previous-revenue"].value
        kpi = Kpi(
            label=f"Revenue, {period_label(params)}",
            value=format_money(revenue, rate, currency),
            change=relative_change(revenue, previous),
            detail=f"Previous period: {format_money(previous, rate, currency)}",
            sparkline=self.trend(trend.value, params, rate) if trend.is_ok else None,
        )
        return {"kpis": [kpi]}

    def trend(
        self, buckets: list[tuple[datetime, int]], params: Mapping[str, Any], rate: Decimal
    ) -> Sparkline:
        period, currency = window_of(params), params["currency"]
        interval = interval_of(period)
        return sparkline(
            f"Revenue per {interval}, {period_label(params)}",
            [(bucket, float(in_currency(cents, rate))) for bucket, cents in buckets],
            unit=currency,
            interval=interval,
            window=period,
            format_value=lambda amount: format_amount(amount, currency),
        )


@register
class OrdersOverTimeWidget(TimeSeriesWidget):
    name = "orders_over_time"
    title = "Orders over time"
    params_form = PeriodForm
    refresh_seconds = 60

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        period = window_of(params)
        buckets = (await gather_sources(orm("orders", lambda: queries.orders_per_bucket(period))))["orders"]
        interval = interval_of(period)
        chart = bar_chart(
            f"Orders per {interval}, {period_label(params)}",
            [(bucket, float(count)) for bucket, count in buckets],
            unit="orders",
            interval=interval,
            window=period,
        )
        return {"chart": chart}


@register
class RevenueOverTimeWidget(ChartWidget):
    name = "revenue_over_time"
    title = "Revenue over time"
    permissions = (VIEW_REVENUE,)
    params_form = ShopFilters
    refresh_seconds = 60

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        period = window_of(params)
        values = await gather_sources(
            orm("revenue", lambda: queries.revenue_per_bucket(period)), fx_rate_source(params["currency"])
        )
        currency, rate, interval = params["currency"], values["fx-rate"], interval_of(period)
        points = [(bucket, float(in_currency(cents, rate))) for bucket, cents in values["revenue"]]
        chart = area_chart(
            f"Paid revenue per {interval} in {currency}, {period_label(params)}",
            [Series("Revenue", points)],
            unit=currency,
            interval=interval,
            window=period,
            format_value=lambda amount: format_amount(amount, currency),
        )
        return {"chart": chart}


@register
class PaidAndRefundedWidget(ChartWidget):
    name = "paid_vs_refunded"
    title = "Paid and refunded orders"
    params_form = PeriodForm
    refresh_seconds = 60

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        period = window_of(params)
        loaded = await gather_sources(orm("orders", lambda: queries.orders_by_status_per_bucket(period)))
        rows, interval = loaded["orders"], interval_of(period)
        chart = stacked_bar_chart(
            f"Paid and refunded orders per {interval}, {period_label(params)}",
            [
                Series("Paid", [(bucket, float(paid)) for bucket, paid, _ in rows]),
                Series("Refunded", [(bucket, float(refunded)) for bucket, _, refunded in rows]),
            ],
            unit="orders",
            interval=interval,
            window=period,
        )
        return {"chart": chart}


@register
class TopProductsWidget(TableWidget):
    name = "top_products"
    permissions = (VIEW_REVENUE,)
    title = "Top 10 products by revenue"
    params_form = ShopFilters
    refresh_seconds = 60

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        period = window_of(params)
        values = await gather_sources(
            orm("top-products", lambda: queries.top_products(period)), fx_rate_source(params["currency"])
        )
        rate, currency = values["fx-rate"], params["currency"]
        rows = [
            [str(rank), name, format_count(units), format_money(revenue, rate, currency)]
            for rank, (name, revenue, units) in enumerate(values["top-products"], start=1)
        ]
        table = Table(["#", "Product", "Units", "Revenue"], rows, numeric=frozenset({0, 2, 3}))
        return {"table": table}


@register
class OrdersByCountryWidget(ChartWidget):
    name = "orders_by_country"
    title = "Orders by country"
    params_form = PeriodForm
    refresh_seconds = 60
    shown_countries = 10  # the rest are summed up as "Other"

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        period = window_of(params)
        values = await gather_sources(orm("countries", lambda: queries.orders_by_country(period)))
        chart = donut_chart(
            f"Share of orders by country, {period_label(params)}",
            [(country, float(count)) for country, count in values["countries"]],
            unit="orders",
            category="Country",
            shown_slices=self.shown_countries,
        )
        return {"chart": chart}


@register
class OrderHealthWidget(KpiWidget):
    name = "order_health"
    title = "Average order value and refunds"
    params_form = ShopFilters
    refresh_seconds = 60

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        period = window_of(params)
        values = await gather_sources(
            orm("order-stats", lambda: queries.order_stats(period)),
            orm("previous-order-stats", lambda: queries.order_stats(period.previous)),
            fx_rate_source(params["currency"]),
        )
        stats, previous = values["order-stats"], values["previous-order-stats"]
        rate, currency = values["fx-rate"], params["currency"]
        return {
            "kpis": [
                Kpi(
                    "Average order value",
                    format_money(stats.average_paid_cents, rate, currency),
                    relative_change(stats.average_paid_cents, previous.average_paid_cents),
                ),
                Kpi(
                    "Refund rate",
                    format_share(stats.refund_rate),
                    relative_change(stats.refund_rate, previous.refund_rate),
                    detail=f"{format_count(stats.refunded)} of {format_count(stats.orders)} orders",
                ),
            ]
        }


@register
class FxRatesWidget(RatesWidget):
    name = "fx_rates"
    title = "FX rates"
    public = True  # public market data: anyone may look, logged in or not
    refresh_seconds = 60

    def base_url(self) -> str:
        return str(settings.RATES_API_URL)


@register
class ServiceStatusWidget(StatuspageWidget):
    name = "service_status"
    title = "Service status"
    refresh_seconds = 30

    def base_url(self) -> str:
        return str(settings.STATUS_API_URL)


@register
class UptimeChecksWidget(UptimeWidget):
    name = "uptime"
    title = "Uptime"
    refresh_seconds = 20

    async def can_view(self, user: Any, request: HttpRequest) -> bool:
        """The checked services' labels are internal: staff only."""
        return bool(user.is_staff)

    def checks(self) -> Mapping[str, str]:
        return dict(settings.HEALTHCHECK_URLS)


@register
class RecentOrdersWidget(TableWidget):
    name = "recent_orders"
    title = "Recent orders"
    permissions = (VIEW_CUSTOMERS,)  # it shows customers' names
    params_form = CurrencyForm  # the shop's currency filter flows in by name; elsewhere, euros
    refresh_seconds = 5

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        currency = params["currency"]
        values = await gather_sources(orm("recent-orders", queries.latest_orders), fx_rate_source(currency))
        rate = values["fx-rate"]
        rows = [
            [
                f"#{order.id}",
                dateformat.time_format(timezone.localtime(order.created_at), "H:i:s"),
                order.customer,
                order.country,
                order.product,
                format_money(order.amount_cents, rate, currency),
                order.status,
            ]
            for order in values["recent-orders"]
        ]
        columns = ["Order", "Time", "Customer", "Country", "Product", "Amount", "Status"]
        return {"table": Table(columns, rows, numeric=frozenset({5}), empty_message="No orders yet.")}
