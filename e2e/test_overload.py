"""One worker under 500 concurrent distinct slow loads: /healthz stays quick, the excess gets a fast 503.

A uvicorn worker serves the demo plus ``sharded_rates`` (``e2e/overload_app.py``),
whose upstream, the demo upstream, hangs. 500 requests, each for a shard of its
own (a distinct load), go at once: the worker runs as many loads as
``WIDGETS_MAX_LOADS_IN_FLIGHT`` (its default, 100) allows and answers the rest
503 with ``Retry-After``, while ``/healthz`` keeps answering. Once the upstream
heals, the worker serves as before: as many distinct loads at once as the bound
allows, none refused, so no place was left taken.
"""

import asyncio
import os
import re
import secrets
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from bench.loadgen import HttpConnection, HttpError, Response
from e2e.servers import PROJECT_ROOT, Server, UpstreamFaults, run_manage_py, start_uvicorn

REQUESTS = 500
BOUND = 100  # WIDGETS_MAX_LOADS_IN_FLIGHT's default: the server runs with it
SOURCE_TIMEOUT_SECONDS = 2
# Correctness bounds, generous for a loaded 2-core machine: a /healthz queued behind loads would take seconds.
HEALTHZ_WITHIN_SECONDS = 1.0
HEALTHZ_EVERY_SECONDS = 0.05
REQUEST_TIMEOUT_SECONDS = 15.0
TIME_LIMIT_SECONDS = 30.0
HTMX = {"HX-Request": "true"}


@dataclass
class Overload:
    """The burst's answers, and /healthz's meanwhile (each: status, seconds)."""

    answers: list[Response] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    healthz: list[tuple[int, float]] = field(default_factory=list)


def state_of(response: Response) -> str | None:
    match = re.search(rb'<section [^>]*data-state="(\w+)"', response.body)
    return match[1].decode() if match else None


def shard_path(shard: int) -> str:
    return f"/widgets/sharded_rates/?shard={shard}"


async def overload(port: int, first_shard: int) -> Overload:
    """Open ``REQUESTS`` connections, send every request at once, probe /healthz until all are answered."""
    result = Overload()
    connections = [HttpConnection("127.0.0.1", port) for _ in range(REQUESTS)]
    await asyncio.gather(*(connection.open() for connection in connections))
    go, done = asyncio.Event(), asyncio.Event()

    async def request(connection: HttpConnection, shard: int) -> None:
        await go.wait()
        try:
            result.answers.append(
                await connection.get(
                    shard_path(shard), HTMX, deadline=REQUEST_TIMEOUT_SECONDS, retry_closed=False
                )
            )
        except HttpError as error:
            result.failures.append(str(error))

    async def probe_healthz() -> None:
        probe = HttpConnection("127.0.0.1", port)
        try:
            await go.wait()
            while not done.is_set():
                response = await probe.get("/healthz", deadline=REQUEST_TIMEOUT_SECONDS)
                result.healthz.append((response.status, response.seconds))
                await asyncio.sleep(HEALTHZ_EVERY_SECONDS)
        finally:
            await probe.close()

    prober = asyncio.create_task(probe_healthz())
    requests = [
        asyncio.create_task(request(connection, first_shard + number))
        for number, connection in enumerate(connections)
    ]
    try:
        await asyncio.sleep(0.1)  # every request waits for the signal
        go.set()
        await asyncio.gather(*requests)
        done.set()
        await prober
    finally:
        for connection in connections:
            await connection.close()
    return result


async def load_all_at_once(port: int, shards: range) -> list[Response]:
    """One request per shard, all at once, each on a connection of its own."""
    connections = [HttpConnection("127.0.0.1", port) for _ in shards]
    try:
        return await asyncio.gather(
            *(
                connection.get(shard_path(shard), HTMX, deadline=REQUEST_TIMEOUT_SECONDS)
                for connection, shard in zip(connections, shards, strict=True)
            )
        )
    finally:
        for connection in connections:
            await connection.close()


