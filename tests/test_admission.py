"""Admission: a process runs at most WIDGETS_MAX_LOADS_IN_FLIGHT distinct loads; one more gets a fast 503.

Requests that join a load in flight, or that the cache answers, are never
refused; every load gives its place back however it ends.
"""

import asyncio
import re
import time
from typing import ClassVar

import pytest
from django import forms
from django.test import AsyncClient

from tests.test_cache import FakeClock
from widgets import Dashboard, Tile, dashboards, register
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.cache import Overloaded, get_or_load, widget_cache
from widgets.registry import registry
from widgets.sources import Source, SourceError, SourcesFailed, gather_sources

HTMX = {"HX-Request": "true"}
BOUND = 3
# A guard against a hang, far above what an answer takes: a request that is not refused waits for the gate.
ANSWER_WITHIN = 5.0


class ShardForm(forms.Form):
    shard = forms.IntegerField(min_value=0)


class GatedShardWidget(KpiWidget):
    """A load per shard (a key each) that waits for the class's ``gate``, then ends as ``ending`` says."""

    name = "gated_shard"
    title = "Gated shard"
    public = True  # whoever is logged in: admission is under test
    params_form = ShardForm
    refresh_seconds = 30
    gate: ClassVar[asyncio.Event] = asyncio.Event()
    started: ClassVar[list[int]] = []
    # How a load ends once the gate opens: "value", "failure", "exception" or "timeout".
    ending = "value"

    async def load(self, params):
        type(self).started.append(params["shard"])
        await type(self).gate.wait()
        if self.ending == "failure":
            raise SourcesFailed([SourceError("shards-api", "upstream answered HTTP 500")])
        if self.ending == "exception":
            raise RuntimeError("a bug in the widget")
        if self.ending == "timeout":
            await gather_sources(Source("shards-api", asyncio.Event().wait, deadline=0.01))
        return {"kpis": [Kpi("Shard", str(params["shard"]))]}


class OverloadDashboard(Dashboard):
    slug = "overload"
    title = "Overload"
    public = True
    layout = (Tile("gated_shard", params={"shard": "1"}), Tile("gated_shard", params={"shard": "2"}))


@pytest.fixture
def shards(settings, monkeypatch):
    """The gated widget registered, a fresh gate and start list, and the bound set to ``BOUND``."""
    settings.WIDGETS_REDIS_URL = None
    settings.WIDGETS_MAX_LOADS_IN_FLIGHT = BOUND
    settings.WIDGETS_SOURCE_TIMEOUT = 2.0
    monkeypatch.setattr(GatedShardWidget, "gate", asyncio.Event())
    monkeypatch.setattr(GatedShardWidget, "started", [])
    registry.register(GatedShardWidget)
    yield GatedShardWidget
    registry.unregister(GatedShardWidget.name)


def request_shard(shard):
    """The widget for ``shard``, requested by htmx, in a task of its own."""
    return asyncio.create_task(AsyncClient().get(f"/widgets/gated_shard/?shard={shard}", headers=HTMX))


async def until_started(widget: type[GatedShardWidget], count: int, within: float = 5.0) -> None:
    """Wait until ``count`` loads have started (bounded polling)."""
    deadline = time.monotonic() + within
    while len(widget.started) < count:
        assert time.monotonic() < deadline, f"{len(widget.started)} of {count} loads started"
        await asyncio.sleep(0.005)


async def saturate(widget: type[GatedShardWidget], first_shard: int = 100):
    """``BOUND`` requests for distinct shards, their loads in flight and waiting for the gate."""
    requests = [request_shard(first_shard + number) for number in range(BOUND)]
    await until_started(widget, len(widget.started) + BOUND)
    return requests


async def get(path: str, headers: dict[str, str] | None = None):
    """GET ``path``; fails, rather than hangs, if no answer comes (a load waiting for the gate)."""
    async with asyncio.timeout(ANSWER_WITHIN):
        return await AsyncClient().get(path, headers=headers or {})


def state_of(body: str) -> str | None:
    match = re.search(r'<section [^>]*data-state="(\w+)"', body)
    return match[1] if match else None


async def test_past_the_bound_a_new_distinct_load_gets_503_with_retry_after_and_the_overloaded_fragment(
    shards,
):
    in_flight = await saturate(shards)

    refused = await get("/widgets/gated_shard/?shard=7", HTMX)

    body = refused.content.decode()
    assert refused.status_code == 503
    assert refused["Retry-After"] == "2"  # the source deadline, in whole seconds
    assert state_of(body) == "overloaded"
    assert "The server is busy right now." in body
    assert "will try again in 2 s" in body
    # It asks again, after the wait, from its own URL: never left loading.
    assert 'hx-get="/widgets/gated_shard/?shard=7" hx-trigger="load delay:2s"' in body
    assert 'aria-busy="false"' in body
    assert "Traceback" not in body
    assert 7 not in shards.started
    shards.gate.set()
    assert {(await request).status_code for request in in_flight} == {200}


async def test_the_refused_plain_request_gets_the_widget_page_with_503_and_retry_after(shards):
    in_flight = await saturate(shards)
    refused = await get("/widgets/gated_shard/?shard=7")
    body = refused.content.decode()
    assert (refused.status_code, refused["Retry-After"]) == (503, "2")
    assert body.startswith("<!doctype html>")
    assert 'data-state="overloaded"' in body
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in body  # without JavaScript too
    shards.gate.set()
    await asyncio.gather(*in_flight)


