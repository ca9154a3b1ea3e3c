import asyncio
import contextlib
import re
import time
from unittest import mock

import httpx
import pytest
import respx
from django import forms
from django.http import QueryDict
from django.test import AsyncClient

from widgets import Dashboard, NoFilters, PeriodField, Tile, dashboards, http_json, register
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.cache import widget_cache
from widgets.pages import filters, layout, stream, views
from widgets.registry import registry
from widgets.sources import gather_sources

PAGE = "/dashboards/test_page/"


class PageFilters(forms.Form):
    period = PeriodField(initial="7d")
    tone = forms.ChoiceField(choices=[("warm", "Warm"), ("cool", "Cool")], required=False, initial="warm")

    def clean_tone(self) -> str:
        return self.cleaned_data["tone"] or "warm"


class PeriodOnly(forms.Form):
    period = PeriodField(initial="7d")


class TestPageDashboard(Dashboard):
    slug = "test_page"
    title = "Test page"
    description = "Two widgets, slow first."
    filters_form = PageFilters
    layout = (Tile("test_slow"), Tile("test_fast"))


async def chunks_of(response) -> list[str]:
    """The page as it arrived: streamed chunks, or the one body of a page whose widgets were all cached."""
    if not response.streaming:
        return [response.content.decode()]
    return [chunk.decode() async for chunk in response.streaming_content]


@pytest.fixture
def gated_widgets(monkeypatch):
    """A dashboard of two widgets laid out slow first, fast second; the slow one waits for ``gate``."""
    gate = asyncio.Event()
    cancelled = []

    class SlowWidget(KpiWidget):
        name = "test_slow"
        title = "Slow"
        params_form = PageFilters

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
        params_form = PeriodOnly

        async def load(self, params):
            return {"kpis": [Kpi("Fast", "2")]}

    for widget_class in (SlowWidget, FastWidget):
        register(widget_class)
    register(TestPageDashboard)
    monkeypatch.setattr(TestPageDashboard, "layout", (Tile("test_slow"), Tile("test_fast")))
    yield gate, cancelled
    for name in ("test_slow", "test_fast"):
        registry.unregister(name)
    dashboards.unregister("test_page")


async def test_page_streams_the_shell_first_with_each_widget_loading_in_its_slot(gated_widgets):
    gate, _ = gated_widgets
    response = await AsyncClient().get(PAGE)
    assert response.streaming
    stream_ = aiter(response.streaming_content)
    shell = (await anext(stream_)).decode()
    roots = re.findall(r"<section [^>]*data-widget=\"(\w+)\"[^>]*>", shell)
    assert roots == ["test_slow", "test_fast"]
    assert shell.count('data-state="loading"') == 2
    assert shell.count('aria-busy="true"') == 2
    assert not re.search(r"<section [^>]*hx-get", shell)  # the placeholders wait for the stream
    assert "</html>" not in shell
    gate.set()
    rest = "".join([chunk.decode() async for chunk in stream_])
    assert rest.rstrip().endswith("</html>")
    assert 'data-state="loading"' not in rest
    assert "widgets/dashboard.js" in shell  # removes the placeholders once the stream has ended


async def test_widgets_arrive_in_the_order_they_finish_each_in_its_slot(gated_widgets):
    gate, _ = gated_widgets
    response = await AsyncClient().get(PAGE)
    stream_ = aiter(response.streaming_content)
    await anext(stream_)  # the shell
    first = (await anext(stream_)).decode()
    assert 'data-widget="test_fast"' in first
    assert "slot-2 tile--arrived-2" in first
    gate.set()
    second = (await anext(stream_)).decode()
    assert 'data-widget="test_slow"' in second
    assert "slot-1 tile--arrived-1" in second


async def test_streamed_widgets_are_rendered_ready_and_then_poll(gated_widgets):
    gate, _ = gated_widgets
    gate.set()
    html = "".join(await chunks_of(await AsyncClient().get(PAGE)))
    assert html.count('data-state="ready"') == 2
    assert html.count('hx-trigger="every 60s"') == 2
    assert 'hx-trigger="load"' not in html  # placeholders never fetch again


