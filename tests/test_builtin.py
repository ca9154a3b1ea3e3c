"""The stock widget kinds in widgets/builtin, and the demo widgets built on them."""

import asyncio
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.template.loader import render_to_string
from django.test import override_settings
from django.utils import timezone, translation

from dashboard.models import Customer, Order, Product
from tests.users import superuser_client
from widgets import dashboards
from widgets.builtin.chart import BarChart, DonutChart, StackedBarChart, build_bar_chart
from widgets.builtin.kpi import Kpi, relative_change
from widgets.builtin.rates import Rates, RatesWidget, rate_for
from widgets.builtin.statuspage import Component, StatuspageWidget
from widgets.builtin.table import Share, Table, shares_of
from widgets.builtin.uptime import Check, UptimeWidget
from widgets.pages.filters import read_filters
from widgets.pages.layout import place
from widgets.registry import registry
from widgets.sources import SourcesFailed, UpstreamError, collect_timings, server_timing_header

# Charts, key figures and shares


@pytest.mark.parametrize("count", [1, 7, 24, 90])
def test_bars_fit_inside_the_plot_area(count):
    chart = build_bar_chart("Orders", [(str(i), float(i + 1)) for i in range(count)], "orders")
    assert len(chart.bars) == count
    assert all(bar.x >= chart.plot_left and bar.x + bar.width <= chart.plot_right for bar in chart.bars)


def test_bars_stand_on_zero_and_scale_to_the_top_tick():
    chart = build_bar_chart("Orders", [("a", 50.0), ("b", 100.0), ("c", 0.0)], "orders")
    plot_height = chart.plot_bottom - chart.plot_top
    assert [bar.height for bar in chart.bars] == [plot_height / 2, plot_height, 0.0]
    assert [bar.y + bar.height for bar in chart.bars] == [chart.zero_y] * 3
    assert [tick.label for tick in chart.y_ticks] == ["0", "20", "40", "60", "80", "100"]


def test_chart_summary_names_total_and_peak():
    chart = build_bar_chart("Orders", [("Mon", 1200.0), ("Tue", 3400.0)], "orders")
    assert chart.summary == "Orders: 4,600 orders over 2 intervals, peak 3,400 orders at Tue."


def test_chart_of_no_points_has_no_bars():
    chart = build_bar_chart("Orders", [], "orders")
    assert (chart.bars, chart.labels, chart.summary) == ([], [], "Orders: no data.")


def test_chart_of_zeros_has_flat_bars():
    chart = build_bar_chart("Orders", [("a", 0.0), ("b", 0.0)], "orders")
    assert [bar.height for bar in chart.bars] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("change", "percent", "trend"),
    [(0.12, "+12.0 %", "up"), (-0.05, "-5.0 %", "down"), (0.0001, "+0.0 %", "flat"), (None, "", "flat")],
)
def test_kpi_shows_change_as_signed_percent_and_trend(change, percent, trend):
    kpi = Kpi("Revenue", "€1.00", change)
    assert (kpi.change_percent, kpi.trend) == (percent, trend)


def test_relative_change_is_a_fraction_of_the_previous_value():
    assert relative_change(120, 100) == pytest.approx(0.2)
    assert relative_change(50, 100) == pytest.approx(-0.5)


def test_relative_change_from_zero_is_undefined():
    assert relative_change(10, 0) is None


def test_shares_are_fractions_of_the_total():
    shares = shares_of([("DE", 3.0, "3"), ("FR", 1.0, "1")])
    assert shares == [Share("DE", "3", 0.75), Share("FR", "1", 0.25)]
    assert sum(share.fraction for share in shares) == pytest.approx(1.0)
    assert shares[0].percent == "75.0 %"


def test_shares_of_a_zero_total_are_zero():
    assert [share.fraction for share in shares_of([("DE", 0.0, "0"), ("FR", 0.0, "0")])] == [0.0, 0.0]


