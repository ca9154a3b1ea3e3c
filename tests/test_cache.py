"""The widget cache: keys, fresh hits, stale-while-revalidate, stale-if-error, Redis and its failures."""

import asyncio
import logging
import socket
import time

import pytest
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.test import AsyncClient, AsyncRequestFactory
from redis.asyncio import Redis

from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.cache import (
    CacheEntry,
    LoadFailure,
    WidgetCache,
    cache_key,
    cache_policy,
    codec,
    get_or_load,
    widget_cache,
)
from widgets.cache.store import OBJECT_BYTES, REFERENCE_BYTES, estimated_bytes
from widgets.registry import registry
from widgets.render.frames import WidgetFrame
from widgets.sources import SourceError, SourcesFailed

HTMX = {"HX-Request": "true"}
# Not 15: bench/ uses that one.
FX_FAILED = SourcesFailed([SourceError("fx-rates", "upstream answered HTTP 500")])


class CountingWidget(KpiWidget):
    """Counts its loads; can be made to wait for ``gate`` or to fail with ``failure``."""

    name = "counting"
    title = "Counting"
    refresh_seconds = 30

    def __init__(self) -> None:
        self.loads: list[dict[str, str]] = []
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()
        self.failure: Exception | None = None

    async def load(self, params):
        self.loads.append(dict(params))
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        return {"kpis": [Kpi("Load", f"#{len(self.loads)}")]}


class OtherWidget(CountingWidget):
    name = "other"