def run_in_own_loop[T](work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` in an event loop of its own thread: sync Playwright keeps this thread's loop running."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, work).result()


@pytest.fixture(scope="module")
def healthy_upstream() -> None:
    """Overrides the e2e suite's: this module runs an upstream of its own."""


@pytest.fixture(scope="module")
def hanging_upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, UpstreamFaults]]:
    """The demo upstream on a port of its own, and its fault control; FX rates answer normally at first."""
    env = {**os.environ, "DEMO_UPSTREAM_FAILURE_RATE": "0", "DEMO_UPSTREAM_LATENCY_MS": "0,20"}
    log_dir = tmp_path_factory.mktemp("overload-upstream")
    server = start_uvicorn(
        "overload-upstream", "dashboard.demo_upstream:app", env, log_dir, "/_control/faults"
    )
    with httpx.Client(base_url=server.url, timeout=5.0) as control:
        yield server, UpstreamFaults(control)
    server.stop()


@pytest.fixture(scope="module")
def overload_server(
    tmp_path_factory: pytest.TempPathFactory, hanging_upstream: tuple[Server, UpstreamFaults]
) -> Iterator[Server]:
    """One uvicorn worker of the demo plus ``sharded_rates``, on a fresh SQLite database, without Redis."""
    if not (PROJECT_ROOT / "staticfiles" / "staticfiles.json").exists():
        pytest.fail("No static files manifest: run `manage.py collectstatic --noinput` first.", pytrace=False)
    root = tmp_path_factory.mktemp("overload")
    upstream, _ = hanging_upstream
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{root / 'overload.sqlite3'}",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1",
        "RATES_API_URL": upstream.url,
        "STATUS_API_URL": upstream.url,
        "HEALTHCHECK_URLS": f"api={upstream.url}/health/api",
        "WIDGETS_SOURCE_TIMEOUT": str(SOURCE_TIMEOUT_SECONDS),
        "LOG_LEVEL": "ERROR",  # a line per timed-out source would be most of the work
    }
    env.pop("REDIS_URL", None)  # the worker's own in-flight loads are under test
    run_manage_py(["migrate", "--noinput", "-v0"], env)
    server = start_uvicorn("overload", "e2e.overload_app:application", env, root, "/healthz")
    yield server
    server.stop()


def warm_up(server: Server, within: float = 10.0) -> None:
    """Load one shard ready (templates, the HTTP client): a cold process is slow on a busy machine."""
    deadline = time.monotonic() + within
    with httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT_SECONDS, headers=HTMX) as client:
        for shard in range(1000):
            response = client.get(shard_path(shard))
            if response.status_code == 200 and 'data-state="ready"' in response.text:
                return
            assert time.monotonic() < deadline, (
                f"no shard loaded ready: {response.status_code} {response.text}"
            )
            time.sleep(0.1)


def test_one_worker_under_500_distinct_slow_loads_answers_healthz_and_refuses_the_excess_fast(
    overload_server: Server, hanging_upstream: tuple[Server, UpstreamFaults]
) -> None:
    _, faults = hanging_upstream
    port = int(overload_server.url.rsplit(":", 1)[1])
    started = time.monotonic()
    warm_up(overload_server)
    faults.set(rates="timeout")

    burst = run_in_own_loop(overload(port, first_shard=10_000))

    statuses = sorted({response.status for response in burst.answers})
    refused = [response for response in burst.answers if response.status == 503]
    admitted = [response for response in burst.answers if response.status == 200]
    figures = (
        f"{len(admitted)} × 200, {len(refused)} × 503, failures {burst.failures[:3]}; /healthz "
        f"{len(burst.healthz)} probes, slowest {max((s for _, s in burst.healthz), default=0):.3f} s"
    )
    print(figures)
    assert burst.failures == [], figures
    assert statuses == [200, 503], figures
    # At most the bound ran; the excess, turned away at once, is most of the burst.
    assert len(refused) >= REQUESTS - 2 * BOUND, figures
    assert all(response.headers.get("retry-after") == str(SOURCE_TIMEOUT_SECONDS) for response in refused)
    assert {state_of(response) for response in refused} == {"overloaded"}
    assert all(b"The server is busy" in response.body for response in refused)
    # The loads admitted end at their deadline: the hung upstream named, never a server error.
    assert {state_of(response) for response in admitted} == {"error"}
    assert all(b"timed out after" in response.body for response in admitted)
    assert len(burst.healthz) >= 5, figures
    assert {status for status, _ in burst.healthz} == {200}, figures
    assert all(seconds < HEALTHZ_WITHIN_SECONDS for _, seconds in burst.healthz), figures

    faults.reset()
    # Every admitted load has ended (its request was answered): as many distinct loads as the bound
    # allows are admitted again, so none left its place taken.
    afterwards = run_in_own_loop(load_all_at_once(port, range(30_000, 30_000 + BOUND)))
    assert {(response.status, state_of(response)) for response in afterwards} == {(200, "ready")}
    assert time.monotonic() - started < TIME_LIMIT_SECONDS