async def test_leaving_the_page_cancels_loads_still_running(gated_widgets):
    # As under ASGI: Django cancels the task streaming the response when the client goes away.
    _, cancelled = gated_widgets
    response = await AsyncClient().get(PAGE)
    received = []
    fast_arrived = asyncio.Event()

    async def browser():
        async for chunk in response.streaming_content:
            received.append(chunk)
            if b"tile--arrived-2" in chunk:
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
    response = await AsyncClient().get(PAGE)
    html = "".join(await chunks_of(response))
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'src="/static/django_htmx/htmx-2.min.js" defer nonce="{nonce}"' in html
    assert '"allowEval":false' in html


async def test_filters_flow_by_name_into_the_widgets_that_take_them(gated_widgets):
    page_filters = filters.read_filters(TestPageDashboard(), QueryDict("range=30d&tone=cool"))
    placed = layout.place(TestPageDashboard(), page_filters)
    assert [item.widget.name for item in placed] == ["test_slow", "test_fast"]
    slow, fast = placed
    assert str(slow.params["period"]) == "30d"
    assert slow.params["tone"] == "cool"
    assert set(fast.params) == {"period"}  # it takes no tone
    assert slow.url == "/widgets/test_slow/?range=30d&tone=cool"
    assert fast.url == "/widgets/test_fast/?range=30d"


async def test_a_tile_with_fixed_parameters_ignores_the_page_filter_of_that_name(gated_widgets, monkeypatch):
    monkeypatch.setattr(
        TestPageDashboard, "layout", (Tile("test_slow", params={"range": "24h"}), Tile("test_fast"))
    )
    page_filters = filters.read_filters(TestPageDashboard(), QueryDict("range=90d&tone=cool"))
    slow, fast = layout.place(TestPageDashboard(), page_filters)
    assert slow.url == "/widgets/test_slow/?range=24h&tone=cool"
    assert fast.url == "/widgets/test_fast/?range=90d"


async def test_a_tile_with_invalid_fixed_parameters_shows_why_and_loads_nothing(gated_widgets, monkeypatch):
    monkeypatch.setattr(
        TestPageDashboard, "layout", (Tile("test_slow", params={"tone": "loud"}), Tile("test_fast"))
    )
    html = "".join(await chunks_of(await AsyncClient().get(PAGE)))
    assert 'data-widget="test_slow" data-state="error"' in re.sub(r"\s+", " ", html)
    assert '<strong data-field="tone">tone</strong> = “loud”' in html
    assert html.count('data-state="ready"') == 1


async def test_a_tile_whose_widget_is_not_registered_is_left_out(gated_widgets, monkeypatch):
    monkeypatch.setattr(TestPageDashboard, "layout", (Tile("test_gone"), Tile("test_fast")))
    html = "".join(await chunks_of(await AsyncClient().get(PAGE)))
    assert "test_gone" not in html
    assert html.count('data-state="ready"') == 1


async def test_invalid_filter_names_field_and_value_and_falls_back_to_defaults(gated_widgets):
    gated_widgets[0].set()
    response = await AsyncClient().get(f"{PAGE}?range=1y&tone=cool")
    assert response.status_code == 400
    html = "".join(await chunks_of(response))
    assert '<strong data-field="range">range</strong> = “1y”' in html
    assert 'role="alert"' in html
    assert '<option value="7d" selected>' in html
    assert '<option value="cool" selected>' in html


async def test_a_custom_range_the_wrong_way_round_is_refused_with_a_message_naming_the_field(gated_widgets):
    gated_widgets[0].set()
    response = await AsyncClient().get(f"{PAGE}?range=custom&from=2026-11-20&to=2026-11-01")
    assert response.status_code == 400
    html = "".join(await chunks_of(response))
    assert '<strong data-field="from">from</strong> = “2026-11-20”' in html
    assert "2026-11-20 is after to (2026-11-01)" in html