class FakeClock:
    """Seconds since the epoch that move only when a test says so."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(widget_cache, "clock", fake)
    return fake


@pytest.fixture
def widget():
    registry.register(CountingWidget)
    yield registry.get("counting")
    registry.unregister("counting")


def kpi_value(result):
    return result.value["kpis"][0].value


# Keys


def test_same_params_in_another_order_share_a_key():
    widget = CountingWidget()
    assert cache_key(widget, {"range": "7d", "currency": "USD"}) == cache_key(
        widget, {"currency": "USD", "range": "7d"}
    )


@pytest.mark.parametrize(
    "other", [{"range": "30d", "currency": "USD"}, {"range": "7d", "currency": "EUR"}, {"range": "7d"}]
)
def test_different_params_get_different_keys(other):
    widget = CountingWidget()
    assert cache_key(widget, {"range": "7d", "currency": "USD"}) != cache_key(widget, other)


def test_different_widgets_with_the_same_params_get_different_keys():
    assert cache_key(CountingWidget(), {"range": "7d"}) != cache_key(OtherWidget(), {"range": "7d"})


def test_key_is_the_widget_name_and_a_short_hash_under_a_versioned_prefix(settings):
    settings.WIDGETS_CACHE_KEY_PREFIX = "shop"
    prefix, version, name, digest = cache_key(CountingWidget(), {"range": "7d"}).split(":")
    assert (prefix, version, name) == ("shop", "v2", "counting")
    assert len(digest) == 16
    assert int(digest, 16) >= 0


def test_equal_values_of_other_types_get_other_keys_and_lists_get_keys_too():
    widget = CountingWidget()
    keys = {cache_key(widget, {"top": value}) for value in (1, 1.0, True, "1")}
    assert len(keys) == 4
    assert cache_key(widget, {"top": 1}) in keys  # asked again: the same key
    assert cache_key(widget, {"tags": ["a", "b"]}) == cache_key(widget, {"tags": ["a", "b"]})
    assert cache_key(widget, {"tags": ["a", "b"]}) != cache_key(widget, {"tags": ["b", "a"]})


# Policy


@pytest.mark.parametrize(
    ("attributes", "fresh", "stale"),
    [
        ({"refresh_seconds": 30}, 30, 300),
        ({"refresh_seconds": 60}, 60, 600),
        ({"refresh_seconds": 60, "cache_seconds": 10}, 10, 300),
        ({"refresh_seconds": 60, "stale_seconds": 0}, 60, 0),
        ({"refresh_seconds": 60, "cache_seconds": 0}, 0, 0),
    ],
)
def test_cache_policy_defaults_to_the_refresh_interval_and_ten_times_that_stale(attributes, fresh, stale):
    widget_class = type("PolicyWidget", (CountingWidget,), attributes)
    policy = cache_policy(widget_class())
    assert (policy.fresh_seconds, policy.stale_seconds) == (fresh, stale)


# Fresh hits


async def test_fresh_hit_does_not_call_load(in_process, clock):
    widget = CountingWidget()
    first = await get_or_load(widget, {"range": "7d"})
    clock.advance(29)
    second = await get_or_load(widget, {"range": "7d"})
    assert len(widget.loads) == 1
    assert (second.state, kpi_value(second)) == ("ready", "#1")
    assert second.age_seconds == 29
    assert second.loaded_at == first.loaded_at


async def test_other_params_are_loaded_separately(in_process):
    widget = CountingWidget()
    await get_or_load(widget, {"range": "7d"})
    await get_or_load(widget, {"range": "30d"})
    assert widget.loads == [{"range": "7d"}, {"range": "30d"}]


def count_orders_in_a_thread() -> int:
    return 42


class ThreadedWidget(KpiWidget):
    """Loads through ``sync_to_async``, like the ORM: every load is a thread hop."""

    name = "threaded"
    title = "Threaded"

    async def load(self, params):
        count = await sync_to_async(count_orders_in_a_thread)()
        return {"kpis": [Kpi("Orders", str(count))]}


@pytest.mark.parametrize("backend", ["in-process", "redis"])
async def test_fresh_hit_makes_no_thread_hop(settings, redis_db, thread_hops, backend):
    if backend == "in-process":
        settings.WIDGETS_REDIS_URL = None
    registry.register(ThreadedWidget)
    try:
        handler = ASGIHandler()
        request = AsyncRequestFactory().get("/widgets/threaded/", headers=HTMX)
        first = await handler.get_response_async(request)
        assert thread_hops == ["count_orders_in_a_thread"]  # the detector sees a load's hop
        thread_hops.clear()
        second = await handler.get_response_async(
            AsyncRequestFactory().get("/widgets/threaded/", headers=HTMX)
        )
    finally:
        registry.unregister("threaded")
    assert b'data-state="ready"' in first.content
    assert b'data-state="ready"' in second.content
    assert thread_hops == []


# Stale while revalidate


async def test_stale_value_is_served_at_once_and_starts_exactly_one_refresh(in_process, clock, settings):
    settings.WIDGETS_CACHE_REVALIDATE_WAIT = 0
    widget = CountingWidget()
    await get_or_load(widget, {})
    clock.advance(45)
    widget.gate, widget.started = asyncio.Event(), asyncio.Event()

    results = await asyncio.gather(*(get_or_load(widget, {}) for _ in range(5)))

    assert {(result.state, kpi_value(result), result.age_seconds) for result in results} == {
        ("stale", "#1", 45)
    }
    await widget.started.wait()
    widget.gate.set()
    await widget_cache.wait_for_loads()
    assert len(widget.loads) == 2
    refreshed = await get_or_load(widget, {})
    assert (refreshed.state, kpi_value(refreshed), refreshed.age_seconds) == ("ready", "#2", 0)


async def test_stale_page_shows_the_age_and_keeps_polling(in_process, clock, settings, widget):
    settings.WIDGETS_CACHE_REVALIDATE_WAIT = 0
    await AsyncClient().get("/widgets/counting/", headers=HTMX)
    clock.advance(125)
    widget.gate = asyncio.Event()  # the refresh stays pending while the page renders

    body = (await AsyncClient().get("/widgets/counting/", headers=HTMX)).content.decode()

    widget.gate.set()
    await widget_cache.wait_for_loads()
    assert 'data-state="stale"' in body
    assert 'data-age-seconds="125"' in body
    assert "updated 2 min ago</time>" in body
    assert 'data-kpi="load">#1<' in body
    assert 'hx-trigger="every 30s"' in body
    assert "The latest refresh did not complete" not in body


@pytest.mark.parametrize(
    ("age", "label"),
    [
        (0, "just now"),
        (4, "just now"),
        (45, "45 s ago"),
        (60, "1 min ago"),
        (3599, "59 min ago"),
        (7200, "2 h ago"),
    ],
)
def test_stale_frame_says_how_old_its_values_are(age, label):
    frame = WidgetFrame("counting", "Counting", "stale", "/widgets/counting/", age_seconds=age)
    assert frame.age_label == label


async def test_refresh_that_finishes_within_the_wait_is_served_fresh(in_process, clock, settings):
    settings.WIDGETS_CACHE_REVALIDATE_WAIT = 5
    widget = CountingWidget()
    await get_or_load(widget, {})
    clock.advance(45)
    result = await get_or_load(widget, {})
    assert (result.state, kpi_value(result)) == ("ready", "#2")


async def test_refresh_slower_than_the_wait_serves_stale_and_carries_on(in_process, clock, settings):
    settings.WIDGETS_CACHE_REVALIDATE_WAIT = 0.02
    widget = CountingWidget()
    await get_or_load(widget, {})
    clock.advance(45)
    widget.gate = asyncio.Event()

    result = await get_or_load(widget, {})

    assert (result.state, kpi_value(result)) == ("stale", "#1")
    widget.gate.set()
    await widget_cache.wait_for_loads()
    assert kpi_value(await get_or_load(widget, {})) == "#2"


async def test_refresh_runs_on_when_the_request_that_started_it_goes_away(in_process, clock, settings):
    settings.WIDGETS_CACHE_REVALIDATE_WAIT = 5
    widget = CountingWidget()
    await get_or_load(widget, {})
    clock.advance(45)
    widget.gate, widget.started = asyncio.Event(), asyncio.Event()
    request = asyncio.create_task(get_or_load(widget, {}))
    await widget.started.wait()

    request.cancel()
    await asyncio.gather(request, return_exceptions=True)
    widget.gate.set()
    await widget_cache.wait_for_loads()

    assert kpi_value(await get_or_load(widget, {})) == "#2"


# Stale if error, and errors


async def test_failed_refresh_serves_the_stale_value_naming_the_failing_source(in_process, clock, widget):
    await AsyncClient().get("/widgets/counting/", headers=HTMX)
    clock.advance(45)
    widget.failure = FX_FAILED

    response = await AsyncClient().get("/widgets/counting/", headers=HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-state="stale"' in body
    assert 'data-kpi="load">#1<' in body
    assert "Showing the last values received. The latest refresh did not complete:" in body
    assert '<strong data-source="fx-rates">fx-rates</strong>: upstream answered HTTP 500' in body
    assert "updated 45 s ago" in body


async def test_stale_value_keeps_naming_the_failure_until_a_refresh_succeeds(in_process, clock, settings):
    settings.WIDGETS_CACHE_REVALIDATE_WAIT = 0
    widget = CountingWidget()
    await get_or_load(widget, {})
    clock.advance(45)
    widget.failure = FX_FAILED
    await get_or_load(widget, {})  # starts the refresh that fails
    await widget_cache.wait_for_loads()

    clock.advance(1)
    still_failing = await get_or_load(widget, {})
    clock.advance(10)  # past the error window: the next request refreshes again, and that works
    widget.failure = None
    await get_or_load(widget, {})
    await widget_cache.wait_for_loads()
    recovered = await get_or_load(widget, {})

    assert (still_failing.state, [error.source for error in still_failing.errors]) == ("stale", ["fx-rates"])
    assert (recovered.state, kpi_value(recovered), recovered.errors) == ("ready", "#3", [])


async def test_error_with_an_empty_cache_renders_the_error_state(in_process, widget):
    widget.failure = FX_FAILED
    body = (await AsyncClient().get("/widgets/counting/", headers=HTMX)).content.decode()
    assert 'data-state="error"' in body
    assert '<strong data-source="fx-rates">fx-rates</strong>: upstream answered HTTP 500' in body
    assert "data-age-seconds" not in body


async def test_unexpected_exception_is_logged_and_shown_as_an_internal_error(in_process, caplog):
    widget = CountingWidget()
    widget.failure = ZeroDivisionError("boom")
    with caplog.at_level(logging.ERROR, logger="widgets.cache"):
        result = await get_or_load(widget, {})
    assert result.state == "error"
    assert [(error.source, error.reason) for error in result.errors] == [
        ("counting", "internal error while loading")
    ]
    assert "Widget counting failed outside its sources" in caplog.text


async def test_recent_failure_is_reused_briefly_instead_of_loading_again(in_process, clock):
    widget = CountingWidget()
    widget.failure = FX_FAILED
    first = await get_or_load(widget, {})
    clock.advance(4)
    second = await get_or_load(widget, {})
    assert len(widget.loads) == 1
    assert second.state == first.state == "error"
    assert [error.source for error in second.errors] == ["fx-rates"]


async def test_failure_is_never_stored_as_a_value(in_process, clock):
    widget = CountingWidget()
    widget.failure = FX_FAILED
    await get_or_load(widget, {})
    clock.advance(6)  # past WIDGETS_CACHE_ERROR_SECONDS
    widget.failure = None
    result = await get_or_load(widget, {})
    assert (result.state, kpi_value(result)) == ("ready", "#2")


async def test_value_past_the_stale_window_is_not_served(in_process, clock):
    widget = CountingWidget()
    await get_or_load(widget, {})
    clock.advance(30 + 300)
    widget.failure = FX_FAILED
    result = await get_or_load(widget, {})
    assert (result.state, result.value) == ("error", None)


# Switches and bounds


async def test_disabled_cache_loads_on_every_request(in_process, settings):
    settings.WIDGETS_CACHE_ENABLED = False
    widget = CountingWidget()
    await get_or_load(widget, {})
    result = await get_or_load(widget, {})
    assert (len(widget.loads), result.state) == (2, "ready")


async def test_cache_seconds_zero_turns_caching_off_for_the_widget(in_process):
    widget = type("Uncached", (CountingWidget,), {"cache_seconds": 0})()
    await get_or_load(widget, {})
    await get_or_load(widget, {})
    assert len(widget.loads) == 2


async def test_in_process_store_keeps_the_most_recently_used_entries(in_process, settings):
    settings.WIDGETS_CACHE_MAX_ENTRIES = 2
    widget = CountingWidget()
    for params in ({"range": "7d"}, {"range": "30d"}, {"range": "7d"}, {"range": "90d"}):
        await get_or_load(widget, params)
    await get_or_load(widget, {"range": "7d"})  # still there
    await get_or_load(widget, {"range": "30d"})  # pushed out by 90d
    assert [load["range"] for load in widget.loads] == ["7d", "30d", "90d", "30d"]


def slot_bytes(widget, params, value) -> int:
    """What the in-process store counts for a value: the slot, its key, and the value's estimate."""
    return OBJECT_BYTES + len(cache_key(widget, params)) + estimated_bytes(value)


