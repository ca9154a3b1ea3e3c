"""Single-flight: concurrent requests for one key share one load, in a process and across processes."""

import asyncio
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.asyncio.client import Pipeline, Redis

from tests.conftest import REDIS_TEST_URL
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
from widgets.conf import widget_settings
from widgets.sources import SourceError, SourcesFailed

ROOT = Path(__file__).resolve().parent.parent


class GatedWidget(KpiWidget):
    """Counts its loads, each of which waits for ``gate``."""

    name = "gated"
    title = "Gated"

    def __init__(self) -> None:
        self.loads = 0
        self.cancelled = 0
        self.gate = asyncio.Event()
        self.started = asyncio.Event()

    async def load(self, params):
        self.loads += 1
        self.started.set()
        try:
            await self.gate.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return {"kpis": [Kpi("Loads", str(self.loads))]}


# In one process


@pytest.mark.usefixtures("in_process")
async def test_fifty_concurrent_requests_for_one_key_share_one_load():
    widget = GatedWidget()
    requests = asyncio.gather(*(get_or_load(widget, {"range": "7d"}) for _ in range(50)))
    await widget.started.wait()
    widget.gate.set()
    results = await requests
    assert widget.loads == 1
    assert len({id(result.value) for result in results}) == 1
    assert {result.state for result in results} == {"ready"}


@pytest.mark.usefixtures("in_process")
async def test_requests_for_other_params_do_not_wait_for_each_other():
    widget = GatedWidget()
    first = asyncio.create_task(get_or_load(widget, {"range": "7d"}))
    await widget.started.wait()
    widget.started.clear()
    second = asyncio.create_task(get_or_load(widget, {"range": "30d"}))
    await widget.started.wait()
    assert widget.loads == 2
    widget.gate.set()
    await asyncio.gather(first, second)


@pytest.mark.usefixtures("in_process")
async def test_load_is_cancelled_once_every_request_waiting_for_it_went_away():
    widget = GatedWidget()
    requests = [asyncio.create_task(get_or_load(widget, {})) for _ in range(3)]
    await widget.started.wait()

    requests[0].cancel()
    requests[1].cancel()
    await asyncio.gather(*requests[:2], return_exceptions=True)
    cancelled_while_one_waits = widget.cancelled
    requests[2].cancel()
    await asyncio.gather(requests[2], return_exceptions=True)
    await widget_cache.wait_for_loads()

    assert (cancelled_while_one_waits, widget.cancelled) == (0, 1)


@pytest.mark.usefixtures("in_process")
async def test_request_arriving_while_an_abandoned_load_winds_down_gets_a_load_of_its_own():
    widget = GatedWidget()
    leaving = asyncio.create_task(get_or_load(widget, {}))
    await widget.started.wait()
    widget.started.clear()

    leaving.cancel()  # its load is cancelled when it goes ...
    arriving = asyncio.create_task(get_or_load(widget, {}))  # ... just as this one comes in
    started = asyncio.create_task(widget.started.wait())
    await asyncio.wait([arriving, started], return_when=asyncio.FIRST_COMPLETED)
    started.cancel()
    widget.gate.set()
    result = await arriving

    assert (result.state, widget.loads, widget.cancelled) == ("ready", 2, 1)
    assert leaving.cancelled()


async def test_concurrent_requests_with_redis_share_one_load_and_release_the_lock(redis_db):
    widget = GatedWidget()
    requests = asyncio.gather(*(get_or_load(widget, {}) for _ in range(50)))
    await widget.started.wait()
    assert await redis_db.exists(f"{cache_key(widget, {})}:lock") == 1
    widget.gate.set()
    await requests
    await widget_cache.wait_for_loads()  # the value is published, and the lock released, in the background
    assert widget.loads == 1
    assert await redis_db.exists(f"{cache_key(widget, {})}:lock") == 0


async def test_a_burst_for_one_key_asks_redis_once_and_opens_few_connections(redis_db, monkeypatch):
    widget = GatedWidget()
    asked = []
    read_redis, lock_and_read = WidgetCache._read_redis, WidgetCache._lock_and_read

    async def counting_read(self, client, key, now):
        asked.append("read")
        return await read_redis(self, client, key, now)

    async def counting_lock_and_read(self, *args):
        asked.append("lock and read")
        return await lock_and_read(self, *args)

    monkeypatch.setattr(WidgetCache, "_read_redis", counting_read)
    monkeypatch.setattr(WidgetCache, "_lock_and_read", counting_lock_and_read)
    first = asyncio.gather(*(get_or_load(widget, {}) for _ in range(200)))
    await widget.started.wait()
    # Requests that come while the load is in flight wait for it without asking Redis.
    later = asyncio.gather(*(get_or_load(widget, {}) for _ in range(200)))
    await asyncio.sleep(0.05)
    widget.gate.set()
    results = [*await first, *await later]

    assert widget.loads == 1
    assert {result.state for result in results} == {"ready"}
    # Nothing in the process yet: its one load reads Redis in the round trip that takes the lock.
    assert asked == ["lock and read"]
    clients = await redis_db.client_list()
    assert len(clients) <= widget_settings.REDIS_MAX_CONNECTIONS + 1  # + the test's own