# Widgets on external APIs

STATUS_URL = "https://status.example/api/v2/summary.json"
RATES_URL = "https://rates.example/v1/latest"


class ExampleStatusWidget(StatuspageWidget):
    name = "example_status"
    title = "Example status"

    def base_url(self):
        return "https://status.example/"


class ExampleRatesWidget(RatesWidget):
    name = "example_rates"
    title = "Example rates"

    def base_url(self):
        return "https://rates.example/v1/"


def status_summary(**overrides):
    summary = {
        "page": {"name": "Example"},
        "status": {"indicator": "minor", "description": "Partially Degraded Service"},
        "components": [
            {"name": "API", "status": "operational", "group": False},
            {"name": "Backend", "status": "operational", "group": True},
            {"name": "Search", "status": "degraded_performance"},
        ],
        "incidents": [{"name": "Slow search", "status": "investigating"}],
    }
    return summary | overrides


async def test_statuspage_widget_reports_page_components_and_incidents(respx_mock):
    respx_mock.get(STATUS_URL).respond(json=status_summary())
    loaded = await ExampleStatusWidget().load({})
    assert (loaded["page_name"], loaded["indicator"]) == ("Example", "minor")
    assert loaded["description"] == "Partially Degraded Service"
    assert loaded["components"] == [
        Component("API", "operational"),
        Component("Search", "degraded_performance"),
    ]
    assert loaded["components"][1].label == "Degraded performance"
    assert loaded["incidents"] == [{"name": "Slow search", "status": "investigating"}]


async def test_statuspage_without_incidents_has_none(respx_mock):
    summary = status_summary()
    del summary["incidents"]
    respx_mock.get(STATUS_URL).respond(json=summary)
    assert (await ExampleStatusWidget().load({}))["incidents"] == []


async def test_statuspage_incidents_of_the_wrong_shape_fail_the_source(respx_mock):
    respx_mock.get(STATUS_URL).respond(json=status_summary(incidents=None))
    with pytest.raises(SourcesFailed, match=r"^status: unexpected response shape: \$\.incidents "):
        await ExampleStatusWidget().load({})


async def test_rates_widget_lists_rates_sorted_by_currency(respx_mock):
    answer = {
        "amount": 1.0,
        "base": "EUR",
        "date": "2025-05-02",
        "rates": {"USD": 1.08, "CHF": 0.95, "GBP": 0.85},
    }
    respx_mock.get(RATES_URL, params={"from": "EUR"}).respond(json=answer)
    loaded = await ExampleRatesWidget().load({})
    assert (loaded["base"], loaded["date"]) == ("EUR", "2025-05-02")
    assert loaded["rates"] == [("CHF", Decimal("0.95")), ("GBP", Decimal("0.85")), ("USD", Decimal("1.08"))]


def test_rate_for_the_base_currency_is_one():
    assert rate_for(Rates("EUR", "2025-05-02", {}), "EUR") == 1


def test_rate_for_a_missing_currency_is_an_upstream_error():
    with pytest.raises(UpstreamError, match=r"^no rate for XYZ in the upstream answer$"):
        rate_for(Rates("EUR", "2025-05-02", {"USD": Decimal("1.08")}), "XYZ")


class ExampleUptimeWidget(UptimeWidget):
    name = "example_uptime"
    title = "Example uptime"

    def __init__(self, **labelled_urls):
        self.labelled_urls = labelled_urls

    def checks(self):
        return self.labelled_urls


UP_URL = "http://127.0.0.1:9/up?token=secret"
DOWN_URL = "http://127.0.0.1:9/down?token=secret"
SLOW_URL = "http://127.0.0.1:9/slow?token=secret"


async def never_answers(request):
    await asyncio.sleep(5)


class CountingBody(httpx.AsyncByteStream):
    """A body of ten 1 KiB chunks that counts how many were read."""

    def __init__(self):
        self.read = 0

    async def __aiter__(self):
        for _ in range(10):
            self.read += 1
            yield b"." * 1024