async def test_in_process_store_keeps_at_most_its_bytes_forgetting_the_least_recently_used(
    in_process, settings
):
    widget = CountingWidget()
    one_value = slot_bytes(widget, {"range": "7d"}, {"kpis": [Kpi("Load", "#1")]})
    settings.WIDGETS_CACHE_MAX_BYTES = 2 * one_value + one_value // 2  # room for two values
    for params in ({"range": "7d"}, {"range": "30d"}, {"range": "7d"}, {"range": "90d"}):
        await get_or_load(widget, params)
    await get_or_load(widget, {"range": "7d"})  # still there
    await get_or_load(widget, {"range": "30d"})  # pushed out by 90d
    assert [load["range"] for load in widget.loads] == ["7d", "30d", "90d", "30d"]


async def test_a_value_larger_than_the_stores_bytes_is_served_but_not_kept(in_process, settings):
    class BigWidget(CountingWidget):
        async def load(self, params):
            await super().load(params)
            return {"kpis": [Kpi("Big", "x" * 10_000)]}

    widget = BigWidget()
    settings.WIDGETS_CACHE_MAX_BYTES = 10_000
    await get_or_load(widget, {"range": "7d"})
    result = await get_or_load(widget, {"range": "7d"})
    assert (len(widget.loads), result.state, len(result.value["kpis"][0].value)) == (2, "ready", 10_000)


