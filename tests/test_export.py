"""Exports: a widget's values as CSV and JSON, through the widget's own access rules, parameters and cache."""

import asyncio
import csv
import io
import json
import re
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django import forms
from django.db import connections
from django.test import AsyncClient
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from dashboard.models import Customer, Order, Product
from tests.forms import RangeForm
from tests.users import client_of, make_user, superuser_client
from widgets import Dashboard, Tile, dashboards, register
from widgets.builtin.chart import TimeSeriesWidget, build_bar_chart
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.builtin.table import Table, TableWidget
from widgets.cache import widget_cache
from widgets.embed.signing import embed_path, sign_embed
from widgets.export import csv_text, export_filename, neutralise
from widgets.registry import registry
from widgets.render import WidgetFrame, export_url, loading_frame, render_fragment, widget_url
from widgets.sources import SourceError, SourcesFailed
from widgets.tabular import DataTable

SECRET = "auth.view_group"  # any permission a fresh user lacks
FORMULA_STARTS = "=+-@\t\r"
LOADED_AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
loads: list[str] = []


class LedgerWidget(TableWidget):
    """A table whose display strings differ from its values, with text a spreadsheet would run."""

    name = "export_ledger"
    title = "Ledger"
    params_form = RangeForm
    refresh_seconds = 30

    async def load(self, params):
        loads.append(self.name)
        rows = [
            ["Refund", "−€5.00", "25 Nov 2026", '=HYPERLINK("http://127.0.0.1/")'],
            ["Sale", "€1,234.50", "24 Nov 2026", "@SUM(A1:A2)"],
        ]
        values = [
            ["Refund", Decimal("-5.00"), date(2026, 11, 25), '=HYPERLINK("http://127.0.0.1/")'],
            ["Sale", Decimal("1234.50"), date(2026, 11, 24), None],
        ]
        caption = f"Ledger, {params['range']}"
        return {"table": Table(["Kind", "Amount", "Day", "Note"], rows, caption=caption, values=values)}


class PlainTableWidget(TableWidget):
    """A table without plain values: its export has the display strings."""

    name = "export_plain"
    title = "Plain"

    async def load(self, params):
        return {"table": Table(["Name", "Change"], [["Alice", "-5 %"], ["Bob", "+3 %"]])}


class ChartWidget(TimeSeriesWidget):
    name = "export_chart"
    title = "Orders"

    async def load(self, params):
        return {"chart": build_bar_chart("Orders per day", [("24 Nov", 3.0), ("25 Nov", 1.5)], "orders")}


class KpiOnlyWidget(KpiWidget):
    name = "export_kpi"
    title = "Just a number"

    async def load(self, params):
        return {"kpis": [Kpi("Orders", "42")]}


class FailingWidget(TableWidget):
    name = "export_failing"
    title = "Failing"

    async def load(self, params):
        raise SourcesFailed([SourceError("ledger-db", "timed out after 3 s")])


class SecretLedgerWidget(LedgerWidget):
    name = "export_secret"
    title = "Secret ledger"
    permissions = (SECRET,)


class LabelForm(forms.Form):
    label = forms.CharField(required=False)


class LabelledWidget(TableWidget):
    """Shows whatever text it is given: for hostile parameters."""

    name = "export_labelled"
    title = "Labelled"
    params_form = LabelForm

    async def load(self, params):
        return {"table": Table(["Label"], [[params["label"]]])}


class ChoosyWidget(TableWidget):
    """Shows two tables and exports the second."""

    name = "export_choosy"
    title = "Choosy"

    async def load(self, params):
        return {"table": Table(["Shown"], [["a"]]), "detail": Table(["Exported"], [["b"]])}

    def data_table(self, value):
        return value["detail"].as_data_table()


WIDGETS = (
    LedgerWidget,
    PlainTableWidget,
    ChartWidget,
    KpiOnlyWidget,
    FailingWidget,
    SecretLedgerWidget,
    LabelledWidget,
    ChoosyWidget,
)


@pytest.fixture(autouse=True)
def registered(in_process):
    loads.clear()
    for widget in WIDGETS:
        registry.register(widget)
    yield
    for widget in WIDGETS:
        registry.unregister(widget.name)


@pytest.fixture
def client():
    return AsyncClient()


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode(), newline="")))


# CSV and JSON


