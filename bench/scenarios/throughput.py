"""What S2 and S6 share: the shop dashboard's page views per second against hello-world requests per second.

One uvicorn worker serves the demo's shop dashboard (``/dashboards/shop/``,
SQLite with 50,000 orders, every upstream on the counting upstream at 200 ms).
Three page views warm it, then 16 viewers make page views for 5 s; a page
view counts only when every widget ended ready or stale (bench/loadgen.py),
so a redirect to the login page or a 403 is a failed view. The reference is
the cheapest async view (``/bench/hello/``, anonymous) through the same
middleware, same client, same number of connections, same duration.
"""

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from bench.loadgen import SETTLED_STATES, ConnectionPool, HttpConnection, HttpError, PageView, view_page
from bench.scenario import Context, ScenarioError, ScenarioResult, median
from bench.scenarios.load import LoadResult, run_for
from bench.servers import Server, Servers

SHOP_PAGE = "/dashboards/shop/"
HELLO_PATH = "/bench/hello/"
UPSTREAM_DELAY_MS = 200
CONNECTIONS = 16
SECONDS = 5.0
QUICK_SECONDS = 3.0
WARM_UP_VIEWS = 3
ROUNDS = 5


def start_shop_server(servers: Servers, ctx: Context, upstream_prefix: str) -> tuple[Server, Server]:
    """The counting upstream and one uvicorn worker serving the shop dashboard, login required."""
    upstream = servers.upstream(UPSTREAM_DELAY_MS)
    base = f"{upstream.url}/{upstream_prefix}"
    env = ctx.app_env(ctx.sqlite_url, login_required=True, upstream_url=upstream.url) | {
        "RATES_API_URL": f"{base}_rates",
        "STATUS_API_URL": f"{base}_status",
        "HEALTHCHECK_URLS": f"api={base}_uptime/health/api,web={base}_uptime/health/web",
    }
    return upstream, servers.uvicorn(env)


@dataclass
class Throughput:
    """Hello-world requests and page views under the same load, and what the page views met."""

    hello: LoadResult
    views: LoadResult
    warm_views: list[PageView]
    view_seconds: list[float]  # of the complete page views
    failures: Counter[str]  # of the incomplete ones, by widget state or error
    upstream_calls: int  # while measuring page views
    view_requests: int  # every request the measured page views made
    refused_requests: int  # of which redirected or refused

    @property
    def refused_share(self) -> float:
        return self.refused_requests / self.view_requests if self.view_requests else 0.0

    @property
    def widgets_shown(self) -> list[str]:
        """The widgets the last warm-up page view showed: what this viewer may see."""
        return sorted(self.warm_views[-1].states)


async def measure(app: Server, upstream: Server, seconds: float, *, cookie: str | None = None) -> Throughput:
    """Warm the page up, then alternate ``ROUNDS`` rounds of hello-world and of page views (with ``cookie``).

    Each kind runs ``seconds`` in all.
    """
    warm_pool = ConnectionPool("127.0.0.1", app.port)
    try:
        warm_views = [
            await view_page(warm_pool, app.url, SHOP_PAGE, cookie=cookie) for _ in range(WARM_UP_VIEWS)
        ]
    finally:
        await warm_pool.close()
    if warm_views[-1].error or not warm_views[-1].states:
        raise ScenarioError(f"the dashboard page did not load: {warm_views[-1]}")

    connections = [HttpConnection("127.0.0.1", app.port) for _ in range(CONNECTIONS)]
    pools = [ConnectionPool("127.0.0.1", app.port) for _ in range(CONNECTIONS)]
    view_seconds: list[float] = []
    failures: Counter[str] = Counter()
    requests: Counter[str] = Counter()

    def hello_action(worker: int) -> Callable[[], Awaitable[bool]]:
        async def hello() -> bool:
            try:
                return (await connections[worker].get(HELLO_PATH)).status == 200
            except HttpError:
                return False

        return hello

    def view_action(worker: int) -> Callable[[], Awaitable[bool]]:
        async def view() -> bool:
            page_view = await view_page(pools[worker], app.url, SHOP_PAGE, cookie=cookie)
            requests.update(made=page_view.requests, refused=page_view.refused)
            if page_view.is_complete:
                view_seconds.append(page_view.seconds)
            else:
                unsettled = [state for state in page_view.states.values() if state not in SETTLED_STATES]
                failures.update([page_view.error] if page_view.error else unsettled)
            return page_view.is_complete

        return view

    try:
        # Alternating rounds: a shared machine speeds up and slows down over seconds, and one
        # long run of each let hello-world's rate alone swing the ratio by a quarter between runs.
        hellos, rounds_of_views = [], []
        async with httpx.AsyncClient(base_url=upstream.url, timeout=10.0) as control:
            await control.delete("/_counts")
            for _ in range(ROUNDS):
                hellos.append(await run_for(seconds / ROUNDS, CONNECTIONS, hello_action))
                rounds_of_views.append(await run_for(seconds / ROUNDS, CONNECTIONS, view_action))
            upstream_calls = int((await control.get("/_counts")).json()["total"])
        hello, views = combined(hellos), combined(rounds_of_views)
    finally:
        for connection in connections:
            await connection.close()
        for pool in pools:
            await pool.close()
    return Throughput(
        hello,
        views,
        warm_views,
        view_seconds,
        failures,
        upstream_calls,
        requests["made"],
        requests["refused"],
    )


def combined(results: list[LoadResult]) -> LoadResult:
    """Several rounds as one: their completions over their time together."""
    return LoadResult(
        sum(result.completed for result in results),
        sum(result.failed for result in results),
        sum(result.seconds for result in results),
    )


def describe(result: ScenarioResult, measured: Throughput, seconds: float) -> None:
    """The summary, the absolute values and the notes both scenarios report."""
    views, hello = measured.views, measured.hello
    requests_per_view = measured.warm_views[-1].requests
    result.summary = (
        f"{views.per_second:.1f} page views/s ({len(measured.widgets_shown)} widgets, "
        f"{requests_per_view} HTTP request(s) per view, median {median(measured.view_seconds) * 1000:.0f} ms "
        f"under load) vs {hello.per_second:.0f} hello-world requests/s, {CONNECTIONS} connections × "
        f"{seconds:g} s each; {measured.upstream_calls} upstream requests while measuring page views; "
        f"{measured.refused_requests} of {measured.view_requests} page-view requests refused or redirected"
    )
    result.details = {
        "hello_requests_per_second": round(hello.per_second, 1),
        "hello_failed": hello.failed,
        "page_views_per_second": round(views.per_second, 2),
        "page_views_completed": views.completed,
        "page_views_incomplete": views.failed,
        "requests_per_page_view": requests_per_view,
        "widgets_per_page_view": len(measured.widgets_shown),
        "widgets": ",".join(measured.widgets_shown),
        "page_view_requests": measured.view_requests,
        "page_view_requests_refused": measured.refused_requests,
        "page_view_median_ms": round(median(measured.view_seconds) * 1000, 1),
        "warm_up_view_ms": [round(view.seconds * 1000, 1) for view in measured.warm_views],
        "upstream_requests_while_measuring": measured.upstream_calls,
        "connections": CONNECTIONS,
        "seconds": seconds,
    }
    if not all(view.is_complete for view in measured.warm_views):
        states = [view.states for view in measured.warm_views]
        result.notes.append(f"Warm-up page views were not complete: {states}.")
    if measured.failures:
        result.notes.append(f"Incomplete page views under load, by widget state: {dict(measured.failures)}.")
    if hello.failed:
        result.notes.append(f"{hello.failed} hello-world requests failed (not 200).")