async def test_a_big_value_pushes_out_as_many_small_ones_as_it_needs(in_process, settings):
    small = CountingWidget()
    small_value = slot_bytes(small, {"range": "7d"}, {"kpis": [Kpi("Load", "#1")]})
    big = type("Big", (CountingWidget,), {"name": "big"})()
    big.load = lambda params: asyncio.sleep(0, {"kpis": [Kpi("Big", "x" * small_value)]})
    settings.WIDGETS_CACHE_MAX_BYTES = 3 * small_value + small_value // 2
    for params in ({"range": "24h"}, {"range": "7d"}, {"range": "30d"}):
        await get_or_load(small, params)
    assert (await get_or_load(big, {})).state == "ready"  # as big as two small values: the oldest two go
    await get_or_load(small, {"range": "30d"})
    await get_or_load(small, {"range": "7d"})
    assert [load["range"] for load in small.loads] == ["24h", "7d", "30d", "7d"]


def test_a_values_estimated_bytes_count_its_text_and_each_object():
    assert estimated_bytes("abc") == OBJECT_BYTES + 3
    assert estimated_bytes(["ab", 1]) == 3 * OBJECT_BYTES + 2 * REFERENCE_BYTES + 2
    assert estimated_bytes({"a": None}) == 3 * OBJECT_BYTES + 3 * REFERENCE_BYTES + 1
    kpi = Kpi("ab", "cd")  # five fields: label, value, change, detail, sparkline
    assert estimated_bytes(kpi) == 6 * OBJECT_BYTES + 5 * 3 * REFERENCE_BYTES + 4