async def test_a_cold_load_makes_one_redis_round_trip_before_it_starts_and_one_after(redis_db, monkeypatch):
    round_trips = []
    execute_command, execute_pipeline = Redis.execute_command, Pipeline.execute

    async def counted_command(self, *args, **options):
        round_trips.append(args[0])
        return await execute_command(self, *args, **options)

    async def counted_pipeline(self, *args, **options):
        round_trips.append("pipeline")
        return await execute_pipeline(self, *args, **options)

    monkeypatch.setattr(Redis, "execute_command", counted_command)
    monkeypatch.setattr(Pipeline, "execute", counted_pipeline)
    widget = GatedWidget()
    request = asyncio.create_task(get_or_load(widget, {}))
    await widget.started.wait()
    before_load = len(round_trips)
    widget.gate.set()
    await request
    await widget_cache.wait_for_loads()

    # Take the lock and read. Then store and release the lock.
    assert (before_load, len(round_trips) - before_load) == (1, 1)
    key = cache_key(widget, {})
    assert (await redis_db.exists(key), await redis_db.exists(f"{key}:lock")) == (1, 0)


async def test_requests_are_answered_before_the_value_is_published_to_redis(redis_db, monkeypatch):
    may_publish = asyncio.Event()
    publish = WidgetCache._publish

    async def held_back_publish(self, *args):
        await may_publish.wait()
        return await publish(self, *args)

    monkeypatch.setattr(WidgetCache, "_publish", held_back_publish)
    widget = GatedWidget()
    widget.gate.set()
    key = cache_key(widget, {})

    result = await get_or_load(widget, {})
    assert result.state == "ready"
    # Other processes find the lock still taken, so they wait for the value rather than load.
    assert (await redis_db.exists(key), await redis_db.exists(f"{key}:lock")) == (0, 1)

    may_publish.set()
    await widget_cache.wait_for_loads()
    assert (await redis_db.exists(key), await redis_db.exists(f"{key}:lock")) == (1, 0)


async def test_a_load_cancelled_because_everyone_left_releases_its_lock(redis_db):
    widget = GatedWidget()
    request = asyncio.create_task(get_or_load(widget, {}))
    await widget.started.wait()
    request.cancel()
    await asyncio.gather(request, return_exceptions=True)
    await widget_cache.wait_for_loads()
    assert widget.cancelled == 1
    assert await redis_db.exists(f"{cache_key(widget, {})}:lock") == 0


async def test_a_value_another_process_stored_is_served_and_the_lock_given_back(redis_db):
    widget = GatedWidget()  # were it to load, it would hang: it must not
    key = cache_key(widget, {})
    entry = codec.dumps(CacheEntry({"kpis": [Kpi("Loads", "from elsewhere")]}, time.time()))
    await redis_db.set(key, entry, px=60_000)

    result = await get_or_load(widget, {})
    await widget_cache.wait_for_loads()

    assert (widget.loads, result.state, result.value["kpis"][0].value) == (0, "ready", "from elsewhere")
    assert await redis_db.exists(f"{key}:lock") == 0


async def test_a_stale_value_in_redis_is_served_with_the_error_when_its_refresh_fails(redis_db):
    class FailingWidget(GatedWidget):
        async def load(self, params):
            raise SourcesFailed([SourceError("fx-rates", "upstream timed out")])

    widget = FailingWidget()
    key = cache_key(widget, {})
    policy = cache_policy(widget)
    stored_at = time.time() - policy.fresh_seconds - 1  # stale, not yet expired
    await redis_db.set(key, codec.dumps(CacheEntry({"kpis": [Kpi("Loads", "old")]}, stored_at)), px=60_000)

    result = await get_or_load(widget, {})

    assert result.state == "stale"
    assert result.value["kpis"][0].value == "old"
    assert [(error.source, error.reason) for error in result.errors] == [("fx-rates", "upstream timed out")]


async def test_the_redis_pool_is_bounded_by_the_setting(redis_db, settings):
    settings.WIDGETS_REDIS_MAX_CONNECTIONS = 3
    client = await widget_cache.redis.client(time.time())
    assert client is not None
    assert client.connection_pool.max_connections == 3


# Across processes, through the Redis lock


async def test_waiter_takes_the_value_the_lock_holder_stores(redis_db):
    widget = GatedWidget()
    widget.gate.set()  # were it to load, it would say so rather than hang
    key = cache_key(widget, {})
    await redis_db.set(f"{key}:lock", "another-process", px=5_000)

    async def other_process_finishes():
        await asyncio.sleep(0.1)
        entry = codec.dumps(CacheEntry({"kpis": [Kpi("Loads", "from elsewhere")]}, time.time()))
        await redis_db.set(key, entry, px=60_000)
        await redis_db.delete(f"{key}:lock")

    started = time.monotonic()
    _, result = await asyncio.gather(other_process_finishes(), get_or_load(widget, {}))
    elapsed = time.monotonic() - started

    assert (widget.loads, result.state, result.value["kpis"][0].value) == (0, "ready", "from elsewhere")
    assert elapsed < 1.0