@override_settings(WIDGETS_SOURCE_TIMEOUT=0.05)
async def test_uptime_reports_each_check_by_label_and_a_down_url_is_not_a_widget_error(respx_mock):
    respx_mock.get(UP_URL).respond(200)
    respx_mock.get(DOWN_URL).respond(503)
    respx_mock.get(SLOW_URL).mock(side_effect=never_answers)
    widget = ExampleUptimeWidget(api=UP_URL, web=DOWN_URL, search=SLOW_URL)
    loaded = await widget.load({})
    up, down, slow = loaded["checks"]
    assert (up.label, up.is_up, up.status) == ("api", True, "HTTP 200")
    assert (down.label, down.is_up, down.status) == ("web", False, "HTTP 503")
    assert up.latency_ms is not None
    assert down.latency_ms is not None
    assert slow == Check("search", False, "timed out after 0.05 s", None)
    assert loaded["up_count"] == 1


async def test_uptime_reports_an_unreachable_url_by_its_label(respx_mock):
    respx_mock.get(UP_URL).mock(side_effect=httpx.ConnectError(f"cannot connect to {UP_URL}"))
    [check] = (await ExampleUptimeWidget(api=UP_URL).load({}))["checks"]
    assert check == Check("api", False, "could not reach upstream (ConnectError)", None)


async def test_uptime_names_each_source_by_its_label_never_its_url(respx_mock):
    respx_mock.get(UP_URL).respond(200)
    respx_mock.get(DOWN_URL).mock(side_effect=httpx.ConnectError(f"cannot connect to {DOWN_URL}"))
    with collect_timings() as timings:
        await ExampleUptimeWidget(api=UP_URL, web=DOWN_URL).load({})
    assert [timing.name for timing in timings] == ["api", "web"]
    assert "secret" not in server_timing_header(timings)


async def test_uptime_shows_labels_and_never_urls(respx_mock):
    respx_mock.get(UP_URL).respond(200)
    respx_mock.get(DOWN_URL).respond(503)
    loaded = await ExampleUptimeWidget(api=UP_URL, web=DOWN_URL).load({})
    html = render_to_string("widgets/builtin/uptime.html#ready", loaded)
    assert '<td class="check__label">api</td>' in html
    assert '<td class="check__label">web</td>' in html
    assert "1 of 2 up" in html
    assert "127.0.0.1" not in html
    assert "secret" not in html


def test_uptime_without_checks_says_so():
    html = render_to_string("widgets/builtin/uptime.html#ready", {"checks": [], "up_count": 0})
    assert "No URLs to check." in html
    assert "<table" not in html


async def test_uptime_does_not_read_the_body(respx_mock):
    body = CountingBody()
    respx_mock.get(UP_URL).respond(200, stream=body)
    [check] = (await ExampleUptimeWidget(api=UP_URL).load({}))["checks"]
    assert check.is_up
    assert body.read == 0


async def test_uptime_counts_a_redirect_as_up_without_following_it(respx_mock):
    respx_mock.get(UP_URL).respond(302, headers={"Location": "http://127.0.0.1:9/elsewhere"})
    elsewhere = respx_mock.get("http://127.0.0.1:9/elsewhere").respond(503)
    [check] = (await ExampleUptimeWidget(api=UP_URL).load({}))["checks"]
    assert (check.label, check.is_up, check.status) == ("api", True, "HTTP 302")
    assert elsewhere.call_count == 0


async def test_uptime_checks_one_url_under_two_labels_twice(respx_mock):
    route = respx_mock.get(UP_URL).respond(200)
    loaded = await ExampleUptimeWidget(api=UP_URL, web=UP_URL).load({})
    assert [check.label for check in loaded["checks"]] == ["api", "web"]
    assert route.call_count == 2


# The demo widgets, on a small shop in the test database