def test_a_container_met_again_is_walked_once_so_a_cycle_ends():
    shared = ["x" * 1000]
    twice = estimated_bytes([shared, shared])
    assert twice < 2 * estimated_bytes(shared)
    cycle: list[object] = []
    cycle.append(cycle)
    assert estimated_bytes(cycle) == 2 * OBJECT_BYTES + REFERENCE_BYTES


async def test_aclose_cache_forgets_every_value(in_process):
    widget = CountingWidget()
    await get_or_load(widget, {})
    await widget_cache.aclose()
    await get_or_load(widget, {})
    assert len(widget.loads) == 2


# Redis


async def test_value_is_shared_through_redis_with_the_fresh_plus_stale_expiry(redis_db):
    widget = CountingWidget()
    await get_or_load(widget, {"range": "7d"})
    other_process = WidgetCache()  # an empty in-process store, the same Redis
    try:
        result = await other_process.get_or_load(widget, {"range": "7d"})
        ttl_ms = await redis_db.pttl(cache_key(widget, {"range": "7d"}))
    finally:
        await other_process.aclose()
    assert (len(widget.loads), result.state, kpi_value(result)) == (1, "ready", "#1")
    assert 329_000 < ttl_ms <= 330_000


async def test_a_value_redis_cannot_decode_is_a_miss(redis_db, caplog):
    widget = CountingWidget()
    await redis_db.set(cache_key(widget, {}), b"not JSON")
    with caplog.at_level(logging.WARNING, logger="widgets.cache"):
        result = await get_or_load(widget, {})
    assert (len(widget.loads), result.state) == (1, "ready")
    assert "cannot be read" in caplog.text