async def test_csv_export_is_a_header_row_then_the_plain_values(client):
    response = await client.get("/widgets/export_ledger/export.csv?range=30d")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode() == (
        "Kind,Amount,Day,Note\r\n"
        'Refund,-5.00,2026-11-25,"\'=HYPERLINK(""http://127.0.0.1/"")"\r\n'
        "Sale,1234.50,2026-11-24,\r\n"
    )


async def test_csv_export_is_an_attachment_named_for_the_widget_its_parameters_and_day(client):
    response = await client.get("/widgets/export_ledger/export.csv?range=30d")
    assert re.fullmatch(
        r'attachment; filename="export_ledger-30d-\d{4}-\d\d-\d\d\.csv"', response["Content-Disposition"]
    )


async def test_json_export_has_the_widget_its_parameters_state_and_rows(client):
    response = await client.get("/widgets/export_ledger/export.json?range=30d")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert re.fullmatch(
        r'attachment; filename="export_ledger-30d-[\d-]+\.json"', response["Content-Disposition"]
    )
    document = json.loads(response.content)
    loaded_at = document.pop("loaded_at")
    assert datetime.fromisoformat(loaded_at).tzinfo is not None
    assert document == {
        "widget": "export_ledger",
        "title": "Ledger",
        "caption": "Ledger, 30d",
        "params": {"range": "30d"},
        "state": "ready",
        "columns": ["Kind", "Amount", "Day", "Note"],
        # Decimals as exact strings, dates in ISO 8601; JSON is not a spreadsheet, so text is as it was.
        "rows": [
            ["Refund", "-5.00", "2026-11-25", '=HYPERLINK("http://127.0.0.1/")'],
            ["Sale", "1234.50", "2026-11-24", None],
        ],
    }


async def test_json_export_gives_the_parameters_as_cleaned_defaults_included(client):
    document = json.loads((await client.get("/widgets/export_ledger/export.json")).content)
    assert document["params"] == {"range": "7d"}
    assert document["caption"] == "Ledger, 7d"


async def test_a_table_without_plain_values_exports_its_display_strings_with_formula_starts_quoted(client):
    response = await client.get("/widgets/export_plain/export.csv")
    assert csv_rows(response) == [["Name", "Change"], ["Alice", "'-5 %"], ["Bob", "'+3 %"]]


async def test_a_chart_exports_its_data_table(client):
    [chart] = (await ChartWidget().load({})).values()
    response = await client.get("/widgets/export_chart/export.csv")
    assert response.content.decode() == csv_text(chart.as_data_table())
    assert [row[0] for row in csv_rows(response)[1:]] == ["24 Nov", "25 Nov"]
    document = json.loads((await client.get("/widgets/export_chart/export.json")).content)
    assert document["columns"] == list(chart.as_data_table().columns)
    assert [row[0] for row in document["rows"]] == ["24 Nov", "25 Nov"]


async def test_a_widget_chooses_what_it_exports(client):
    response = await client.get("/widgets/export_choosy/export.csv")
    assert csv_rows(response) == [["Exported"], ["b"]]


def test_numbers_stay_numbers_and_only_text_is_neutralised():
    table = DataTable(["n"], [[-5], [Decimal("-0.5")], [-1.25], ["-5"], [float("-inf")], [True]])
    assert csv_text(table).split("\r\n") == ["n", "-5", "-0.5", "-1.25", "'-5", "'-inf", "True", ""]


def test_times_are_iso_8601_and_missing_values_empty():
    table = DataTable(["at", "none"], [[datetime(2026, 11, 25, 9, 30, tzinfo=UTC), None]])
    assert csv_text(table) == "at,none\r\n2026-11-25T09:30:00+00:00,\r\n"


# The same load, the same rules


async def test_an_export_uses_the_widgets_cached_load(client):
    await client.get("/widgets/export_ledger/?range=30d")
    await client.get("/widgets/export_ledger/export.csv?range=30d")
    await client.get("/widgets/export_ledger/export.json?range=30d")
    assert loads == ["export_ledger"]


async def test_an_export_with_other_parameters_is_another_load(client):
    await client.get("/widgets/export_ledger/export.csv?range=30d")
    await client.get("/widgets/export_ledger/export.csv?range=7d")
    assert loads == ["export_ledger", "export_ledger"]


