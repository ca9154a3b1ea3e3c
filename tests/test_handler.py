from typing import Any

import httpx
import pytest
import respx
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.core import signals
from django.core.handlers.asgi import ASGIHandler
from django.db import connections
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import include, path

from widgets import Dashboard, Tile, dashboards, gather_sources, http_json, register
from widgets.asgi.handler import LeanASGIHandler
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.registry import registry

used_connections: list[Any] = []


def count_users_and_keep_connection() -> int:
    used_connections.append(connections["default"])
    return User.objects.count()


def create_user(username: str) -> None:
    """Not ``acreate``: ``thread_hops`` would name its queryset with ``repr()``, which queries."""
    User.objects.create(username=username)


async def users_view(request):
    # Thread-sensitive ORM work in the request's own context, as plain async views do.
    return JsonResponse({"users": await sync_to_async(count_users_and_keep_connection)()})


async def hello_view(request):
    return JsonResponse({"hello": "world"})


urlpatterns = [path("users", users_view), path("hello", hello_view), path("", include("widgets.urls"))]


async def get(handler, url):
    transport = httpx.ASGITransport(app=handler)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return await client.get(url)


@pytest.fixture(autouse=True)
def test_urls(settings):
    settings.ROOT_URLCONF = __name__


async def test_async_request_runs_without_any_thread(thread_hops):
    response = await get(LeanASGIHandler(), "/hello")
    assert response.json() == {"hello": "world"}
    assert thread_hops == []


async def test_stock_handler_starts_a_thread_for_the_same_request(thread_hops):
    response = await get(ASGIHandler(), "/hello")
    assert response.status_code == 200
    assert "HttpResponseBase.close" in thread_hops


@pytest.mark.django_db(transaction=True)
async def test_request_that_used_the_orm_has_its_connection_closed_in_its_thread(thread_hops):
    used_connections.clear()
    await sync_to_async(create_user)("reader")
    response = await get(LeanASGIHandler(), "/users")
    assert response.json() == {"users": 1}
    assert "HttpResponseBase.close" in thread_hops  # closed on the request's thread
    [used] = used_connections
    assert used is not connections["default"]
    assert used.connection is None


async def test_unknown_sync_receiver_gets_the_stock_thread(thread_hops):
    calls = []

    def audit_receiver(sender, **kwargs):
        calls.append(sender)

    handler = LeanASGIHandler()
    await get(handler, "/hello")  # decided, for Django's own receivers: nothing to send
    signals.request_finished.connect(audit_receiver)
    try:
        response = await get(handler, "/hello")
    finally:
        signals.request_finished.disconnect(audit_receiver)
    assert response.status_code == 200
    assert calls == [LeanASGIHandler]
    assert "HttpResponseBase.close" in thread_hops


async def test_djangos_own_receivers_are_not_dispatched_when_no_sync_code_ran(monkeypatch):
    sent = []
    for signal in (signals.request_started, signals.request_finished):
        monkeypatch.setattr(signal, "send", lambda *args, **kwargs: sent.append(kwargs["sender"]))
        monkeypatch.setattr(signal, "asend", lambda *args, **kwargs: sent.append(kwargs["sender"]))
    response = await get(LeanASGIHandler(), "/hello")
    assert response.status_code == 200
    assert sent == []


class ReportRows:
    """Streamed content with a ``close()``, which Django calls when it closes the response."""

    def __init__(self) -> None:
        self.closed = False

    def __aiter__(self):
        return self._rows()

    async def _rows(self):
        yield b"day,orders\n"

    def close(self) -> None:
        self.closed = True


async def test_the_response_is_still_closed_without_the_signal():
    rows = ReportRows()

    async def report(request):
        return StreamingHttpResponse(rows, content_type="text/csv")

    urlpatterns.append(path("report", report))
    try:
        response = await get(LeanASGIHandler(), "/report")
    finally:
        urlpatterns.pop()
    assert response.text == "day,orders\n"
    assert rows.closed


async def test_a_response_with_a_close_of_its_own_has_it_called():
    closed = []

    class AuditedResponse(HttpResponse):
        def close(self):
            closed.append(self.status_code)
            super().close()

    async def audited(request):
        return AuditedResponse("ok")

    urlpatterns.append(path("audited", audited))
    try:
        await get(LeanASGIHandler(), "/audited")
    finally:
        urlpatterns.pop()
    assert closed == [200]


async def test_async_receivers_of_request_finished_still_fire():
    calls = []

    async def async_receiver(sender, **kwargs):
        calls.append(sender)

    signals.request_finished.connect(async_receiver)
    try:
        await get(LeanASGIHandler(), "/hello")
    finally:
        signals.request_finished.disconnect(async_receiver)
    assert calls == [LeanASGIHandler]


async def test_streamed_dashboard_page_goes_through_the_lean_handler():
    class RatesKpiWidget(KpiWidget):
        name = "test_lean_rates"
        title = "Rates"

        async def load(self, params):
            values = await gather_sources(http_json("rates", "http://127.0.0.1:9/latest"))
            return {"kpis": [Kpi("USD", str(values["rates"]["rates"]["USD"]))]}

    class LeanDashboard(Dashboard):
        slug = "test_lean"
        title = "Lean"
        layout = (Tile("test_lean_rates"),)

    register(RatesKpiWidget)
    register(LeanDashboard)
    rates = {"amount": 1.0, "base": "EUR", "date": "2026-11-25", "rates": {"USD": 1.1}}
    try:
        with respx.mock(assert_all_called=False) as mock:
            mock.get("http://127.0.0.1:9/latest").mock(return_value=httpx.Response(200, json=rates))
            response = await get(LeanASGIHandler(), "/dashboards/test_lean/")
    finally:
        registry.unregister("test_lean_rates")
        dashboards.unregister("test_lean")
    assert response.status_code == 200
    assert 'data-widget="test_lean_rates"' in response.text
    assert 'data-state="ready"' in response.text
    assert response.text.rstrip().endswith("</html>")