db = pytest.mark.django_db(transaction=True)
WEEK_IN_EUR = {"range": "7d", "currency": "EUR"}


@pytest.fixture
async def shop():
    """Three products and two customers; the ORM thread's connection is closed afterwards."""
    products = {
        name: await Product.objects.acreate(name=name, category="tools", price_cents=1000)
        for name in ("Anvil", "Bolt", "Cog")
    }
    customers = {
        country: await Customer.objects.acreate(name=f"Customer {country}", country=country)
        for country in ("DE", "FR", "US")
    }
    yield products, customers
    await sync_to_async(connections.close_all)()


def ago(**duration):
    return timezone.now() - timedelta(**duration)


@pytest.fixture
def place_order(shop):
    products, customers = shop

    async def place(
        created_at, *, amount_cents=1000, quantity=1, product="Anvil", country="DE", status="paid"
    ):
        return await Order.objects.acreate(
            created_at=created_at,
            customer=customers[country],
            product=products[product],
            country=country,
            quantity=quantity,
            amount_cents=amount_cents,
            status=status,
        )

    return place


async def load(name, params=WEEK_IN_EUR):
    """Load a demo widget with ``params`` as its URL would give them, through its parameters form."""
    widget = registry.get(name)
    form = widget.bind_params(params)
    assert form.is_valid(), form.errors
    return await widget.load(form.cleaned_data)


@pytest.fixture
async def revenue_orders(place_order):
    await place_order(ago(hours=1), amount_cents=10000)
    await place_order(ago(days=2), amount_cents=5000)
    await place_order(ago(hours=1), amount_cents=99999, status="refunded")
    await place_order(ago(days=10), amount_cents=10000)  # the previous week
    await place_order(ago(days=20), amount_cents=7777)  # before both weeks


@db
async def test_revenue_in_eur_sums_paid_orders_of_the_period_without_http(revenue_orders, respx_mock):
    [kpi] = (await load("revenue"))["kpis"]
    assert replace(kpi, sparkline=None) == Kpi(
        "Revenue, last 7 days", "€150.00", 0.5, "Previous period: €100.00"
    )
    assert kpi.sparkline.title == "Revenue per day, last 7 days"
    assert sum(kpi.sparkline.values) == 150.0  # euros per day of the week, the refund left out
    assert kpi.sparkline.points[-1].is_partial  # today so far
    assert not respx_mock.calls


@db
async def test_revenue_in_usd_uses_the_upstream_rate(revenue_orders, respx_mock):
    answer = {"amount": 1.0, "base": "EUR", "date": "2025-05-02", "rates": {"USD": 1.5}}
    respx_mock.get(f"{settings.RATES_API_URL}/latest", params={"from": "EUR"}).respond(json=answer)
    [kpi] = (await load("revenue", {"range": "7d", "currency": "USD"}))["kpis"]
    assert (kpi.value, kpi.detail) == ("$225.00", "Previous period: $150.00")


@db
async def test_revenue_fails_when_the_upstream_lacks_the_currency(revenue_orders, respx_mock):
    answer = {"amount": 1.0, "base": "EUR", "date": "2025-05-02", "rates": {"GBP": 0.85}}
    respx_mock.get(f"{settings.RATES_API_URL}/latest").respond(json=answer)
    with pytest.raises(SourcesFailed, match="fx-rate: no rate for USD"):
        await load("revenue", {"range": "7d", "currency": "USD"})


@db
async def test_top_products_are_ranked_by_paid_revenue(place_order):
    await place_order(ago(hours=1), amount_cents=1000, product="Anvil")
    await place_order(ago(hours=2), amount_cents=1000, product="Anvil")
    await place_order(ago(hours=1), amount_cents=3000, quantity=3, product="Bolt")
    await place_order(ago(hours=1), amount_cents=500, product="Cog")
    await place_order(ago(hours=1), amount_cents=9000, product="Cog", status="refunded")
    table = (await load("top_products"))["table"]
    assert table.rows == [
        ["1", "Bolt", "3", "€30.00"],
        ["2", "Anvil", "2", "€20.00"],
        ["3", "Cog", "1", "€5.00"],
    ]