@pytest.mark.django_db(transaction=True)
async def test_a_user_without_the_widgets_permission_gets_403_and_no_load(settings):
    del settings.WIDGETS_LOGIN_REQUIRED  # the product's default: login required
    client = await client_of(await make_user())
    for export_format in ("csv", "json"):
        response = await client.get(f"/widgets/export_secret/export.{export_format}")
        assert response.status_code == 403
        assert "You do not have access to this widget." in response.content.decode()
    assert loads == []


@pytest.mark.django_db(transaction=True)
async def test_a_user_with_the_widgets_permission_gets_the_export(settings):
    del settings.WIDGETS_LOGIN_REQUIRED
    client = await client_of(await make_user("accountant", permissions=(SECRET,)))
    response = await client.get("/widgets/export_secret/export.csv")
    assert (response.status_code, csv_rows(response)[0]) == (200, ["Kind", "Amount", "Day", "Note"])


@pytest.mark.django_db(transaction=True)
async def test_an_anonymous_visitor_is_sent_to_log_in_and_back_when_login_is_required(settings, client):
    del settings.WIDGETS_LOGIN_REQUIRED
    response = await client.get("/widgets/export_ledger/export.csv?range=30d")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/widgets/export_ledger/export.csv%3Frange%3D30d"
    assert loads == []


async def test_invalid_parameters_answer_400_naming_the_field_and_value(client):
    response = await client.get("/widgets/export_ledger/export.csv?range=1y")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("Invalid parameters: range = “1y”: ")
    document = json.loads((await client.get("/widgets/export_ledger/export.json?range=1y")).content)
    assert [(error["field"], error["value"]) for error in document["params"]] == [("range", "1y")]
    assert loads == []


async def test_a_widget_with_nothing_to_export_answers_404(client):
    response = await client.get("/widgets/export_kpi/export.csv")
    assert response.status_code == 404
    assert response.content.decode() == "“Just a number” has nothing to export (no table or chart).\n"
    response = await client.get("/widgets/export_kpi/export.json")
    assert response.status_code == 404
    assert response.json() == {"error": "“Just a number” has nothing to export (no table or chart)."}


async def test_an_unknown_widget_or_format_answers_404(client):
    assert (await client.get("/widgets/nonesuch/export.csv")).status_code == 404
    response = await client.get("/widgets/export_ledger/export.xlsx")
    assert response.status_code == 404
    assert response.content.decode() == "There is no export as “xlsx”: use export.csv or export.json.\n"


async def test_failed_sources_answer_503_naming_them(client):
    response = await client.get("/widgets/export_failing/export.csv")
    assert response.status_code == 503
    assert response.content.decode() == "“Failing” could not load: ledger-db: timed out after 3 s.\n"
    document = (await client.get("/widgets/export_failing/export.json")).json()
    assert document["sources"] == [{"source": "ledger-db", "reason": "timed out after 3 s"}]


class FlakyWidget(TableWidget):
    """Loads once, then its source fails."""

    name = "export_flaky"
    title = "Flaky"
    refresh_seconds = 30

    async def load(self, params):
        loads.append(self.name)
        if len(loads) > 1:
            raise SourcesFailed([SourceError("ledger-db", "timed out after 3 s")])
        return {"table": Table(["a"], [["b"]])}


async def test_a_stale_value_is_exported_as_stale(client, monkeypatch):
    now = time.time()
    monkeypatch.setattr(widget_cache, "clock", lambda: now)
    registry.register(FlakyWidget)
    try:
        await client.get("/widgets/export_flaky/")
        now += 31  # no longer fresh; refreshing it fails
        document = (await client.get("/widgets/export_flaky/export.json")).json()
        html = (await client.get("/widgets/export_flaky/", headers={"HX-Request": "true"})).content.decode()
    finally:
        registry.unregister(FlakyWidget.name)
    assert (document["state"], document["rows"]) == ("stale", [["b"]])
    assert loads == ["export_flaky", "export_flaky"]
    assert 'data-state="stale"' in html
    assert "widget__menu" in html


class SlowWidget(TableWidget):
    """Its load runs until the test lets it end."""

    name = "export_slow"
    title = "Slow"
    started: asyncio.Event
    release: asyncio.Event

    async def load(self, params):
        self.started.set()
        await self.release.wait()
        return {"table": Table(["a"], [["b"]])}


