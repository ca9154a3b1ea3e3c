"""Nothing grows without bound: a flood of unique requests leaves the worker's memory where it was.

A uvicorn worker serves the demo on a SQLite database of its own. After a
warm-up that fills its memos and caches, 20,000 more requests, every one
different (widget parameters, embed tokens, dashboard query strings,
``HX-Current-URL`` headers), must not make its resident memory grow by more
than ``MAX_RSS_GROWTH``. The widgets it asks for need no upstream: the ORM
ones read the database, and the HTTP ones fail at once on a closed port of
127.0.0.1. (Values too long for a memo are the unit tests' concern: 40 kB
query strings by the thousand leave glibc's heap fragmented, which would blur
what this test measures.) Widget and dashboard requests carry the session of
a superuser, logged in once, as a browser would; embed requests carry none.
"""

import asyncio
import os
import secrets
import time
from collections import Counter
from collections.abc import Coroutine, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from bench.loadgen import HttpConnection
from e2e.pages import Account, cookie_header, logged_in_http_client
from e2e.servers import PROJECT_ROOT, Server, free_port, run_manage_py, start_uvicorn

WARM_UP_REQUESTS = 2_000
FLOOD_REQUESTS = 20_000
CONCURRENCY = 16
# For the whole flood, warm-up included: a bound on a hung server, well above what it takes.
TIME_LIMIT_SECONDS = 120.0
REQUEST_TIMEOUT_SECONDS = 10.0
MAX_RSS_GROWTH = 16 * 1024 * 1024
# The kinds of request, in turn. A load (a widget for a week of its own) costs the server most: a
# database connection of its own (the demo closes them after each query), in a thread.
MIX = (
    *("load", "embed", "hit", "dashboard", "hit", "embed", "hit", "dashboard"),
    *("embed", "hit", "dashboard", "hit", "embed", "hit", "dashboard", "embed"),
)
PRESETS = ("24h", "7d", "30d", "90d")
CURRENCIES = ("EUR", "USD", "GBP", "JPY", "CHF")
FIRST_DAY = date(2000, 1, 1)
VIEWER = Account("memory-admin", secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Visit:
    """One request of the flood, and the status it must get."""

    path: str
    expected_status: int
    headers: dict[str, str] = field(default_factory=dict)


def visits(server_url: str, session: Mapping[str, str], first: int, count: int) -> Iterator[Visit]:
    """``count`` requests, each unlike any other: the ``number``-th has ``number`` in it.

    ``session`` is the headers of a logged-in browser (its ``Cookie``): widgets and dashboards need it.
    """
    for number in range(first, first + count):
        # As long as page URLs get with a tracking parameter, under the 2,048 characters the server reads.
        page_url = (
            f"{server_url}/dashboards/shop/?range=7d&visit={number}&utm_content={secrets.token_hex(750)}"
        )
        htmx = {"HX-Request": "true", "HX-Current-URL": page_url}
        logged_in_htmx = {**htmx, **session}
        match MIX[number % len(MIX)]:
            case "load":
                # A week of its own: a new cache key, cache entry and fragment every time.
                first_day = FIRST_DAY + timedelta(days=number)
                week = {"range": "custom", "from": first_day, "to": first_day + timedelta(days=6)}
                path = f"/widgets/orders_by_country/?{urlencode(week)}&n{number}={number}"
                yield Visit(path, 200, logged_in_htmx)
            case "hit":
                # The range from the page URL: a value cached already.
                yield Visit(f"/widgets/orders_by_country/?n{number}={number}", 200, logged_in_htmx)
            case "embed":
                yield Visit(f"/embed/{secrets.token_urlsafe(48)}/?fragment=1", 403, htmx)
            case "dashboard":
                filters = {"range": PRESETS[number // len(MIX) % 4], "currency": CURRENCIES[number % 5]}
                yield Visit(
                    f"/dashboards/shop/?{urlencode(filters)}&junk{number}={number}", 200, dict(session)
                )


async def send_all(port: int, planned: Iterator[Visit], deadline: float) -> Counter[str]:
    """Send ``planned`` over ``CONCURRENCY`` connections; count the answers that were not the ones expected.

    Through the bench's own client: httpx would cost more CPU than the server spends answering.
    """
    unexpected: Counter[str] = Counter()

    async def sender() -> None:
        connection = HttpConnection("127.0.0.1", port)
        try:
            for visit in planned:  # one shared iterator: each visit is sent once
                response = await connection.get(visit.path, visit.headers, deadline=REQUEST_TIMEOUT_SECONDS)
                if response.status != visit.expected_status:
                    unexpected[f"{visit.path[:40]}… {response.status}"] += 1
        finally:
            await connection.close()

    async with asyncio.timeout(deadline - time.monotonic()):
        await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
    return unexpected


def resident_bytes(pid: int) -> int:
    """The process's resident set size (``VmRSS``), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


@pytest.fixture(scope="module")
def healthy_upstream() -> None:
    """Overrides the e2e suite's: these widgets need no upstream, so none is started."""


@pytest.fixture(scope="module")
def lone_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo under one uvicorn worker, on a fresh SQLite database, every upstream URL a closed port."""
    if not (PROJECT_ROOT / "staticfiles" / "staticfiles.json").exists():
        pytest.fail("No static files manifest: run `manage.py collectstatic --noinput` first.", pytrace=False)
    root = tmp_path_factory.mktemp("memory")
    closed = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{root / 'memory.sqlite3'}",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1",
        "RATES_API_URL": closed,
        "STATUS_API_URL": closed,
        "HEALTHCHECK_URLS": f"api={closed}/health",
        "LOG_LEVEL": "ERROR",  # a line per failed source would be most of the work
    }
    env.pop("REDIS_URL", None)  # the process's own memos and cache are under test
    run_manage_py(["migrate", "--noinput", "-v0"], env)
    superuser = ["createsuperuser", "--noinput", f"--username={VIEWER.username}", "--email=memory@localhost"]
    run_manage_py(superuser, {**env, "DJANGO_SUPERUSER_PASSWORD": VIEWER.password})
    server = start_uvicorn("memory", "dashboard.asgi:application", env, root, "/healthz")
    yield server
    server.stop()


def run_in_own_loop[T](work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` in an event loop of its own thread: sync Playwright keeps this thread's loop running."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, work).result()


def session_headers(server: Server, account: Account) -> dict[str, str]:
    """The ``Cookie`` header of a browser that logged in as ``account``."""
    with logged_in_http_client(server.url, account) as client:
        return {"Cookie": cookie_header(client)}


def test_unique_requests_leave_the_workers_memory_bounded(lone_server: Server) -> None:
    session = session_headers(lone_server, VIEWER)
    started = time.monotonic()
    deadline = started + TIME_LIMIT_SECONDS
    pid, port = lone_server.process.pid, urlsplit(lone_server.url).port
    assert port is not None

    warm_up = run_in_own_loop(send_all(port, visits(lone_server.url, session, 0, WARM_UP_REQUESTS), deadline))
    before = resident_bytes(pid)
    unexpected = run_in_own_loop(
        send_all(port, visits(lone_server.url, session, WARM_UP_REQUESTS, FLOOD_REQUESTS), deadline)
    )
    after = resident_bytes(pid)

    mib = 1024 * 1024
    figures = (
        f"RSS {before / mib:.1f} MiB after {WARM_UP_REQUESTS:,} requests, {after / mib:.1f} MiB after "
        f"{FLOOD_REQUESTS:,} more ({(after - before) / mib:+.1f} MiB) in {time.monotonic() - started:.1f} s"
    )
    print(figures)
    assert warm_up + unexpected == Counter(), figures
    assert after - before < MAX_RSS_GROWTH, figures