@db
async def test_orders_by_country_counts_every_order_of_the_period(place_order):
    await place_order(ago(hours=1), country="FR")
    for _ in range(2):
        await place_order(ago(hours=1), country="DE")
    await place_order(ago(hours=1), country="DE", status="refunded")
    await place_order(ago(days=30), country="FR")
    chart = (await load("orders_by_country", {"range": "7d"}))["chart"]
    assert isinstance(chart, DonutChart)
    assert [(one.label, one.value, one.fraction) for one in chart.slices] == [
        ("DE", 3.0, 0.75),
        ("FR", 1.0, 0.25),
    ]
    assert chart.as_data_table().columns == ["Country", "Orders", "Share"]


@db
async def test_order_health_shows_average_paid_order_and_refund_rate(place_order):
    for cents in (1000, 2000, 3000):
        await place_order(ago(hours=1), amount_cents=cents)
    await place_order(ago(hours=1), amount_cents=50000, status="refunded")
    average, refunds = (await load("order_health"))["kpis"]
    assert (average.label, average.value) == ("Average order value", "€20.00")
    assert (refunds.label, refunds.value, refunds.detail) == ("Refund rate", "25.0 %", "1 of 4 orders")


@db
async def test_recent_orders_are_newest_first_in_euros_without_http(place_order, respx_mock):
    oldest = await place_order(ago(hours=3))
    newest = await place_order(ago(hours=1), amount_cents=2500, country="FR")
    middle = await place_order(ago(hours=2))
    table: Table = (await load("recent_orders", {}))["table"]
    assert [row[0] for row in table.rows] == [f"#{newest.pk}", f"#{middle.pk}", f"#{oldest.pk}"]
    assert table.rows[0][2:] == ["Customer FR", "FR", "Anvil", "€25.00", "Paid"]
    assert not respx_mock.calls


@db
async def test_recent_orders_show_amounts_in_the_chosen_currency(place_order, respx_mock):
    answer = {"amount": 1.0, "base": "EUR", "date": "2025-05-02", "rates": {"JPY": 162.5}}
    respx_mock.get(f"{settings.RATES_API_URL}/latest", params={"from": "EUR"}).respond(json=answer)
    await place_order(ago(hours=1), amount_cents=2500)
    table: Table = (await load("recent_orders", {"currency": "JPY"}))["table"]
    assert table.rows[0][5] == "¥4,063"  # €25.00 at 162.5, no decimals
    assert "€" not in " ".join(cell for row in table.rows for cell in row)


@db
async def test_recent_orders_fail_when_the_upstream_lacks_the_currency(place_order, respx_mock):
    answer = {"amount": 1.0, "base": "EUR", "date": "2025-05-02", "rates": {"USD": 1.5}}
    respx_mock.get(f"{settings.RATES_API_URL}/latest").respond(json=answer)
    with pytest.raises(SourcesFailed, match="fx-rate: no rate for JPY"):
        await load("recent_orders", {"currency": "JPY"})


# Every money figure on the shop dashboard; none of the others shows money.
MONEY_WIDGETS = {"revenue", "order_health", "revenue_over_time", "top_products", "recent_orders"}


def test_the_shop_dashboards_currency_filter_reaches_every_money_figure():
    shop = dashboards.get("shop")
    placed = {one.widget.name: one.params for one in place(shop, read_filters(shop, {"currency": "JPY"}))}
    assert {name for name, params in placed.items() if params.get("currency") == "JPY"} == MONEY_WIDGETS


def test_the_operations_dashboard_without_filters_shows_money_in_euros():
    operations = dashboards.get("operations")
    placed = {one.widget.name: one.params for one in place(operations, read_filters(operations, {}))}
    assert {name: params["currency"] for name, params in placed.items() if "currency" in params} == {
        "revenue": "EUR",
        "recent_orders": "EUR",
    }


