import pytest
from django.test import AsyncClient

from tests.forms import RangeForm
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.builtin.statuspage import StatuspageWidget
from widgets.registry import registry
from widgets.sources import Source, SourceError, SourcesFailed, gather_sources

HTMX = {"HX-Request": "true"}


async def one():
    return 1


class ProbeWidget(KpiWidget):
    """Shows the range it was loaded with, after running two sources."""

    name = "probe"
    title = "Probe"
    params_form = RangeForm
    refresh_seconds = 30

    async def load(self, params):
        await gather_sources(Source("alpha", one), Source("beta", one))
        return {"kpis": [Kpi("Range", params["range"])]}


class BrokenWidget(KpiWidget):
    name = "broken"
    title = "Broken"

    async def load(self, params):
        raise SourcesFailed([SourceError("orders-db", "database error (OperationalError)")])


STATUS_URL = "http://127.0.0.1:9"


class StatusWidget(StatuspageWidget):
    """Renders what an upstream status page says."""

    name = "view_status"
    title = "Status"

    def base_url(self):
        return STATUS_URL


TEST_WIDGETS = (ProbeWidget, BrokenWidget, StatusWidget)


@pytest.fixture(autouse=True)
def registered_test_widgets():
    for widget_class in TEST_WIDGETS:
        registry.register(widget_class)
    yield
    for widget_class in TEST_WIDGETS:
        registry.unregister(widget_class.name)


@pytest.fixture
def client():
    return AsyncClient()


async def test_htmx_request_gets_only_the_widget_fragment(client):
    response = await client.get("/widgets/probe/", headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="widget')
    assert "<!doctype html>" not in body
    assert "htmx-2.min.js" not in body


async def test_plain_request_gets_a_full_page_with_htmx(client):
    body = (await client.get("/widgets/probe/")).content.decode()
    assert body.startswith("<!doctype html>")
    assert '<script src="/static/django_htmx/htmx-2.min.js"' in body
    assert 'data-widget="probe"' in body


async def test_ready_widget_carries_the_dom_contract(client):
    body = (await client.get("/widgets/probe/", headers=HTMX)).content.decode()
    assert 'data-widget="probe"' in body
    assert 'data-state="ready"' in body
    assert 'aria-busy="false"' in body
    assert 'aria-live="polite"' in body
    assert '<dd class="kpi__value" data-kpi="range">7d</dd>' in body


async def test_refresh_url_keeps_the_params(client):
    body = (await client.get("/widgets/probe/?range=30d", headers=HTMX)).content.decode()
    assert 'hx-get="/widgets/probe/?range=30d" hx-trigger="every 30s"' in body


async def test_unknown_widget_is_a_404_fragment_naming_it(client):
    response = await client.get("/widgets/nope/", headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 404
    assert 'data-state="error"' in body
    assert "There is no widget named “nope”." in body
    assert "<!doctype html>" not in body


async def test_invalid_param_is_a_400_naming_field_and_value(client):
    response = await client.get("/widgets/probe/?range=1y", headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-state="error"' in body
    assert '<strong data-field="range">range</strong> = “1y”: Select a valid choice.' in body


async def test_failed_sources_render_the_error_state_with_source_and_reason(client):
    response = await client.get("/widgets/broken/", headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-state="error"' in body
    assert '<strong data-source="orders-db">orders-db</strong>: database error (OperationalError)' in body


async def test_page_filter_applies_when_the_widget_url_omits_it(client):
    headers = HTMX | {"HX-Current-URL": "http://testserver/?range=30d"}
    body = (await client.get("/widgets/probe/", headers=headers)).content.decode()
    assert 'data-kpi="range">30d<' in body
    assert 'hx-get="/widgets/probe/?range=30d"' in body


async def test_widget_url_wins_over_the_page_filter(client):
    headers = HTMX | {"HX-Current-URL": "http://testserver/?range=30d"}
    body = (await client.get("/widgets/probe/?range=24h", headers=headers)).content.decode()
    assert 'data-kpi="range">24h<' in body


async def test_upstream_markup_is_escaped(client, respx_mock):
    summary = {
        "page": {"name": "Example"},
        "status": {"indicator": "none", "description": "All Systems Operational"},
        "components": [{"name": "<script>alert(1)</script>", "status": "operational"}],
    }
    respx_mock.get(f"{STATUS_URL}/api/v2/summary.json").respond(json=summary)
    body = (await client.get("/widgets/view_status/", headers=HTMX)).content.decode()
    assert 'data-state="ready"' in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert" not in body


async def test_server_timing_lists_the_sources(client):
    response = await client.get("/widgets/probe/", headers=HTMX)
    entries = [entry.split(";")[0] for entry in response["Server-Timing"].split(", ")]
    assert entries == ["alpha", "beta"]
    assert response["Server-Timing"].count('desc="ok"') == 2


async def test_response_varies_on_hx_request(client):
    response = await client.get("/widgets/probe/", headers=HTMX)
    assert "HX-Request" in response["Vary"]


async def test_response_has_a_request_id(client):
    response = await client.get("/widgets/probe/")
    assert len(response["X-Request-ID"]) == 32


async def test_valid_incoming_request_id_is_echoed(client):
    response = await client.get("/widgets/probe/", headers={"X-Request-ID": "lb-7f3a.2_x"})
    assert response["X-Request-ID"] == "lb-7f3a.2_x"


@pytest.mark.parametrize("incoming", ["has spaces", "x" * 100, "semi;colon", ""])
async def test_invalid_incoming_request_id_is_replaced(client, incoming):
    response = await client.get("/widgets/probe/", headers={"X-Request-ID": incoming})
    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32


async def test_request_id_with_a_trailing_newline_is_replaced(client):
    response = await client.get("/widgets/probe/", headers={"X-Request-ID": "abc\n"})
    assert response["X-Request-ID"] != "abc\n"