async def test_waiter_reuses_the_failure_of_the_lock_holder_instead_of_loading(redis_db):
    widget = GatedWidget()
    widget.gate.set()
    key = cache_key(widget, {})
    await redis_db.set(f"{key}:lock", "another-process", px=5_000)

    async def other_process_fails():
        await asyncio.sleep(0.1)
        failure = LoadFailure((("fx-rates", "timed out after 3 s"),), time.time())
        await redis_db.set(f"{key}:failure", codec.dumps(failure), px=60_000)
        await redis_db.delete(f"{key}:lock")

    _, result = await asyncio.gather(other_process_fails(), get_or_load(widget, {}))

    assert widget.loads == 0
    assert result.state == "error"
    assert [(error.source, error.reason) for error in result.errors] == [("fx-rates", "timed out after 3 s")]


async def test_crashed_lock_holder_delays_others_no_longer_than_its_lock_expiry(redis_db):
    widget = GatedWidget()
    widget.gate.set()
    key = cache_key(widget, {})
    # A holder that took the lock and died: no value will ever come, the lock expires.
    await redis_db.set(f"{key}:lock", "crashed-process", px=400)

    started = time.monotonic()
    results = await asyncio.gather(*(get_or_load(widget, {}) for _ in range(10)))
    elapsed = time.monotonic() - started

    assert widget.loads == 1
    assert {result.state for result in results} == {"ready"}
    assert 0.35 < elapsed < 0.4 + 0.3


async def test_release_leaves_a_lock_that_is_no_longer_ours(redis_db):
    key = "gated:lock"
    await widget_cache.redis.client(time.time())
    await redis_db.set(key, "someone-else", px=5_000)
    await widget_cache.redis.release(key, "our-expired-token")
    assert await redis_db.get(key) == b"someone-else"
    await widget_cache.redis.release(key, "someone-else")
    assert await redis_db.exists(key) == 0


# Real processes

WORKER = """
import asyncio, json, os, sys, time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
django.setup()

from django.conf import settings
from redis.asyncio import Redis

from widgets.base import Widget
from widgets.cache import aclose_cache, get_or_load

cache_url, prefix, counter_url, concurrent = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
settings.WIDGETS_REDIS_URL = cache_url or None
settings.WIDGETS_CACHE_KEY_PREFIX = prefix
counter = Redis.from_url(counter_url)


class CountedWidget(Widget):
    name = "counted"
    title = "Counted"
    template_name = "widgets/builtin/kpi.html"

    async def load(self, params):
        await counter.incr(f"{prefix}:loads")
        await asyncio.sleep(0.3)
        return {"loaded_by": os.getpid()}


async def main():
    # Start together: check in, then wait for the other worker.
    await counter.incr(f"{prefix}:ready")
    deadline = time.monotonic() + 20
    while int(await counter.get(f"{prefix}:ready")) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.002)
    widget = CountedWidget()
    results = await asyncio.gather(*(get_or_load(widget, {"range": "7d"}) for _ in range(concurrent)))
    print(json.dumps({
        "pid": os.getpid(),
        "states": sorted({result.state for result in results}),
        "loaded_by": sorted({result.value["loaded_by"] for result in results}),
    }))
    await aclose_cache()
    await counter.aclose()


asyncio.run(main())
"""


def run_two_workers(cache_url: str, concurrent: int = 20) -> tuple[int, list[dict[str, Any]]]:
    """Run two worker processes at once; return how many loads they made between them, and their reports."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    counter = redis.Redis.from_url(REDIS_TEST_URL)
    counter.flushdb()
    arguments = [sys.executable, "-c", WORKER, cache_url, prefix, REDIS_TEST_URL, str(concurrent)]
    workers = [
        subprocess.Popen(arguments, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    loads = int(counter.get(f"{prefix}:loads") or 0)
    counter.close()
    return loads, reports


def test_two_processes_loading_one_key_through_redis_load_it_once():
    loads, reports = run_two_workers(REDIS_TEST_URL)
    loader = {pid for report in reports for pid in report["loaded_by"]}
    assert loads == 1
    assert len(loader) == 1  # every request of both processes got the one process's value
    assert loader <= {report["pid"] for report in reports}
    assert [report["states"] for report in reports] == [["ready"], ["ready"]]


def test_without_redis_each_of_two_processes_loads_once():
    # The control: the workers do overlap, and only Redis makes them share.
    loads, reports = run_two_workers("")
    assert loads == 2
    assert [report["loaded_by"] for report in reports] == [[report["pid"]] for report in reports]