@db
async def test_orders_over_a_day_are_counted_per_hour(place_order):
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    five_hours_ago, two_hours_ago = hour - timedelta(hours=5), hour - timedelta(hours=2)
    for created_at in (five_hours_ago, two_hours_ago, two_hours_ago + timedelta(minutes=30)):
        await place_order(created_at)
    await place_order(ago(hours=30))
    chart = (await load("orders_over_time", {"range": "24h"}))["chart"]
    assert chart.title == "Orders per hour, last 24 hours"
    counts = {bar.label: bar.value for bar in chart.bars if bar.value}
    assert counts == {five_hours_ago.strftime("%d %b %H:00"): 1.0, two_hours_ago.strftime("%d %b %H:00"): 2.0}
    assert len(chart.bars) in (24, 25)  # every hour of the range, empty ones included
    assert chart.bars[-1].label == hour.strftime("%d %b %H:00")
    assert isinstance(chart, BarChart)
    assert chart.bars[-1].is_partial
    assert chart.bars[-1].title.endswith("(partial)")
    assert [bar.is_partial for bar in chart.bars[1:-1]] == [False] * (len(chart.bars) - 2)
    assert "the current hour so far" in chart.legend[-1].label


@db
async def test_orders_over_a_week_are_counted_per_day(place_order):
    day = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    four_days_ago, two_days_ago = day - timedelta(days=4), day - timedelta(days=2)
    for created_at in (four_days_ago, two_days_ago, two_days_ago + timedelta(hours=12)):
        await place_order(created_at)
    await place_order(ago(days=9))
    chart = (await load("orders_over_time", {"range": "7d"}))["chart"]
    assert chart.title == "Orders per day, last 7 days"
    counts = {bar.label: bar.value for bar in chart.bars if bar.value}
    assert counts == {four_days_ago.strftime("%d %b"): 1.0, two_days_ago.strftime("%d %b"): 2.0}
    assert len(chart.bars) == 8  # every day of the range, empty ones included
    assert chart.bars[-1].label == day.strftime("%d %b")
    assert chart.partial == (0, 7)  # the first day began before the range; today so far
    assert chart.as_data_table().rows[-1] == [day, 0.0]


@db
async def test_orders_by_country_sums_countries_past_the_shown_ones_as_other(place_order, monkeypatch):
    monkeypatch.setattr(registry.get("orders_by_country"), "shown_countries", 1)
    for country in ("DE", "DE", "FR", "US"):
        await place_order(ago(hours=1), country=country)
    chart = (await load("orders_by_country", {"range": "7d"}))["chart"]
    assert [(one.label, one.value, one.colour) for one in chart.slices] == [
        ("DE", 2.0, "1"),
        ("Other", 2.0, "other"),
    ]


@db
async def test_revenue_over_time_is_paid_revenue_per_day_in_the_currency(revenue_orders, respx_mock):
    answer = {"amount": 1.0, "base": "EUR", "date": "2025-05-02", "rates": {"USD": 1.5}}
    respx_mock.get(f"{settings.RATES_API_URL}/latest", params={"from": "EUR"}).respond(json=answer)
    chart = (await load("revenue_over_time", {"range": "7d", "currency": "USD"}))["chart"]
    assert chart.kind == "area"
    assert chart.title == "Paid revenue per day in USD, last 7 days"
    assert sum(chart.values[0]) == 225.0  # €150 of paid orders at 1.5
    assert max(chart.values[0]) == 150.0
    assert "$150.00" in " ".join(row.cells[0] for row in chart.rows)
    assert chart.as_data_table().columns == ["Time", "Revenue"]


