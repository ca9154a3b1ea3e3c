import logging
import re

import httpx
import pytest
import respx
from django.core.handlers.asgi import ASGIHandler
from django.test import AsyncClient, AsyncRequestFactory, override_settings

from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.middleware import WidgetsMiddleware
from widgets.registry import registry
from widgets.sources import gather_sources, http_json

HTMX = {"HX-Request": "true"}
RATES_URL = "http://127.0.0.1:9/latest"
RATES = {"amount": 1.0, "base": "EUR", "date": "2026-11-25", "rates": {"USD": 1.1, "GBP": 0.85}}


class MiddlewareRatesWidget(KpiWidget):
    """One upstream source over HTTP, as a widget the middleware sees through the full stack."""

    name = "middleware_rates"
    title = "Rates"

    async def load(self, params):
        values = await gather_sources(http_json("rates", RATES_URL))
        return {"kpis": [Kpi("USD", str(values["rates"]["rates"]["USD"]))]}


WIDGET_PATH = f"/widgets/{MiddlewareRatesWidget.name}/"


@pytest.fixture(autouse=True)
def registered_test_widget():
    registry.register(MiddlewareRatesWidget)
    yield
    registry.unregister(MiddlewareRatesWidget.name)


@pytest.fixture
def rates_upstream():
    with respx.mock(assert_all_called=False) as mock:
        mock.get(RATES_URL).mock(return_value=httpx.Response(200, json=RATES))
        yield mock


def widget_request(path=WIDGET_PATH, **headers):
    return AsyncRequestFactory().get(path, headers=HTMX | headers)


def test_no_middleware_is_adapted_to_async(caplog):
    with caplog.at_level(logging.DEBUG, logger="django.request"):
        ASGIHandler()
    assert [record.getMessage() for record in caplog.records if "adapted" in record.getMessage()] == []


async def test_widget_request_path_makes_no_thread_hop(rates_upstream, thread_hops):
    response = await ASGIHandler().get_response_async(widget_request())
    assert response.status_code == 200
    assert b'data-state="ready"' in response.content
    assert thread_hops == []


@override_settings(
    MIDDLEWARE=[
        "django_htmx.middleware.HtmxMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
    ]
)
async def test_thread_hop_detector_sees_a_sync_middleware_hook(rates_upstream, thread_hops):
    response = await ASGIHandler().get_response_async(widget_request())
    assert response.status_code == 200
    assert "SessionMiddleware.process_request" in thread_hops


async def test_response_varies_on_hx_request_and_carries_request_id(rates_upstream):
    response = await ASGIHandler().get_response_async(widget_request())
    assert "HX-Request" in response["Vary"]
    assert len(response["X-Request-ID"]) == 32


async def test_valid_incoming_request_id_is_kept(rates_upstream):
    response = await ASGIHandler().get_response_async(widget_request(**{"X-Request-ID": "edge-42.a_b"}))
    assert response["X-Request-ID"] == "edge-42.a_b"


@pytest.mark.parametrize("bad_id", ["has spaces", "x" * 65, "semi;colon"])
async def test_invalid_incoming_request_id_is_replaced(rates_upstream, bad_id):
    response = await ASGIHandler().get_response_async(widget_request(**{"X-Request-ID": bad_id}))
    assert response["X-Request-ID"] != bad_id
    assert len(response["X-Request-ID"]) == 32


async def test_server_timing_has_one_entry_per_source(rates_upstream):
    response = await ASGIHandler().get_response_async(widget_request())
    entries = [entry.strip() for entry in response["Server-Timing"].split(",")]
    assert len(entries) == 1
    assert entries[0].startswith("rates;dur=")
    assert entries[0].endswith('desc="ok"')


async def test_failed_source_is_marked_in_server_timing():
    with respx.mock:
        respx.get(RATES_URL).mock(return_value=httpx.Response(500))
        response = await ASGIHandler().get_response_async(widget_request())
    assert response.status_code == 200
    assert 'desc="failed"' in response["Server-Timing"]


async def test_request_details_carry_the_request_id_and_the_sources_timings(rates_upstream):
    seen = {}

    async def view(request):
        from django.http import HttpResponse

        seen["details"] = request.widgets
        await gather_sources(http_json("probe-source", RATES_URL))
        return HttpResponse("ok")

    from django_htmx.middleware import HtmxMiddleware

    request = widget_request(WIDGET_PATH, **{"X-Request-ID": "abc-123"})
    response = await HtmxMiddleware(WidgetsMiddleware(view))(request)
    details = seen["details"]
    assert details.request_id == "abc-123"
    assert [timing.name for timing in details.timings] == ["probe-source"]
    assert response["Server-Timing"].startswith("probe-source;dur=")


async def test_each_csp_configuration_is_built_once_with_and_once_without_a_nonce(
    settings, monkeypatch, rates_upstream
):
    from django.utils.csp import CSP, build_policy

    from widgets.asgi import inline_middleware as middleware

    builds = []

    def counted_build_policy(config, nonce=None):
        builds.append(config)
        return build_policy(config, nonce)

    monkeypatch.setattr(middleware, "build_policy", counted_build_policy)
    settings.SECURE_CSP = {"default-src": ["'self'"], "script-src": ["'self'", CSP.NONCE]}
    for _ in range(3):
        # The widget as a fragment: no script tag, so the nonce is never used.
        response = await AsyncClient().get(WIDGET_PATH, headers=HTMX)
        assert response["Content-Security-Policy"] == "default-src 'self'; script-src 'self'"
    nonces = set()
    for _ in range(2):
        # The widget as a full page: htmx's script tag carries the nonce.
        response = await AsyncClient().get(WIDGET_PATH)
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        assert f'nonce="{nonce}"' in response.content.decode()
        assert response["Content-Security-Policy"] == build_policy(settings.SECURE_CSP, nonce)
        nonces.add(nonce)
    assert len(nonces) == 2
    assert len(builds) == 2
    settings.SECURE_CSP = {"default-src": ["'none'"]}  # another configuration: built again
    await AsyncClient().get(WIDGET_PATH, headers=HTMX)
    assert len(builds) == 4


async def test_a_response_that_used_its_nonce_gets_a_policy_naming_it(rates_upstream):
    response = await AsyncClient().get(WIDGET_PATH)
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'nonce="{nonce}"' in response.content.decode()
