"""S4: 1,000 concurrent requests for one widget against a 1 s upstream, on one uvicorn worker.

1,000 viewers open the same widget (``/widgets/s4_fx/``, an FX rate whose
upstream answers after 1 s) at the same moment with a cold cache: the client
opens 1,000 connections first, then sends every request at once. An error is
a failed connection or request, a status other than 200, or a widget that
rendered its error state. The worker's peak RSS is its ``VmHWM`` afterwards.
"""

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from bench.benchapp.names import S3_WIDGET_NAMES, S4_WIDGET_NAME
from bench.databases import flush_redis
from bench.loadgen import HttpConnection, HttpError, htmx_headers, widget_roots
from bench.scenario import Context, Goal, ScenarioResult, median, percentile, ratio
from bench.servers import Server, Servers, memory_kib

KEY = "S4"
TITLE = "Concurrency: 1,000 concurrent widget requests against a 1 s upstream (1 uvicorn worker)"
NEEDS = ("sqlite", "redis")

UPSTREAM_DELAY_MS = 1000
REQUESTS = 1000
REQUEST_DEADLINE_SECONDS = 30.0


@dataclass
class Burst:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def run(ctx: Context) -> ScenarioResult:
    result = ScenarioResult(KEY, TITLE)
    flush_redis(ctx.redis_url)
    with Servers(ctx.log_dir, "s4") as servers:
        upstream = servers.upstream(UPSTREAM_DELAY_MS)
        app = servers.uvicorn(ctx.app_env(ctx.sqlite_url, upstream_url=upstream.url))
        upstream_ms = time_upstream_alone(upstream)
        # Warm the worker (templates, HTTP client) on another widget of the same kind: its cache stays cold.
        httpx.get(f"{app.url}/widgets/{S3_WIDGET_NAMES[0]}/", headers={"HX-Request": "true"}, timeout=10.0)
        worker = app.worker_pids()[0]
        before = memory_kib(worker)
        with httpx.Client(base_url=upstream.url, timeout=10.0) as control:
            control.delete("/_counts")
            burst = asyncio.run(send_burst(app))
            upstream_calls = int(control.get("/_counts").json()["total"])
        after = memory_kib(worker)

    errors = burst.errors.total()
    p99 = percentile(burst.latencies, 0.99)
    result.goals = [
        Goal(f"errors of {REQUESTS:,} requests", float(errors), 0.0, unit=""),
        Goal("p99 latency ÷ upstream time", ratio(p99, upstream_ms), 1.3),
    ]
    peak_mib = after["VmHWM"] / 1024
    result.summary = (
        f"p50 {percentile(burst.latencies, 0.5):.0f} ms, p99 {p99:.0f} ms, "
        f"max {max(burst.latencies, default=float('nan')):.0f} ms against a {upstream_ms:.0f} ms upstream; "
        f"{errors} errors; all answered in {burst.seconds:.1f} s; {upstream_calls} upstream requests; "
        f"worker peak RSS {peak_mib:.0f} MiB (RSS {before['VmRSS'] / 1024:.0f} MiB before the burst)"
    )
    result.details = {
        "requests": REQUESTS,
        "errors": dict(burst.errors),
        "p50_ms": round(percentile(burst.latencies, 0.5), 1),
        "p99_ms": round(p99, 1),
        "max_ms": round(max(burst.latencies, default=float("nan")), 1),
        "upstream_ms": round(upstream_ms, 1),
        "burst_seconds": round(burst.seconds, 2),
        "upstream_requests": upstream_calls,
        "worker_rss_before_mib": round(before["VmRSS"] / 1024, 1),
        "worker_peak_rss_mib": round(peak_mib, 1),
    }
    return result


def time_upstream_alone(upstream: Server) -> float:
    with httpx.Client(base_url=upstream.url, timeout=10.0) as client:
        samples = []
        for _ in range(2):
            started = time.perf_counter()
            client.get("/s4_alone/latest", params={"from": "EUR"}).raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    return median(samples)


async def send_burst(app: Server) -> Burst:
    """Open every connection, then send every request at once; collect latencies and errors."""
    burst = Burst()
    connections = [HttpConnection("127.0.0.1", app.port) for _ in range(REQUESTS)]
    opened = await asyncio.gather(*(connection.open() for connection in connections), return_exceptions=True)
    go = asyncio.Event()
    path = f"/widgets/{S4_WIDGET_NAME}/"
    headers = htmx_headers(f"{app.url}/")

    async def request(connection: HttpConnection) -> None:
        await go.wait()
        try:
            response = await connection.get(
                path, headers, deadline=REQUEST_DEADLINE_SECONDS, retry_closed=False
            )
        except HttpError as error:
            burst.errors[f"request failed: {str(error).split(':')[0]}"] += 1
            return
        burst.latencies.append(response.seconds * 1000)
        root = widget_roots(response.body).get(S4_WIDGET_NAME)
        if response.status != 200:
            burst.errors[f"HTTP {response.status}"] += 1
        elif root is None or root.state not in ("ready", "stale"):
            burst.errors[f"widget state {root.state if root else 'missing'}"] += 1

    try:
        for outcome in opened:
            if isinstance(outcome, BaseException):
                burst.errors[f"connect failed: {type(outcome).__name__}"] += 1
        tasks = [
            asyncio.create_task(request(connection))
            for connection, outcome in zip(connections, opened, strict=True)
            if not isinstance(outcome, BaseException)
        ]
        await asyncio.sleep(0.1)  # every task is waiting on the event
        started = time.perf_counter()
        go.set()
        await asyncio.gather(*tasks)
        burst.seconds = time.perf_counter() - started
    finally:
        for connection in connections:
            await connection.close()
    return burst