async def test_a_request_joining_a_load_in_flight_is_not_refused_while_the_bound_is_reached(shards):
    in_flight = await saturate(shards)
    joining = [request_shard(100) for _ in range(20)]  # the first shard's load is in flight
    await asyncio.sleep(0.05)
    assert not any(request.done() for request in joining)  # waiting for the load, not refused

    shards.gate.set()
    answers = await asyncio.gather(*in_flight, *joining)

    assert {answer.status_code for answer in answers} == {200}
    assert {state_of(answer.content.decode()) for answer in answers} == {"ready"}
    assert sorted(shards.started) == [100, 101, 102]


async def test_fresh_and_stale_values_are_served_while_the_bound_is_reached(shards, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(widget_cache, "clock", clock)
    shards.gate.set()
    for shard in (1, 2):
        assert (await get(f"/widgets/gated_shard/?shard={shard}", HTMX)).status_code == 200
    shards.gate = asyncio.Event()
    in_flight = await saturate(shards)
    clock.advance(15)  # shard 1 is still fresh (30 s) ...
    fresh = await get("/widgets/gated_shard/?shard=1", HTMX)
    clock.advance(30)  # ... shard 2 now stale, and its refresh cannot start
    stale = await get("/widgets/gated_shard/?shard=2", HTMX)

    assert (fresh.status_code, state_of(fresh.content.decode())) == (200, "ready")
    assert (stale.status_code, state_of(stale.content.decode())) == (200, "stale")
    assert 'data-kpi="shard">2<' in stale.content.decode()
    assert sorted(shards.started) == [1, 2, 100, 101, 102]  # no refresh was started
    shards.gate.set()
    await asyncio.gather(*in_flight)


@pytest.mark.parametrize("ending", ["value", "failure", "exception", "timeout"])
async def test_every_load_gives_its_place_back_however_it_ends(shards, monkeypatch, ending):
    monkeypatch.setattr(GatedShardWidget, "ending", ending)
    in_flight = await saturate(shards)
    assert widget_cache.admission.in_flight == BOUND

    shards.gate.set()
    answers = await asyncio.gather(*in_flight)

    assert {answer.status_code for answer in answers} == {200}
    assert widget_cache.admission.in_flight == 0
    shards.gate = asyncio.Event()
    again = await saturate(shards, first_shard=200)  # as many distinct loads as before: none refused
    shards.gate.set()
    assert {(await request).status_code for request in again} == {200}


async def test_a_load_everyone_left_gives_its_place_back_once_cancelled(shards):
    in_flight = await saturate(shards)
    for request in in_flight:
        request.cancel()
    await asyncio.gather(*in_flight, return_exceptions=True)
    await widget_cache.wait_for_loads()

    assert widget_cache.admission.in_flight == 0
    again = await saturate(shards, first_shard=200)
    shards.gate.set()
    assert {(await request).status_code for request in again} == {200}


async def test_uncached_loads_count_too_and_give_their_place_back(shards, settings):
    settings.WIDGETS_CACHE_ENABLED = False
    in_flight = await saturate(shards)

    with pytest.raises(Overloaded) as refusal:
        async with asyncio.timeout(ANSWER_WITHIN):
            await get_or_load(registry.get("gated_shard"), {"shard": 7})
    shards.gate.set()
    await asyncio.gather(*in_flight)

    assert refusal.value.retry_after_seconds == 2
    assert widget_cache.admission.in_flight == 0


async def test_a_bound_of_zero_admits_every_load(shards, settings):
    settings.WIDGETS_MAX_LOADS_IN_FLIGHT = 0
    requests = [request_shard(shard) for shard in range(3 * BOUND)]
    await until_started(shards, 3 * BOUND)
    shards.gate.set()
    assert {(await request).status_code for request in requests} == {200}


async def test_retry_after_is_at_least_one_second(shards, settings):
    settings.WIDGETS_SOURCE_TIMEOUT = 0.2
    in_flight = await saturate(shards)
    refused = await get("/widgets/gated_shard/?shard=7", HTMX)
    assert refused["Retry-After"] == "1"
    shards.gate.set()
    await asyncio.gather(*in_flight)


@pytest.fixture
def overload_dashboard(shards):
    register(OverloadDashboard)
    yield
    dashboards.unregister(OverloadDashboard.slug)


async def test_a_page_tile_whose_load_is_refused_shows_the_overloaded_frame_and_the_page_still_renders(
    shards, overload_dashboard, settings
):
    settings.WIDGETS_MAX_LOADS_IN_FLIGHT = 1
    response = await AsyncClient().get("/dashboards/overload/")
    chunks = aiter(response.streaming_content)
    shell = (await anext(chunks)).decode()
    shards.gate.set()
    html = shell + "".join([chunk.decode() async for chunk in chunks])

    arrived = re.findall(r'tile--arrived-\d+">\s*<section [^>]*data-state="(\w+)"', html)
    assert response.status_code == 200
    assert html.rstrip().endswith("</html>")
    assert sorted(arrived) == ["overloaded", "ready"]
    assert 'hx-trigger="load delay:2s"' in html
    assert shards.started == [1]
