"""The demo dashboard's widgets, found by the widgets app's autodiscovery."""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils import dateformat, timezone
from django.utils.translation import gettext, ngettext, pgettext

from dashboard import queries
from dashboard.demo_users import VIEW_CUSTOMERS, VIEW_REVENUE
from dashboard.figures import format_amount, format_count, format_share
from dashboard.filters import CurrencyForm, PeriodForm, ShopFilters
from dashboard.i18n import _
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


# The time range's presets in words that follow a noun ("Revenue, last 7 days"): not the
# filter's labels lowercased, which would lowercase the nouns of a German "Letzte 7 Tage".
PRESETS_AFTER_A_NOUN = {
    "24h": _("last 24 hours"),
    "7d": _("last 7 days"),
    "30d": _("last 30 days"),
    "90d": _("last 90 days"),
}


def period_label(params: Mapping[str, Any]) -> str:
    """The period in words, to follow a noun: "last 7 days", or the days of a custom range."""
    period: Period = params["period"]
    if period.preset in PRESETS_AFTER_A_NOUN:
        return str(PRESETS_AFTER_A_NOUN[period.preset])
    return period.label


def interval_of(window: TimeWindow) -> Literal["hour", "day"]:
    """The charts' buckets: hours for two days or less, else days (as ``queries.bucket_starts``)."""
    return "hour" if window.is_hourly else "day"


def per_interval(window: TimeWindow, per_hour: str, per_day: str) -> str:
    """The words of a chart per hour or per day, as ``interval_of`` buckets ``window``."""
    return per_hour if window.is_hourly else per_day


def format_orders(count: float) -> str:
    """A chart's order count in words: "1 order", "1,234 orders"."""
    whole = round(count)
    return ngettext("%(count)s order", "%(count)s orders", whole) % {"count": format_count(whole)}


@register
class RevenueWidget(KpiWidget):
    name = "revenue"
    title = _("Revenue")
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
            # Translators: %(period)s is a time range that follows a noun: "last 7 days".
            label=gettext("Revenue, %(period)s") % {"period": period_label(params)},
            value=format_money(revenue, rate, currency),
            change=relative_change(revenue, previous),
            detail=gettext("Previous period: %(amount)s")
            % {"amount": format_money(previous, rate, currency)},
            sparkline=self.trend(trend.value, params, rate) if trend.is_ok else None,
        )
        return {"kpis": [kpi]}

    def trend(
        self, buckets: list[tuple[datetime, int]], params: Mapping[str, Any], rate: Decimal
    ) -> Sparkline:
        period, currency = window_of(params), params["currency"]
        interval = interval_of(period)
        title = per_interval(
            period, gettext("Revenue per hour, %(period)s"), gettext("Revenue per day, %(period)s")
        )
        return sparkline(
            title % {"period": period_label(params)},
            [(bucket, float(in_currency(cents, rate))) for bucket, cents in buckets],
            unit=currency,
            interval=interval,
            window=period,
            format_value=lambda amount: format_amount(amount, currency),
        )


@register
class OrdersOverTimeWidget(TimeSeriesWidget):
    name = "orders_over_time"
    title = _("Orders over time")
    params_form = PeriodForm
    refresh_seconds = 60

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        period = window_of(params)
        buckets = (await gather_sources(orm("orders", lambda: queries.orders_per_bucket(period))))["orders"]
        interval = interval_of(period)
        title = per_interval(
            period, gettext("Orders per hour, %(period)s"), gettext("Orders per day, %(period)s")
        )
        chart = bar_chart(
            title % {"period": period_label(params)},
            [(bucket, float(count)) for bucket, count in buckets],
            unit=gettext("orders"),
            interval=interval,
            window=period,
            format_value=format_orders,
        )
        return {"chart": chart}


@register
class RevenueOverTimeWidget(ChartWidget):
    name = "revenue_over_time"
    title = _("Revenue over time")
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
        title = per_interval(
            period,
            # Translators: %(currency)s is a code such as EUR; %(period)s a time range such as "last 7 days".
            gettext("Paid revenue per hour in %(currency)s, %(period)s"),
            gettext("Paid revenue per day in %(currency)s, %(period)s"),
        )
        chart = area_chart(
            title % {"currency": currency, "period": period_label(params)},
            [Series(gettext("Revenue"), points)],
            unit=currency,
            interval=interval,
            window=period,
            format_value=lambda amount: format_amount(amount, currency),
        )
        return {"chart": chart}