@db
async def test_paid_and_refunded_orders_are_stacked_per_day(place_order):
    day = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    await place_order(day - timedelta(days=2))
    await place_order(day - timedelta(days=2, hours=-1), status="refunded")
    await place_order(day - timedelta(days=1), status="refunded")
    chart = (await load("paid_vs_refunded", {"range": "7d"}))["chart"]
    assert isinstance(chart, StackedBarChart)
    assert chart.names == ["Paid", "Refunded"]
    table = chart.as_data_table()
    assert [day - timedelta(days=2), 1.0, 1.0] in table.rows
    assert [day - timedelta(days=1), 0.0, 1.0] in table.rows
    assert sum(row[1] + row[2] for row in table.rows) == 3.0


@db
async def test_the_chart_widgets_render_their_svg_for_a_logged_in_user(place_order, settings):
    settings.WIDGETS_LOGIN_REQUIRED = True
    await place_order(ago(hours=1), country="FR")
    await place_order(ago(hours=2), status="refunded")
    client = await superuser_client()
    for name, kind in [
        ("orders_over_time", "bar"),
        ("revenue_over_time", "area"),
        ("orders_by_country", "donut"),
        ("paid_vs_refunded", "stacked_bar"),
    ]:
        response = await client.get(f"/widgets/{name}/?range=7d", headers={"HX-Request": "true"})
        html = response.content.decode()
        assert response.status_code == 200, name
        assert f'data-widget="{name}" data-state="ready"' in " ".join(html.split()), name
        assert f'class="chart chart--{kind}"' in html, name
        assert 'role="img"' in html, name
        assert "preserveAspectRatio" not in html, name
        assert "<details" in html, name
    response = await client.get("/widgets/revenue/?range=7d", headers={"HX-Request": "true"})
    assert 'class="chart__svg chart__svg--sparkline"' in response.content.decode()


# The demo in German: what the viewer's language changes, and the time in the viewer's zone

NBSP = "\N{NO-BREAK SPACE}"


def test_the_demos_titles_are_translated_when_shown():
    widget, shop = registry.get("recent_orders"), dashboards.get("shop")
    with translation.override("de"):
        assert (str(widget.title), str(shop.title)) == ("Neueste Bestellungen", "Shop-Dashboard")
    assert (str(widget.title), str(shop.title)) == ("Recent orders", "Shop dashboard")


@db
async def test_the_revenue_figure_in_german(revenue_orders):
    with translation.override("de"):
        [kpi] = (await load("revenue"))["kpis"]
    assert (kpi.label, kpi.value, kpi.detail) == (
        "Umsatz, letzte 7 Tage",
        f"150,00{NBSP}€",
        f"Vorheriger Zeitraum: 100,00{NBSP}€",
    )
    assert kpi.sparkline.title == "Umsatz pro Tag, letzte 7 Tage"


@db
async def test_order_health_in_german(place_order):
    for cents in (1000, 2000, 3000):
        await place_order(ago(hours=1), amount_cents=cents)
    await place_order(ago(hours=1), amount_cents=50000, status="refunded")
    with translation.override("de"):
        average, refunds = (await load("order_health"))["kpis"]
    assert (average.label, average.value) == ("Durchschnittlicher Bestellwert", f"20,00{NBSP}€")
    assert (refunds.label, refunds.value, refunds.detail) == (
        "Erstattungsquote",
        "25,0 %",
        "1 von 4 Bestellungen",
    )


@db
async def test_recent_orders_in_german_at_the_viewers_time(place_order):
    order = await place_order(ago(hours=1), amount_cents=2500)
    tokyo = ZoneInfo("Asia/Tokyo")
    with translation.override("de"), timezone.override(tokyo):
        table: Table = (await load("recent_orders", {}))["table"]
    assert table.columns == ["Bestellung", "Uhrzeit", "Kunde", "Land", "Produkt", "Betrag", "Status"]
    in_tokyo = order.created_at.astimezone(tokyo).strftime("%H:%M:%S")
    assert table.rows[0][1:] == [in_tokyo, "Customer DE", "DE", "Anvil", f"25,00{NBSP}€", "Bezahlt"]