async def test_failure_is_shared_through_redis_but_not_as_a_value(redis_db):
    widget = CountingWidget()
    widget.failure = FX_FAILED
    await get_or_load(widget, {})
    key = cache_key(widget, {})
    assert await redis_db.exists(key) == 0
    failure = codec.loads(await redis_db.get(f"{key}:failure"), LoadFailure)
    assert failure.errors == (("fx-rates", "upstream answered HTTP 500"),)


async def test_redis_client_belongs_to_the_event_loop_it_was_made_in(redis_db):
    async def client_of_a_new_loop():
        cache = WidgetCache()
        client = await cache.redis.client(time.time())
        await cache.aclose()
        return client

    other = await asyncio.to_thread(asyncio.run, client_of_a_new_loop())
    assert await widget_cache.redis.client(time.time()) is not other


async def test_redis_down_still_serves_loads_once_per_key_and_warns_once(settings, caplog):
    settings.WIDGETS_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    widget = CountingWidget()
    widget.gate = asyncio.Event()
    with caplog.at_level(logging.WARNING, logger="widgets.cache"):
        requests = [get_or_load(widget, {"range": r}) for r in ("7d", "30d") for _ in range(10)]
        gathering = asyncio.gather(*requests)
        while len(widget.loads) < 2:  # both keys are loading: every request has arrived
            widget.started.clear()
            await widget.started.wait()
        widget.gate.set()
        results = await gathering
        later = await get_or_load(widget, {"range": "7d"})
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert {result.state for result in [*results, later]} == {"ready"}
    assert sorted(load["range"] for load in widget.loads) == ["30d", "7d"]
    assert len(warnings) == 1
    assert "Redis unavailable (ConnectionError" in warnings[0].getMessage()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """A throwaway redis-server of our own, to stop and start again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no"),
            stdout=asyncio.subprocess.DEVNULL,
        )
        probe = Redis.from_url(self.url)
        try:
            for _ in range(500):
                try:
                    await probe.ping()
                    return
                except Exception:
                    await asyncio.sleep(0.01)  # until it listens
            raise RuntimeError("redis-server did not start")
        finally:
            await probe.aclose()

    async def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            await self.process.wait()
            self.process = None


@pytest.fixture
async def own_redis():
    server = RedisServer(free_port())
    await server.start()
    yield server
    await server.stop()


async def test_cache_goes_back_to_redis_after_the_cool_down_once_it_is_back(
    settings, clock, own_redis, caplog
):
    settings.WIDGETS_REDIS_URL = own_redis.url
    widget = CountingWidget()
    await get_or_load(widget, {"range": "24h"})
    await own_redis.stop()

    with caplog.at_level(logging.INFO, logger="widgets.cache"):
        while_down = await get_or_load(widget, {"range": "7d"})
        await own_redis.start()
        clock.advance(1)
        in_cool_down = await get_or_load(widget, {"range": "30d"})
        clock.advance(5)
        after_cool_down = await get_or_load(widget, {"range": "90d"})

    check = Redis.from_url(own_redis.url)
    try:
        stored = {r: await check.exists(cache_key(widget, {"range": r})) for r in ("30d", "90d")}
    finally:
        await check.aclose()
    assert {while_down.state, in_cool_down.state, after_cool_down.state} == {"ready"}
    assert stored == {"30d": 0, "90d": 1}
    messages = [record.getMessage() for record in caplog.records]
    assert sum("Redis unavailable" in message for message in messages) == 1
    assert "Widget cache: Redis is reachable again" in messages


async def test_stored_entry_from_redis_keeps_its_load_time(redis_db, clock):
    widget = CountingWidget()
    key = cache_key(widget, {})
    loaded_elsewhere = CacheEntry({"kpis": [Kpi("Load", "elsewhere")]}, clock.now - 10)
    await redis_db.set(key, codec.dumps(loaded_elsewhere), px=60_000)
    result = await get_or_load(widget, {})
    assert (widget.loads, kpi_value(result), result.age_seconds) == ([], "elsewhere", 10)
