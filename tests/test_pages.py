import asyncio
import contextlib
import re
import time
from unittest import mock

import httpx
import pytest
import respx
from django.http import QueryDict
from django.test import AsyncClient

from dashboard import filters, views
from dashboard.layout import DEMO_LAYOUT, Tile
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.cache import widget_cache
from widgets.registry import registry


async def chunks_of(response) -> list[str]:
    """The page as it arrived: streamed chunks, or the one body of a page whose widgets were all cached."""
    if not response.streaming:
        return [response.content.decode()]
    return [chunk.decode() async for chunk in response.streaming_content]


@pytest.fixture
def gated_widgets(monkeypatch):
    """Two widgets laid out slow first, fast second; the slow one waits for ``gate``."""
    gate = asyncio.Event()
    cancelled = []

    class SlowWidget(KpiWidget):
        name = "test_slow"
        title = "Slow"

        async def load(self, params):
            try:
                await gate.wait()
            except asyncio.CancelledError:
                cancelled.append(self.name)
                raise
            return {"kpis": [Kpi("Slow", "1")]}

    class FastWidget(KpiWidget):
        name = "test_fast"
        title = "Fast"

        async def load(self, params):
            return {"kpis": [Kpi("Fast", "2")]}

    for widget_class in (SlowWidget, FastWidget):
        registry.register(widget_class)
    monkeypatch.setattr(views, "DEMO_LAYOUT", [Tile("test_slow"), Tile("test_fast")])
    yield gate, cancelled
    for name in ("test_slow", "test_fast"):
        registry.unregister(name)


async def test_page_streams_the_shell_first_with_a_placeholder_per_widget(gated_widgets):
    gate, _ = gated_widgets
    response = await AsyncClient().get("/")
    assert response.streaming
    stream = aiter(response.streaming_content)
    shell = (await anext(stream)).decode()
    assert shell.count("tile--placeholder") == 2
    assert "data-widget=" not in shell  # no widget has arrived yet
    assert "</html>" not in shell
    gate.set()
    rest = "".join([chunk.decode() async for chunk in stream])
    assert rest.rstrip().endswith("</html>")


async def test_widgets_arrive_in_the_order_they_finish_each_in_its_slot(gated_widgets):
    gate, _ = gated_widgets
    response = await AsyncClient().get("/")
    stream = aiter(response.streaming_content)
    await anext(stream)  # the shell
    first = (await anext(stream)).decode()
    assert 'data-widget="test_fast"' in first
    assert "slot-2 tile--arrived-2" in first
    gate.set()
    second = (await anext(stream)).decode()
    assert 'data-widget="test_slow"' in second
    assert "slot-1 tile--arrived-1" in second


async def test_streamed_widgets_are_rendered_ready_and_then_poll(gated_widgets):
    gate, _ = gated_widgets
    gate.set()
    html = "".join(await chunks_of(await AsyncClient().get("/")))
    assert html.count('data-state="ready"') == 2
    assert html.count('hx-trigger="every 60s"') == 2
    assert 'hx-trigger="load"' not in html  # placeholders never fetch again


async def test_leaving_the_page_cancels_loads_still_running(gated_widgets):
    # As under ASGI: Django cancels the task streaming the response when the client goes away.
    _, cancelled = gated_widgets
    response = await AsyncClient().get("/")
    received = []
    fast_arrived = asyncio.Event()

    async def browser():
        async for chunk in response.streaming_content:
            received.append(chunk)
            if b"test_fast" in chunk:
                fast_arrived.set()

    reading = asyncio.create_task(browser())
    await fast_arrived.wait()
    reading.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reading
    await asyncio.sleep(0)
    assert cancelled == ["test_slow"]
    assert len(received) == 2


async def test_csp_nonce_of_the_streamed_shell_is_in_the_header(gated_widgets):
    gate, _ = gated_widgets
    gate.set()
    response = await AsyncClient().get("/")
    html = "".join(await chunks_of(response))
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'src="/static/django_htmx/htmx-2.min.js" defer nonce="{nonce}"' in html
    assert '"allowEval":false' in html