@db
async def test_no_recent_orders_in_german():
    with translation.override("de"):
        table: Table = (await load("recent_orders", {}))["table"]
    assert (table.rows, table.empty_message) == ([], "Noch keine Bestellungen.")


@db
async def test_the_charts_count_orders_in_words_in_either_language(place_order):
    await place_order(ago(days=2))
    chart = (await load("orders_over_time", {"range": "7d"}))["chart"]
    cells = {cell for row in chart.rows for cell in row.cells}
    assert {"1 order", "0 orders"} <= cells
    with translation.override("de"):
        chart = (await load("orders_over_time", {"range": "7d"}))["chart"]
    assert (chart.title, chart.names) == ("Bestellungen pro Tag, letzte 7 Tage", ["Bestellungen"])
    assert {"1 Bestellung", "0 Bestellungen"} <= {cell for row in chart.rows for cell in row.cells}


@db
async def test_paid_refunded_and_country_charts_in_german(place_order, monkeypatch):
    monkeypatch.setattr(registry.get("orders_by_country"), "shown_countries", 1)
    for country in ("DE", "DE", "FR"):
        await place_order(ago(hours=1), country=country)
    with translation.override("de"):
        stacked = (await load("paid_vs_refunded", {"range": "24h"}))["chart"]
        donut = (await load("orders_by_country", {"range": "7d"}))["chart"]
    assert stacked.title == "Bezahlte und erstattete Bestellungen pro Stunde, letzte 24 Stunden"
    assert stacked.names == ["Bezahlt", "Erstattet"]
    assert donut.title == "Anteil der Bestellungen nach Land, letzte 7 Tage"
    assert [(one.label, one.value_text) for one in donut.slices] == [
        ("DE", "2 Bestellungen"),
        ("Sonstige", "1 Bestellung"),
    ]
    assert donut.as_data_table().columns[:2] == ["Land", "Bestellungen"]


@db
async def test_top_products_and_revenue_over_time_in_german_and_yen(revenue_orders, respx_mock):
    answer = {"amount": 1.0, "base": "EUR", "date": "2025-05-02", "rates": {"JPY": 162.5}}
    respx_mock.get(f"{settings.RATES_API_URL}/latest", params={"from": "EUR"}).respond(json=answer)
    with translation.override("de"):
        table = (await load("top_products", {"range": "7d", "currency": "JPY"}))["table"]
        chart = (await load("revenue_over_time", {"range": "7d", "currency": "JPY"}))["chart"]
    assert table.columns == ["#", "Produkt", "Stück", "Umsatz"]
    assert table.rows == [["1", "Anvil", "2", f"24.375{NBSP}¥"]]
    assert chart.title == "Bezahlter Umsatz pro Tag in JPY, letzte 7 Tage"
    assert chart.names == ["Umsatz"]


@db
async def test_a_widget_answers_each_viewer_in_their_language(place_order):
    await place_order(ago(hours=1), amount_cents=2500)
    client = await superuser_client()
    fragment = {"HX-Request": "true"}
    english = (await client.get("/widgets/recent_orders/", headers=fragment)).content.decode()
    german = (
        await client.get("/widgets/recent_orders/", headers={**fragment, "Accept-Language": "de"})
    ).content.decode()
    assert "Recent orders" in english
    assert "€25.00" in english
    assert "Neueste Bestellungen" in german
    assert f"25,00{NBSP}€" in german
    assert "Bezahlt" in german


@db
async def test_revenue_shows_without_its_sparkline_when_the_trend_fails(revenue_orders, monkeypatch):
    async def broken(period):
        raise TimeoutError

    monkeypatch.setattr("dashboard.queries.revenue_per_bucket", broken)
    [kpi] = (await load("revenue"))["kpis"]
    assert (kpi.value, kpi.sparkline) == ("€150.00", None)
