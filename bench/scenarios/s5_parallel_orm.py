"""S5: six widgets, each one ~100 ms PostgreSQL aggregate, in one dashboard page (one worker).

The ``s5`` dashboard (``/dashboards/s5/``): six widgets whose only source is
the paid-orders aggregate over 50,000 orders, padded to about 100 ms by a
``pg_sleep(0.1)`` that PostgreSQL runs once per query (an uncorrelated
subquery: bench/benchapp/queries.py). The pause keeps the aggregate's time
independent of the cores: six real 100 ms scans could not overlap on two.

"One aggregate" is that query alone, timed in the server (``/bench/probe/``).
A page view is a browser's: the page, then any widget still loading in it
(bench/loadgen.py), each run with filter values not used before (cold cache).
PostgreSQL connections to the bench database are counted before, during
(peak) and after the page views; they must come back to the baseline.
"""

import asyncio
import threading
import time
from urllib.parse import urlsplit

from bench.benchapp.names import S5_WIDGET_NAMES, fresh_filters
from bench.databases import count_connections, flush_redis
from bench.loadgen import ConnectionPool, PageView, view_page
from bench.scenario import Context, Goal, ScenarioError, ScenarioResult, median, ratio, rounded
from bench.scenarios.probes import time_aggregate_alone, time_widget_alone
from bench.servers import Server, Servers

KEY = "S5"
TITLE = "Parallel ORM: 6 widgets × one ~100 ms PostgreSQL aggregate in one page (1 uvicorn worker)"
NEEDS = ("postgres", "redis")

RUNS = 5
QUICK_RUNS = 3
PROBES = 5
SAMPLE_EVERY_SECONDS = 0.02
SETTLE_SECONDS = 5.0


class ConnectionSampler(threading.Thread):
    """Samples the bench database's connection count until stopped; keeps the peak."""

    def __init__(self, admin_url: str, database: str) -> None:
        super().__init__(daemon=True)
        self.admin_url = admin_url
        self.database = database
        self.peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak = max(self.peak, count_connections(self.admin_url, self.database))
            self.stopped.wait(SAMPLE_EVERY_SECONDS)


def run(ctx: Context) -> ScenarioResult:
    result = ScenarioResult(KEY, TITLE)
    flush_redis(ctx.redis_url)
    database = urlsplit(ctx.postgres_url).path.lstrip("/")
    filters = fresh_filters()
    runs = QUICK_RUNS if ctx.quick else RUNS
    before_server = count_connections(ctx.postgres_admin_url, database)
    with Servers(ctx.log_dir, "s5") as servers:
        app = servers.uvicorn(ctx.app_env(ctx.postgres_url))
        aggregate_ms = time_aggregate_alone(app, "s5-aggregate", PROBES)
        warm_up = asyncio.run(view_pages(app, [next(filters)]))[0]
        check_widgets(warm_up)
        widget_alone_ms = time_widget_alone(app, S5_WIDGET_NAMES[0], next(filters))
        time.sleep(0.5)
        baseline = count_connections(ctx.postgres_admin_url, database)
        sampler = ConnectionSampler(ctx.postgres_admin_url, database)
        sampler.start()
        try:
            views = asyncio.run(view_pages(app, [next(filters) for _ in range(runs)]))
        finally:
            sampler.stopped.set()
            sampler.join(timeout=5)
        after, settled_ms = wait_for_connections(ctx.postgres_admin_url, database, baseline)

    for page_view in views:
        check_widgets(page_view)
    page_ms = median([page_view.seconds * 1000 for page_view in views])
    result.goals = [
        Goal("page time ÷ one aggregate", ratio(page_ms, aggregate_ms), 1.5),
        Goal("PostgreSQL connections after − baseline", float(after - baseline), 0.0, unit=""),
    ]
    returned = (
        f"back to {after} within {settled_ms:.0f} ms" if after <= baseline else f"still {after} after 5 s"
    )
    result.summary = (
        f"page {page_ms:.0f} ms (runs {rounded([view.seconds * 1000 for view in views], 0)}, "
        f"{views[0].requests} request(s) each) vs one aggregate {aggregate_ms:.0f} ms; "
        f"one widget endpoint alone {widget_alone_ms:.0f} ms; connections: {before_server} before the server,"
        f" baseline {baseline}, peak {sampler.peak}, {returned}"
    )
    result.details = {
        "page_ms": round(page_ms, 1),
        "page_runs_ms": rounded([view.seconds * 1000 for view in views]),
        "requests_per_page_view": views[0].requests,
        "one_aggregate_ms": round(aggregate_ms, 1),
        "one_widget_endpoint_alone_ms": round(widget_alone_ms, 1),
        "connections_before_server": before_server,
        "connections_baseline": baseline,
        "connections_peak": sampler.peak,
        "connections_after": after,
        "connections_settled_ms": round(settled_ms, 1),
        "aggregate": "SUM/COUNT over paid orders padded by (SELECT 1 FROM pg_sleep(0.1)), run once per query",
    }
    return result


async def view_pages(app: Server, queries: list[str]) -> list[PageView]:
    """One page view per query string, one after another, each on fresh connections."""
    views = []
    for query in queries:
        pool = ConnectionPool("127.0.0.1", app.port)
        try:
            views.append(await view_page(pool, app.url, f"/dashboards/s5/{query}"))
        finally:
            await pool.close()
    return views


def check_widgets(page_view: PageView) -> None:
    if sorted(page_view.states) != S5_WIDGET_NAMES or not page_view.is_complete:
        raise ScenarioError(
            f"the dashboard page did not show the six S5 widgets ready: {page_view.states or page_view.error}"
        )


def wait_for_connections(admin_url: str, database: str, baseline: int) -> tuple[int, float]:
    """Wait up to SETTLE_SECONDS for the count to fall to ``baseline``; return it and the wait."""
    started = time.perf_counter()
    while True:
        count = count_connections(admin_url, database)
        waited = time.perf_counter() - started
        if count <= baseline or waited >= SETTLE_SECONDS:
            return count, waited * 1000
        time.sleep(0.1)