@register
class PaidAndRefundedWidget(ChartWidget):
    name = "paid_vs_refunded"
    title = _("Paid and refunded orders")
    params_form = PeriodForm
    refresh_seconds = 60

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        period = window_of(params)
        loaded = await gather_sources(orm("orders", lambda: queries.orders_by_status_per_bucket(period)))
        rows, interval = loaded["orders"], interval_of(period)
        title = per_interval(
            period,
            gettext("Paid and refunded orders per hour, %(period)s"),
            gettext("Paid and refunded orders per day, %(period)s"),
        )
        chart = stacked_bar_chart(
            title % {"period": period_label(params)},
            [
                Series(gettext("Paid"), [(bucket, float(paid)) for bucket, paid, _refunded in rows]),
                Series(gettext("Refunded"), [(bucket, float(refunded)) for bucket, _paid, refunded in rows]),
            ],
            unit=gettext("orders"),
            interval=interval,
            window=period,
            format_value=format_orders,
        )
        return {"chart": chart}


@register
class TopProductsWidget(TableWidget):
    name = "top_products"
    permissions = (VIEW_REVENUE,)
    title = _("Top 10 products by revenue")
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
        columns = ["#", gettext("Product"), gettext("Units"), gettext("Revenue")]
        table = Table(columns, rows, numeric=frozenset({0, 2, 3}))
        return {"table": table}


@register
class OrdersByCountryWidget(ChartWidget):
    name = "orders_by_country"
    title = _("Orders by country")
    params_form = PeriodForm
    refresh_seconds = 60
    shown_countries = 10  # the rest are summed up as "Other"

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        period = window_of(params)
        values = await gather_sources(orm("countries", lambda: queries.orders_by_country(period)))
        chart = donut_chart(
            gettext("Share of orders by country, %(period)s") % {"period": period_label(params)},
            [(country, float(count)) for country, count in values["countries"]],
            unit=gettext("orders"),
            category=gettext("Country"),
            shown_slices=self.shown_countries,
            rest_label=gettext("Other"),
            format_value=format_orders,
        )
        return {"chart": chart}


@register
class OrderHealthWidget(KpiWidget):
    name = "order_health"
    title = _("Average order value and refunds")
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
                    gettext("Average order value"),
                    format_money(stats.average_paid_cents, rate, currency),
                    relative_change(stats.average_paid_cents, previous.average_paid_cents),
                ),
                Kpi(
                    gettext("Refund rate"),
                    format_share(stats.refund_rate),
                    relative_change(stats.refund_rate, previous.refund_rate),
                    detail=ngettext(
                        "%(refunded)s of %(orders)s order", "%(refunded)s of %(orders)s orders", stats.orders
                    )
                    % {"refunded": format_count(stats.refunded), "orders": format_count(stats.orders)},
                ),
            ]
        }


@register
class FxRatesWidget(RatesWidget):
    name = "fx_rates"
    title = _("FX rates")
    public = True  # public market data: anyone may look, logged in or not
    refresh_seconds = 60

    def base_url(self) -> str:
        return str(settings.RATES_API_URL)


@register
class ServiceStatusWidget(StatuspageWidget):
    name = "service_status"
    title = _("Service status")
    refresh_seconds = 30

    def base_url(self) -> str:
        return str(settings.STATUS_API_URL)


@register
class UptimeChecksWidget(UptimeWidget):
    name = "uptime"
    title = _("Uptime")
    refresh_seconds = 20

    async def can_view(self, user: Any, request: HttpRequest) -> bool:
        """The checked services' labels are internal: staff only."""
        return bool(user.is_staff)

    def checks(self) -> Mapping[str, str]:
        return dict(settings.HEALTHCHECK_URLS)


@register
class RecentOrdersWidget(TableWidget):
    name = "recent_orders"
    title = _("Recent orders")
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
        columns = [
            gettext("Order"),
            pgettext("time of day", "Time"),  # "Uhrzeit"; a chart's time axis is the framework's "Zeit"
            gettext("Customer"),
            gettext("Country"),
            gettext("Product"),
            gettext("Amount"),
            gettext("Status"),
        ]
        table = Table(columns, rows, numeric=frozenset({5}), empty_message=gettext("No orders yet."))
        return {"table": table}