async def test_filter_change_through_htmx_gets_only_the_dashboard_with_lazy_widgets(gated_widgets):
    response = await AsyncClient().get(f"{PAGE}?range=24h&tone=warm", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith("<main ")
    assert "<html" not in html
    assert html.count('hx-trigger="load"') == 2
    assert 'hx-get="/widgets/test_slow/?range=24h&amp;tone=warm"' in html
    assert 'hx-get="/widgets/test_fast/?range=24h"' in html
    assert "HX-Request" in response["Vary"]


async def test_every_page_view_gets_its_own_nonce_in_the_html_and_the_header(gated_widgets):
    gated_widgets[0].set()
    nonces = set()
    for _ in range(2):
        response = await AsyncClient().get(f"{PAGE}?range=24h")
        html = "".join(await chunks_of(response))
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        assert f'defer nonce="{nonce}"' in html
        assert stream.NONCE_SLOT not in html
        nonces.add(nonce)
    assert len(nonces) == 2


async def test_a_page_whose_widgets_are_all_fresh_in_the_cache_is_one_plain_response(gated_widgets):
    gated_widgets[0].set()
    first = await AsyncClient().get(f"{PAGE}?range=30d")
    assert first.streaming
    await chunks_of(first)  # loads both widgets into the cache
    second = await AsyncClient().get(f"{PAGE}?range=30d")
    assert not second.streaming
    html = second.content.decode()
    assert html.count('data-state="ready"') == 2
    assert 'data-state="loading"' not in html
    assert html.index("tile--arrived-1") < html.index("tile--arrived-2")  # layout order without CSS
    assert html.rstrip().endswith("</html>")
    assert int(second["Content-Length"]) == len(second.content)


async def test_fresh_tiles_show_the_age_of_their_values(gated_widgets, monkeypatch):
    gated_widgets[0].set()
    await chunks_of(await AsyncClient().get(f"{PAGE}?range=90d"))  # loads both widgets into the cache
    now = time.time()
    monkeypatch.setattr(widget_cache, "clock", lambda: now)
    first = (await AsyncClient().get(f"{PAGE}?range=90d")).content.decode()
    assert first.count('data-age-seconds="0"') == 2

    monkeypatch.setattr(widget_cache, "clock", lambda: now + 5)
    later = (await AsyncClient().get(f"{PAGE}?range=90d")).content.decode()
    assert later.count('data-age-seconds="5"') == 2


async def test_kept_tiles_follow_a_layout_change_of_the_same_widgets(gated_widgets, monkeypatch):
    gated_widgets[0].set()
    await chunks_of(await AsyncClient().get(f"{PAGE}?range=24h"))  # loads both widgets into the cache
    now = time.time()
    monkeypatch.setattr(widget_cache, "clock", lambda: now)
    before = (await AsyncClient().get(f"{PAGE}?range=24h")).content.decode()
    monkeypatch.setattr(TestPageDashboard, "layout", (Tile("test_slow", span=2), Tile("test_fast")))
    after = (await AsyncClient().get(f"{PAGE}?range=24h")).content.decode()
    assert "tile--span-2 slot-1 tile--arrived-1" not in before
    assert "tile--span-2 slot-1 tile--arrived-1" in after


async def test_widgets_already_fresh_go_out_with_the_shell_and_the_rest_stream(gated_widgets):
    gate, _ = gated_widgets
    first = await AsyncClient().get(f"{PAGE}?range=90d")
    stream_ = aiter(first.streaming_content)
    await anext(stream_)
    await anext(stream_)  # test_fast has arrived, so it is now in the cache; test_slow still waits
    second = await AsyncClient().get(f"{PAGE}?range=90d")
    assert second.streaming
    shell = (await anext(aiter(second.streaming_content))).decode()
    assert "tile--arrived-2" in shell
    assert 'data-widget="test_fast"' in shell
    assert "tile--arrived-1" not in shell
    gate.set()
    assert "tile--arrived-1" in "".join(await chunks_of(second))
    await chunks_of(first)


def test_filters_read_from_the_address_are_validated_once_per_combination(gated_widgets):
    query = QueryDict("range=24h&tone=cool")
    full_clean = PageFilters.full_clean
    with mock.patch.object(PageFilters, "full_clean", autospec=True, side_effect=full_clean) as valid:
        first = filters.read_filters(TestPageDashboard(), query)
        second = filters.read_filters(TestPageDashboard(), query)
    assert second is first
    assert second.query == (("range", "24h"), ("tone", "cool"))
    assert second.errors == []
    assert valid.call_count == 1


def test_invalid_filters_are_validated_every_time_and_named(gated_widgets):
    for _ in range(2):
        page_filters = filters.read_filters(TestPageDashboard(), QueryDict("range=1y&tone=cool"))
        assert str(page_filters.values["period"]) == "7d"
        assert page_filters.values["tone"] == "cool"
        assert [(error.field, error.value) for error in page_filters.errors] == [("range", "1y")]


async def test_the_index_lists_every_dashboard_with_its_description(gated_widgets):
    response = await AsyncClient().get("/dashboards/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{PAGE}">Test page</a>' in html
    assert "Two widgets, slow first." in html


async def test_an_unknown_dashboard_is_a_404_page_listing_the_others(gated_widgets):
    response = await AsyncClient().get("/dashboards/no_such_page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "There is no dashboard “no_such_page”" in html
    assert f'href="{PAGE}"' in html


async def test_a_dashboard_without_filters_has_no_filters_form(gated_widgets, monkeypatch):
    gated_widgets[0].set()
    monkeypatch.setattr(TestPageDashboard, "filters_form", NoFilters)
    html = "".join(await chunks_of(await AsyncClient().get(PAGE)))
    assert '<form class="filters"' not in html
    assert html.count('data-state="ready"') == 2


RATES = {"amount": 1.0, "base": "EUR", "date": "2026-11-25", "rates": {"USD": 1.08}}
RATES_URL = "http://127.0.0.1:9/latest"


@pytest.fixture
def rates_page(monkeypatch):
    """The page with one widget whose one source is an upstream respx answers."""

    class RatesKpiWidget(KpiWidget):
        name = "test_rates"
        title = "Rates"

        async def load(self, params):
            values = await gather_sources(http_json("rates", RATES_URL))
            return {"kpis": [Kpi("USD", str(values["rates"]["rates"]["USD"]))]}

    register(RatesKpiWidget)
    register(TestPageDashboard)
    monkeypatch.setattr(TestPageDashboard, "layout", (Tile("test_rates"),))
    with respx.mock(assert_all_called=False) as upstream:
        yield upstream.get(RATES_URL).mock(return_value=httpx.Response(200, json=RATES))
    registry.unregister("test_rates")
    dashboards.unregister("test_page")


async def test_the_page_answers_once_its_widgets_have_sent_their_requests(rates_page, monkeypatch):
    requested_when_answering = []
    stream_page = views.stream_page

    def recording_stream_page(*args):
        requested_when_answering.append(rates_page.called)
        return stream_page(*args)

    monkeypatch.setattr(views, "stream_page", recording_stream_page)
    response = await AsyncClient().get(PAGE)
    page = "".join(await chunks_of(response))
    assert requested_when_answering == [True]
    assert 'data-widget="test_rates"' in page
    assert 'data-state="ready"' in page


async def test_a_widget_slow_to_start_its_sources_holds_the_page_back_no_longer_than_the_limit(
    gated_widgets, settings
):
    # The gated widget never reaches its sources until let go: the page answers at the limit.
    gate, _ = gated_widgets
    settings.WIDGETS_PAGE_SEND_FIRST_WAIT = 0.2
    started = time.monotonic()
    response = await AsyncClient().get(PAGE)
    answered_after = time.monotonic() - started
    gate.set()
    page = "".join(await chunks_of(response))
    assert 0.2 <= answered_after < 1.0
    assert page.count('data-state="ready"') == 2


async def test_without_a_wait_the_page_answers_at_once(gated_widgets, settings):
    gate, _ = gated_widgets
    settings.WIDGETS_PAGE_SEND_FIRST_WAIT = 0
    started = time.monotonic()
    response = await AsyncClient().get(PAGE)
    assert time.monotonic() - started < 0.1
    gate.set()
    assert "".join(await chunks_of(response)).count('data-state="ready"') == 2


@pytest.mark.parametrize("path", [PAGE, "/dashboards/", "/widgets/test_fast/"])
@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
async def test_pages_and_widgets_answer_only_get_and_head(gated_widgets, path, method):
    response = await getattr(AsyncClient(), method)(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("path", ["/dashboards/", "/widgets/test_fast/"])
async def test_head_is_answered_like_get_without_a_body(gated_widgets, path):
    response = await AsyncClient().head(path)
    assert response.status_code == 200
    assert response.content == b""
