"""S3: upstream fan-in. 200 viewers poll three widgets on 2 uvicorn workers sharing Redis.

Each viewer polls each of the three S3 widgets (an FX rate, a Statuspage
summary, an FX rate + ORM aggregate on PostgreSQL), every 5 s like htmx's
``every 5s`` with ``hx-sync="this:drop"``, starting at a random moment of the
first 5 s, for ``--s3-seconds`` (30 s by default). The counting upstream
counts the requests each source received while the viewers polled. The goal
is one upstream request per source per cache TTL, whatever the number of
viewers and workers; the bench widgets' TTL is their refresh interval (5 s).
"""

import asyncio
import math
import random
import time
from dataclasses import dataclass, field

import httpx

from bench.benchapp.names import S3_REFRESH_SECONDS, S3_WIDGET_NAMES
from bench.databases import flush_redis
from bench.loadgen import HttpConnection, HttpError, htmx_headers, widget_roots
from bench.scenario import Context, Goal, ScenarioResult, percentile, rounded_map
from bench.servers import Server, Servers

KEY = "S3"
TITLE = "Upstream fan-in: 200 viewers polling for 30 s, 2 uvicorn workers sharing Redis"
NEEDS = ("postgres", "redis")

UPSTREAM_DELAY_MS = 200
VIEWERS = 200
WORKERS = 2
SOURCE_PATHS = {
    "s3_fx": "/s3_fx/latest",
    "s3_status": "/s3_status/api/v2/summary.json",
    "s3_revenue": "/s3_revenue/latest",
}
MAX_POLLS_PER_POLLER = 1_000


@dataclass
class Polling:
    requests: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    upstream_counts: dict[str, int] = field(default_factory=dict)


def run(ctx: Context) -> ScenarioResult:
    result = ScenarioResult(KEY, TITLE.replace("30 s", f"{ctx.s3_seconds:g} s"))
    flush_redis(ctx.redis_url)
    with Servers(ctx.log_dir, "s3") as servers:
        upstream = servers.upstream(UPSTREAM_DELAY_MS)
        app = servers.uvicorn(ctx.app_env(ctx.postgres_url, upstream_url=upstream.url), workers=WORKERS)
        app.wait_for_workers(WORKERS)
        polling = asyncio.run(poll(app, upstream, ctx.s3_seconds))

    windows = math.ceil(ctx.s3_seconds / S3_REFRESH_SECONDS)
    per_ttl = {name: polling.upstream_counts.get(path, 0) / windows for name, path in SOURCE_PATHS.items()}
    worst = max(per_ttl, key=lambda name: per_ttl[name])
    result.goals = [
        Goal(f"upstream requests per source per TTL (worst: {worst})", per_ttl[worst], 1.0, unit="per TTL")
    ]
    result.summary = (
        f"{polling.requests:,} widget requests from {VIEWERS} viewers in {ctx.s3_seconds:g} s "
        f"({polling.errors} errors, p50 {percentile(polling.latencies, 0.5):.0f} ms, "
        f"p99 {percentile(polling.latencies, 0.99):.0f} ms); upstream requests per source: "
        + ", ".join(f"{name} {polling.upstream_counts.get(path, 0)}" for name, path in SOURCE_PATHS.items())
        + f" over {windows} TTLs of {S3_REFRESH_SECONDS} s"
    )
    result.details = {
        "upstream_requests": {
            name: polling.upstream_counts.get(path, 0) for name, path in SOURCE_PATHS.items()
        },
        "upstream_requests_per_ttl": rounded_map(per_ttl, 2),
        "ttl_seconds": S3_REFRESH_SECONDS,
        "ttl_windows": windows,
        "viewer_requests": polling.requests,
        "viewer_errors": polling.errors,
        "viewer_p50_ms": round(percentile(polling.latencies, 0.5), 1),
        "viewer_p99_ms": round(percentile(polling.latencies, 0.99), 1),
        "seconds": ctx.s3_seconds,
        "viewers": VIEWERS,
        "workers": WORKERS,
    }
    if polling.errors:
        result.notes.append(
            f"{polling.errors:,} of {polling.requests:,} viewer requests failed or timed out: upstream "
            "counts then also drop because requests were not served, not because a cache answered them."
        )
    result.notes.append(
        "TTL is taken as the widgets' refresh interval (5 s); the ideal is 1.0: one upstream "
        "request per source per TTL, however many viewers and workers."
    )
    return result


async def poll(app: Server, upstream: Server, seconds: float) -> Polling:
    """Every viewer polls every S3 widget until ``seconds`` have passed; count upstream requests then."""
    polling = Polling()
    rng = random.Random(3)
    started = time.perf_counter()
    deadline = started + seconds
    headers = htmx_headers(f"{app.url}/")

    async def poller(widget_name: str, first_at: float) -> None:
        connection = HttpConnection("127.0.0.1", app.port)
        next_at = first_at
        try:
            for _ in range(MAX_POLLS_PER_POLLER):
                if next_at >= deadline:
                    return
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                polling.requests += 1
                try:
                    response = await connection.get(f"/widgets/{widget_name}/", headers)
                    root = widget_roots(response.body).get(widget_name)
                    if response.status != 200 or root is None or root.state not in ("ready", "stale"):
                        polling.errors += 1
                    polling.latencies.append(response.seconds * 1000)
                except HttpError:
                    polling.errors += 1
                next_at += S3_REFRESH_SECONDS
                while next_at < time.perf_counter():  # a poll still in flight drops the next one
                    next_at += S3_REFRESH_SECONDS
        finally:
            await connection.close()

    async with httpx.AsyncClient(base_url=upstream.url, timeout=10.0) as control:
        await control.delete("/_counts")

        async def count_at_deadline() -> None:
            await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
            polling.upstream_counts = (await control.get("/_counts")).json()["counts"]

        pollers = [
            poller(widget_name, started + rng.uniform(0, S3_REFRESH_SECONDS))
            for _ in range(VIEWERS)
            for widget_name in S3_WIDGET_NAMES
        ]
        await asyncio.gather(count_at_deadline(), *pollers)
    return polling