async def test_an_export_the_process_is_too_busy_to_load_answers_503_with_retry_after(client, settings):
    settings.WIDGETS_MAX_LOADS_IN_FLIGHT = 1
    SlowWidget.started, SlowWidget.release = asyncio.Event(), asyncio.Event()
    registry.register(SlowWidget)
    try:
        slow = asyncio.create_task(client.get("/widgets/export_slow/"))
        await asyncio.wait_for(SlowWidget.started.wait(), timeout=5)  # the one load the process may run
        response = await client.get("/widgets/export_ledger/export.csv")
        SlowWidget.release.set()
        await slow
    finally:
        registry.unregister(SlowWidget.name)
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert response.content.decode() == f"The server is busy: try again in {response['Retry-After']} s.\n"
    assert loads == []


async def test_head_answers_like_get_and_post_is_refused(client):
    head = await client.head("/widgets/export_ledger/export.csv")
    assert head.status_code == 200
    assert head["Content-Type"] == "text/csv; charset=utf-8"
    assert head["Content-Disposition"].startswith("attachment; ")
    assert (await client.post("/widgets/export_ledger/export.csv")).status_code == 405


async def test_hostile_parameters_never_reach_the_file_name(client):
    label = '../../etc/passwd"; filename="evil.exe\r\nSet-Cookie: a=b'
    response = await client.get("/widgets/export_labelled/export.csv", {"label": label})
    assert response.status_code == 200
    filename = re.fullmatch(r'attachment; filename="([^"]+)"', response["Content-Disposition"])[1]
    assert filename.startswith("export_labelled-etcpasswd-filenameevilexe-set-cookie-ab-")
    assert "Set-Cookie" not in response.headers


@given(
    name=st.text(max_size=80),
    values=st.lists(st.text(max_size=200), max_size=4),
)
def test_a_file_name_is_always_a_plain_short_ascii_name(name, values):
    filename = export_filename(
        name, {f"p{index}": value for index, value in enumerate(values)}, date(2026, 11, 25), "csv"
    )
    assert re.fullmatch(r"[a-z0-9_-]+-2026-11-25\.csv", filename)
    assert len(filename) <= 80 + 1 + 60 + 1 + 10 + 4


# Formula neutralisation, for any text


def round_trip(text: str) -> str:
    [header, [cell]] = list(csv.reader(io.StringIO(csv_text(DataTable(["cell"], [[text]])), newline="")))
    assert header == ["cell"]
    return cell


@given(start=st.sampled_from(FORMULA_STARTS), rest=st.text())
def test_text_a_spreadsheet_would_run_gets_a_quote_in_front(start, rest):
    assert neutralise(start + rest) == f"'{start}{rest}"
    assert round_trip(start + rest) == f"'{start}{rest}"


@given(text=st.text().filter(lambda text: not text.startswith(tuple(FORMULA_STARTS))))
def test_other_text_is_unchanged(text):
    assert neutralise(text) == text
    assert round_trip(text) == text


@given(start=st.sampled_from(FORMULA_STARTS), rest=st.text())
def test_column_names_are_neutralised_too(start, rest):
    [header] = list(csv.reader(io.StringIO(csv_text(DataTable([start + rest], [])), newline="")))
    assert header == [f"'{start}{rest}"]


@given(
    number=st.integers()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.floats(allow_nan=False, allow_infinity=False)
)
def test_finite_numbers_are_written_as_they_are(number):
    assert round_trip(number) == str(number)


# The menu


def ready_frame(widget_class, params, **changes) -> WidgetFrame:
    widget = widget_class()
    values = dict(
        name=widget.name,
        title=widget.title,
        state="ready",
        url=widget_url(widget.name, params),
        refresh_seconds=30,
        body_template=widget.ready_template,
        body={"table": Table(["a"], [["b"]])},
        loaded_at=LOADED_AT,
        age_seconds=3,
    )
    return WidgetFrame(**{**values, **changes})


def menu_links(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<li><a href="([^"]+)" download>(\w+)</a></li>', html)