async def test_every_layout_widget_is_placed_with_the_page_filters():
    placed = views.place_widgets({"range": "30d", "currency": "GBP"})
    assert [item.widget.name for item in placed] == [tile.widget for tile in DEMO_LAYOUT]
    params = {item.widget.name: item.params for item in placed}
    assert params["revenue"] == {"range": "30d", "currency": "GBP"}
    assert params["orders_over_time"] == {"range": "30d"}
    assert params["fx_rates"] == {}


async def test_invalid_filter_names_field_and_value_and_falls_back_to_defaults(gated_widgets):
    gated_widgets[0].set()
    response = await AsyncClient().get("/?range=1y&currency=USD")
    assert response.status_code == 400
    html = "".join(await chunks_of(response))
    assert "<strong>range</strong> = “1y”" in html
    assert 'role="alert"' in html
    assert '<option value="7d" selected>' in html
    assert '<option value="USD" selected>' in html


async def test_filter_change_through_htmx_gets_only_the_dashboard_with_lazy_widgets():
    response = await AsyncClient().get(
        "/?range=24h&currency=EUR", headers={"HX-Request": "true", "HX-Target": "dashboard"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<main id="dashboard"')
    assert "<html" not in html
    assert html.count('hx-trigger="load"') == len(DEMO_LAYOUT)
    assert 'hx-get="/widgets/revenue/?range=24h&amp;currency=EUR"' in html
    assert 'hx-get="/widgets/orders_over_time/?range=24h"' in html
    assert "HX-Request" in response["Vary"]


async def test_every_page_view_gets_its_own_nonce_in_the_html_and_the_header(gated_widgets):
    gated_widgets[0].set()
    nonces = set()
    for _ in range(2):
        response = await AsyncClient().get("/?range=24h")
        html = "".join(await chunks_of(response))
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        assert f'defer nonce="{nonce}"' in html
        assert views.NONCE_SLOT not in html
        nonces.add(nonce)
    assert len(nonces) == 2


async def test_a_page_whose_widgets_are_all_fresh_in_the_cache_is_one_plain_response(gated_widgets):
    gated_widgets[0].set()
    first = await AsyncClient().get("/?range=30d")
    assert first.streaming
    await chunks_of(first)  # loads both widgets into the cache
    second = await AsyncClient().get("/?range=30d")
    assert not second.streaming
    html = second.content.decode()
    assert html.count('data-state="ready"') == 2
    assert html.index("tile--arrived-1") < html.index("tile--arrived-2")  # layout order without CSS
    assert html.rstrip().endswith("</html>")
    assert int(second["Content-Length"]) == len(second.content)


async def test_fresh_tiles_are_made_once_per_load_and_age_in_seconds(gated_widgets, monkeypatch):
    gated_widgets[0].set()
    await chunks_of(await AsyncClient().get("/?range=90d"))  # loads both widgets into the cache
    now = time.time()
    monkeypatch.setattr(widget_cache, "clock", lambda: now)
    made = []
    result_frame = views.result_frame
    monkeypatch.setattr(
        views, "result_frame", lambda widget, *args: made.append(widget.name) or result_frame(widget, *args)
    )

    first = (await AsyncClient().get("/?range=90d")).content.decode()
    second = (await AsyncClient().get("/?range=90d")).content.decode()
    assert sorted(made) == ["test_fast", "test_slow"]
    assert first.count('data-age-seconds="0"') == second.count('data-age-seconds="0"') == 2

    monkeypatch.setattr(widget_cache, "clock", lambda: now + 5)
    later = (await AsyncClient().get("/?range=90d")).content.decode()
    assert len(made) == 4
    assert later.count('data-age-seconds="5"') == 2


async def test_kept_tiles_follow_a_layout_change_of_the_same_widgets(gated_widgets, monkeypatch):
    gated_widgets[0].set()
    await chunks_of(await AsyncClient().get("/?range=1y"))  # loads both widgets into the cache
    now = time.time()
    monkeypatch.setattr(widget_cache, "clock", lambda: now)
    before = (await AsyncClient().get("/?range=1y")).content.decode()
    monkeypatch.setattr(views, "DEMO_LAYOUT", [Tile("test_slow", span=2), Tile("test_fast")])
    after = (await AsyncClient().get("/?range=1y")).content.decode()
    assert "tile--span-2 slot-1 tile--arrived-1" not in before
    assert "tile--span-2 slot-1 tile--arrived-1" in after


async def test_widgets_already_fresh_go_out_with_the_shell_and_the_rest_stream(gated_widgets):
    gate, _ = gated_widgets
    first = await AsyncClient().get("/?range=90d")
    stream = aiter(first.streaming_content)
    await anext(stream)
    await anext(stream)  # test_fast has arrived, so it is now in the cache; test_slow still waits
    second = await AsyncClient().get("/?range=90d")
    assert second.streaming
    shell = (await anext(aiter(second.streaming_content))).decode()
    assert 'data-widget="test_fast"' in shell
    assert "tile--placeholder" in shell
    assert 'data-widget="test_slow"' not in shell
    gate.set()
    assert 'data-widget="test_slow"' in "".join(await chunks_of(second))
    await chunks_of(first)


def test_filters_read_from_the_address_are_validated_once_per_combination():
    query = QueryDict("range=24h&currency=GBP")
    filters._valid_filters.clear()
    full_clean = filters.FiltersForm.full_clean
    with mock.patch.object(filters.FiltersForm, "full_clean", autospec=True, side_effect=full_clean) as valid:
        first, _ = filters.parse_filters(query)
        first["range"] = "changed by a caller"
        second, errors = filters.parse_filters(query)
    assert second == {"range": "24h", "currency": "GBP"}
    assert errors == []
    assert valid.call_count == 1


def test_invalid_filters_are_validated_every_time_and_named():
    for _ in range(2):
        values, errors = filters.parse_filters(QueryDict("range=1y"))
        assert values["range"] == "7d"
        assert [(error.field, error.value) for error in errors] == [("range", "1y")]


RATES = {"amount": 1.0, "base": "EUR", "date": "2026-11-25", "rates": {"USD": 1.08}}


@pytest.fixture
def fx_rates_page(monkeypatch, settings):
    """The page with one widget, the FX rates, whose upstream respx answers."""
    monkeypatch.setattr(views, "DEMO_LAYOUT", [Tile("fx_rates")])
    settings.RATES_API_URL = "http://rates.test"
    with respx.mock(assert_all_called=False) as upstream:
        yield upstream.get("http://rates.test/latest").mock(return_value=httpx.Response(200, json=RATES))


async def test_the_page_answers_once_its_widgets_have_sent_their_requests(fx_rates_page, monkeypatch):
    requested_when_answering = []
    stream_page = views.stream_page

    def recording_stream_page(*args):
        requested_when_answering.append(fx_rates_page.called)
        return stream_page(*args)

    monkeypatch.setattr(views, "stream_page", recording_stream_page)
    response = await AsyncClient().get("/")
    page = "".join(await chunks_of(response))
    assert requested_when_answering == [True]
    assert 'data-widget="fx_rates"' in page
    assert 'data-state="ready"' in page


async def test_a_widget_slow_to_start_its_sources_holds_the_page_back_no_longer_than_the_limit(
    gated_widgets, settings
):
    # The gated widget never reaches its sources until let go: the page answers at the limit.
    gate, _ = gated_widgets
    settings.WIDGETS_PAGE_SEND_FIRST_WAIT = 0.2
    started = time.monotonic()
    response = await AsyncClient().get("/")
    answered_after = time.monotonic() - started
    gate.set()
    page = "".join(await chunks_of(response))
    assert 0.2 <= answered_after < 1.0
    assert page.count('data-state="ready"') == 2


async def test_without_a_wait_the_page_answers_at_once(gated_widgets, settings):
    gate, _ = gated_widgets
    settings.WIDGETS_PAGE_SEND_FIRST_WAIT = 0
    started = time.monotonic()
    response = await AsyncClient().get("/")
    assert time.monotonic() - started < 0.1
    gate.set()
    assert "".join(await chunks_of(response)).count('data-state="ready"') == 2
