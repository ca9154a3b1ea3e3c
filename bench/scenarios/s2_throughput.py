"""S2: whole dashboard page views per second with a warm cache, against hello-world, one worker.

The demo's shop dashboard (``/dashboards/shop/``, its nine widgets, SQLite with 50,000 orders, every
upstream on the counting upstream at 200 ms) under one uvicorn worker. A page
view is what a browser with htmx does: GET the page, then every widget still
loading in it, concurrently over up to six connections (bench/loadgen.py); it
counts only when every widget ended ready or stale. The reference is the
cheapest async view (``/bench/hello/``) through the same middleware, same
client, same number of connections, same duration, measured in the same run.
"""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

import httpx

from bench.databases import flush_redis
from bench.loadgen import SETTLED_STATES, ConnectionPool, HttpConnection, HttpError, PageView, view_page
from bench.scenario import Context, Goal, ScenarioError, ScenarioResult, median, ratio
from bench.scenarios.load import LoadResult, run_for
from bench.servers import Server, Servers

KEY = "S2"
TITLE = "Throughput with a warm cache: page views/s ÷ hello-world requests/s (1 uvicorn worker)"
NEEDS = ("sqlite", "redis")

PAGE = "/dashboards/shop/"
UPSTREAM_DELAY_MS = 200
CONNECTIONS = 16
SECONDS = 5.0
QUICK_SECONDS = 3.0
WARM_UP_VIEWS = 3


def run(ctx: Context) -> ScenarioResult:
    result = ScenarioResult(KEY, TITLE)
    flush_redis(ctx.redis_url)
    seconds = QUICK_SECONDS if ctx.quick else SECONDS
    with Servers(ctx.log_dir, "s2") as servers:
        upstream = servers.upstream(UPSTREAM_DELAY_MS)
        env = ctx.app_env(ctx.sqlite_url, upstream_url=upstream.url) | {
            "RATES_API_URL": f"{upstream.url}/s2_rates",
            "STATUS_API_URL": f"{upstream.url}/s2_status",
            "HEALTHCHECK_URLS": (
                f"api={upstream.url}/s2_uptime/health/api,web={upstream.url}/s2_uptime/health/web"
            ),
        }
        app = servers.uvicorn(env)
        measured = asyncio.run(measure(app, upstream, seconds))

    hello, views, warm_views, view_seconds, failures, upstream_calls = measured
    result.goals = [
        Goal("page views/s ÷ hello-world requests/s", ratio(views.per_second, hello.per_second), 0.5, ">=")
    ]
    requests_per_view = warm_views[-1].requests
    result.summary = (
        f"{views.per_second:.1f} page views/s ({requests_per_view} HTTP request(s) per view, "
        f"median {median(view_seconds) * 1000:.0f} ms under load) "
        f"vs {hello.per_second:.0f} hello-world requests/s, {CONNECTIONS} connections × {seconds:g} s each; "
        f"{upstream_calls} upstream requests while measuring page views"
    )
    result.details = {
        "hello_requests_per_second": round(hello.per_second, 1),
        "hello_failed": hello.failed,
        "page_views_per_second": round(views.per_second, 2),
        "page_views_completed": views.completed,
        "page_views_incomplete": views.failed,
        "requests_per_page_view": requests_per_view,
        "page_view_median_ms": round(median(view_seconds) * 1000, 1),
        "warm_up_view_ms": [round(view.seconds * 1000, 1) for view in warm_views],
        "upstream_requests_while_measuring": upstream_calls,
        "connections": CONNECTIONS,
        "seconds": seconds,
    }
    if not all(view.is_complete for view in warm_views):
        result.notes.append(f"Warm-up page views were not complete: {[view.states for view in warm_views]}.")
    if failures:
        result.notes.append(f"Incomplete page views under load, by widget state: {dict(failures)}.")
    return result


Measured = tuple[LoadResult, LoadResult, list[PageView], list[float], Counter[str], int]


async def measure(app: Server, upstream: Server, seconds: float) -> Measured:
    warm_pool = ConnectionPool("127.0.0.1", app.port)
    try:
        warm_views = [await view_page(warm_pool, app.url, PAGE) for _ in range(WARM_UP_VIEWS)]
    finally:
        await warm_pool.close()
    if warm_views[-1].error or not warm_views[-1].states:
        raise ScenarioError(f"the dashboard page did not load: {warm_views[-1]}")

    connections = [HttpConnection("127.0.0.1", app.port) for _ in range(CONNECTIONS)]
    pools = [ConnectionPool("127.0.0.1", app.port) for _ in range(CONNECTIONS)]
    view_seconds: list[float] = []
    failures: Counter[str] = Counter()

    def hello_action(worker: int) -> Callable[[], Awaitable[bool]]:
        async def hello() -> bool:
            try:
                return (await connections[worker].get("/bench/hello/")).status == 200
            except HttpError:
                return False

        return hello

    def view_action(worker: int) -> Callable[[], Awaitable[bool]]:
        async def view() -> bool:
            page_view = await view_page(pools[worker], app.url, PAGE)
            if page_view.is_complete:
                view_seconds.append(page_view.seconds)
            else:
                unsettled = [state for state in page_view.states.values() if state not in SETTLED_STATES]
                failures.update([page_view.error] if page_view.error else unsettled)
            return page_view.is_complete

        return view

    try:
        hello = await run_for(seconds, CONNECTIONS, hello_action)
        async with httpx.AsyncClient(base_url=upstream.url, timeout=10.0) as control:
            await control.delete("/_counts")
            views = await run_for(seconds, CONNECTIONS, view_action)
            upstream_calls = int((await control.get("/_counts")).json()["total"])
    finally:
        for connection in connections:
            await connection.close()
        for pool in pools:
            await pool.close()
    return hello, views, warm_views, view_seconds, failures, upstream_calls