@pytest.mark.parametrize("state", ["ready", "stale"])
def test_a_frame_showing_values_offers_them_as_csv_and_json_with_its_parameters(state):
    html = render_fragment(ready_frame(LedgerWidget, {"range": "30d"}, state=state))
    assert '<details class="widget__menu">' in html
    assert '<summary class="widget__menu-button" aria-label="Download Ledger">Download</summary>' in html
    assert menu_links(html) == [
        ("/widgets/export_ledger/export.csv?range=30d", "CSV"),
        ("/widgets/export_ledger/export.json?range=30d", "JSON"),
    ]


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(loading_frame(LedgerWidget(), {"range": "30d"}), id="loading"),
        pytest.param(
            ready_frame(LedgerWidget, {}, state="error", body={}, source_errors=[SourceError("db", "down")]),
            id="error",
        ),
        pytest.param(
            ready_frame(KpiOnlyWidget, {}, body={"kpis": [Kpi("Orders", "42")]}), id="nothing-to-export"
        ),
        pytest.param(ready_frame(LedgerWidget, {}, url="/embed/token/"), id="embed"),
    ],
)
def test_no_menu_where_there_is_nothing_to_download(frame):
    assert "widget__menu" not in render_fragment(frame)


async def test_the_widget_endpoint_shows_the_menu_and_its_links_work(client):
    html = (
        await client.get("/widgets/export_ledger/?range=30d", headers={"HX-Request": "true"})
    ).content.decode()
    [(csv_url, _), (json_url, _)] = menu_links(html)
    assert (await client.get(csv_url)).status_code == 200
    assert (await client.get(json_url)).json()["params"] == {"range": "30d"}


async def test_an_embed_page_offers_no_download(client):
    html = (await client.get(embed_path(sign_embed("export_ledger", {"range": "30d"})))).content.decode()
    assert 'data-state="ready"' in html
    assert "widget__menu" not in html
    assert "export.csv" not in html


class LedgerPage(Dashboard):
    slug = "export_page"
    title = "Ledger page"
    filters_form = RangeForm
    layout = (Tile("export_ledger"), Tile("export_kpi"))


async def test_a_dashboards_tiles_offer_their_downloads_with_the_pages_filters(client):
    register(LedgerPage)
    try:
        response = await client.get("/dashboards/export_page/?range=30d")
        html = "".join([chunk.decode() async for chunk in response.streaming_content])
    finally:
        dashboards.unregister(LedgerPage.slug)
    assert menu_links(html) == [
        ("/widgets/export_ledger/export.csv?range=30d", "CSV"),
        ("/widgets/export_ledger/export.json?range=30d", "JSON"),
    ]


def test_export_url_carries_the_parameters_as_the_widget_url_does():
    assert (
        export_url("export_ledger", "csv", {"range": "30d"}) == "/widgets/export_ledger/export.csv?range=30d"
    )
    assert export_url("export_ledger", "json") == "/widgets/export_ledger/export.json"


# The demo


@pytest.fixture
async def one_order():
    """One paid order an hour ago: two anvils for €25.00, by a customer in Germany."""
    product = await Product.objects.acreate(name="Anvil", category="tools", price_cents=1250)
    customer = await Customer.objects.acreate(name="Customer DE", country="DE")
    await Order.objects.acreate(
        created_at=timezone.now() - timedelta(hours=1),
        customer=customer,
        product=product,
        country="DE",
        quantity=2,
        amount_cents=2500,
        status="paid",
    )
    yield
    await sync_to_async(connections.close_all)()  # the ORM sources' threads


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("name", "columns", "row_end"),
    [
        ("top_products", ["#", "Product", "Units", "Revenue"], ["1", "Anvil", "2", "€25.00"]),
        (
            "recent_orders",
            ["Order", "Time", "Customer", "Country", "Product", "Amount", "Status"],
            ["Customer DE", "DE", "Anvil", "€25.00", "Paid"],
        ),
    ],
)
async def test_the_demos_tables_export_for_a_superuser(name, columns, row_end, settings, one_order):
    del settings.WIDGETS_LOGIN_REQUIRED
    client = await superuser_client()
    response = await client.get(f"/widgets/{name}/export.csv?range=7d&currency=EUR")
    assert response.status_code == 200, response.content
    [header, row] = csv_rows(response)
    assert (header, row[-len(row_end) :]) == (columns, row_end)
    document = (await client.get(f"/widgets/{name}/export.json?range=7d&currency=EUR")).json()
    assert (document["widget"], document["columns"], document["state"]) == (name, columns, "ready")
    assert document["rows"] == [row]
    assert (await AsyncClient().get(f"/widgets/{name}/export.csv")).status_code == 302
