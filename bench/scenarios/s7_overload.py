"""S7: one uvicorn worker under 500 concurrent requests for distinct slow widget loads.

500 viewers each ask at once for the FX widget with a shard of their own
(``/widgets/s7_fx/?shard=N``): 500 distinct loads of an upstream that answers
after 2 s, far more than the worker should run at once. Meanwhile a prober on a
connection (and thread) of its own asks ``/healthz`` every 20 ms. The same
burst runs twice, on a fresh worker each time: with the default bound on
distinct loads in flight (``WIDGETS_MAX_LOADS_IN_FLIGHT``, 100), then with
none (``0``).

Measured: ``/healthz`` latency at idle (before the burst) and during it; the
latency of the 503 answers (with ``Retry-After``) that turn the excess away;
and every other answer, which must be a 200 with the widget ready.
"""

import asyncio
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from bench.benchapp.names import S7_WIDGET_NAME
from bench.databases import flush_redis
from bench.loadgen import HttpConnection, HttpError, htmx_headers, widget_roots
from bench.scenario import (
    Context,
    Goal,
    ScenarioError,
    ScenarioResult,
    median,
    percentile,
    ratio,
    rounded_map,
)
from bench.servers import Server, Servers

KEY = "S7"
TITLE = "Overload: 500 concurrent distinct slow widget loads on one uvicorn worker, /healthz meanwhile"
NEEDS = ("sqlite", "redis")

UPSTREAM_DELAY_MS = 2000
REQUESTS = 500
DEFAULT_BOUND = 100  # WIDGETS_MAX_LOADS_IN_FLIGHT's default, which the first worker runs with
REQUEST_DEADLINE_SECONDS = 30.0
IDLE_PROBES = 100
PROBE_INTERVAL_SECONDS = 0.02
PROBE_DEADLINE_SECONDS = 10.0
# Goals: see bench/README.md for why these.
HEALTH_P99_OVER_REFUSAL_P99 = 1.0
READY = "HTTP 200 ready"
REFUSAL_P99_OVER_UPSTREAM = 0.5


@dataclass
class Burst:
    """What the 500 requests got, and what /healthz answered meanwhile."""

    statuses: Counter[str] = field(default_factory=Counter)
    ready_ms: list[float] = field(default_factory=list)
    refused_ms: list[float] = field(default_factory=list)
    health_ms: list[float] = field(default_factory=list)
    health_failures: int = 0
    seconds: float = 0.0

    @property
    def unexpected(self) -> int:
        """Answers that are neither a 200 with the widget ready nor a 503 with ``Retry-After``."""
        return sum(count for outcome, count in self.statuses.items() if outcome not in ("ready", "refused"))


@dataclass
class WorkerResult:
    """One worker's idle /healthz latencies, its burst, and its answer once the burst is over."""

    bound: int
    idle_health_ms: list[float]
    burst: Burst
    after_state: str


def run(ctx: Context) -> ScenarioResult:
    result = ScenarioResult(KEY, TITLE)
    flush_redis(ctx.redis_url)
    with Servers(ctx.log_dir, "s7") as servers:
        upstream = servers.upstream(UPSTREAM_DELAY_MS)
        upstream_ms = time_upstream_alone(upstream)
        runs = [
            measure_worker(servers, ctx, upstream, bound=DEFAULT_BOUND, first_shard=0),
            measure_worker(servers, ctx, upstream, bound=0, first_shard=10 * REQUESTS),
        ]
    bounded, unbounded = runs
    idle_p99 = percentile(bounded.idle_health_ms, 0.99)
    health_p99 = percentile(bounded.burst.health_ms, 0.99)
    refused_p99 = percentile(bounded.burst.refused_ms, 0.99)
    result.goals = [
        Goal(
            "answers other than 200 ready or 503 + Retry-After; /healthz or a later load failing",
            float(bounded.burst.unexpected + bounded.burst.health_failures + (bounded.after_state != READY)),
            0.0,
            unit="",
        ),
        Goal(
            "/healthz p99 during the burst ÷ 503 p99",
            ratio(health_p99, refused_p99),
            HEALTH_P99_OVER_REFUSAL_P99,
        ),
        Goal("503 p99 ÷ upstream time", ratio(refused_p99, upstream_ms), REFUSAL_P99_OVER_UPSTREAM),
    ]
    unbounded_health_p99 = percentile(unbounded.burst.health_ms, 0.99)
    result.summary = (
        f"Upstream {upstream_ms:.0f} ms. "
        + " ".join(describe(measured) for measured in runs)
        + f" /healthz p99 during the burst: {ratio(health_p99, idle_p99) or float('nan'):.0f}× its idle p99 "
        f"with the bound, {ratio(unbounded_health_p99, idle_p99) or float('nan'):.0f}× without; "
        f"bound ÷ no bound {ratio(health_p99, unbounded_health_p99) or float('nan'):.2f}×"
    )
    for measured in runs:
        label = f"bound_{measured.bound}" if measured.bound else "unbounded"
        burst = measured.burst
        result.details[f"{label}_statuses"] = dict(burst.statuses)
        result.details[f"{label}_health_ms"] = rounded_map(
            quantiles(idle=measured.idle_health_ms, burst=burst.health_ms)
        )
        result.details[f"{label}_answers_ms"] = rounded_map(
            quantiles(refused=burst.refused_ms, ready=burst.ready_ms)
        )
        result.details[f"{label}_health_probes"] = len(burst.health_ms)
        result.details[f"{label}_burst_seconds"] = round(burst.seconds, 2)
        result.details[f"{label}_after_burst"] = measured.after_state
    result.details["upstream_ms"] = round(upstream_ms, 1)
    return result


def time_upstream_alone(upstream: Server) -> float:
    """The upstream's own answer time (the median of two), what a load of the S7 widget waits for."""
    with httpx.Client(base_url=upstream.url, timeout=10.0) as client:
        samples = []
        for _ in range(2):
            started = time.perf_counter()
            client.get("/s7_alone/latest", params={"from": "EUR"}).raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    return median(samples)


def quantiles(**samples: list[float]) -> dict[str, float]:
    """p50, p99 and max of each named list of latencies that has any (JSON has no NaN)."""
    return {
        f"{name}_{quantile}": value
        for name, values in samples.items()
        if values
        for quantile, value in (
            ("p50", percentile(values, 0.5)),
            ("p99", percentile(values, 0.99)),
            ("max", max(values)),
        )
    }


def describe(measured: WorkerResult) -> str:
    burst = measured.burst
    name = f"Bound {measured.bound}:" if measured.bound else "No bound:"
    outcomes = ", ".join(f"{count} {outcome}" for outcome, count in sorted(burst.statuses.items()))
    answers = "".join(
        f"; {label} p99 {percentile(latencies, 0.99):.0f} ms"
        for label, latencies in (("503", burst.refused_ms), ("200 ready", burst.ready_ms))
        if latencies
    )
    idle, during = measured.idle_health_ms, burst.health_ms
    return (
        f"{name} {outcomes}{answers}; /healthz p50/p99 "
        f"{percentile(idle, 0.5):.1f}/{percentile(idle, 0.99):.1f} ms idle, "
        f"{percentile(during, 0.5):.1f}/{percentile(during, 0.99):.1f} ms during the burst "
        f"({len(during)} probes, {burst.seconds:.1f} s); afterwards a new load: {measured.after_state}."
    )


def measure_worker(
    servers: Servers, ctx: Context, upstream: Server, *, bound: int, first_shard: int
) -> WorkerResult:
    """Start a worker with ``bound``, time /healthz idle, send the burst, check it serves afterwards."""
    env = ctx.app_env(ctx.sqlite_url, upstream_url=upstream.url, max_loads_in_flight=str(bound))
    app = servers.uvicorn(env, name=f"uvicorn-bound-{bound}")
    # Warm the worker (templates, HTTP client) on a shard of its own.
    warm = widget_state(app, first_shard + REQUESTS + 1)
    if warm != READY:
        raise ScenarioError(f"the S7 widget did not load on a warm-up request ({warm}):\n{app.log_tail()}")
    idle = [latency for _, latency in asyncio.run(probe_health(app, count=IDLE_PROBES))]
    burst = send_burst(app, first_shard)
    after = widget_state(app, first_shard + REQUESTS + 2)
    app.stop()  # the next worker gets the machine to itself; the upstream stays
    return WorkerResult(bound, idle, burst, after)


def widget_state(app: Server, shard: int) -> str:
    """The status and widget state of one request for ``shard``: ``READY`` when all is well."""
    response = httpx.get(
        f"{app.url}/widgets/{S7_WIDGET_NAME}/?shard={shard}", headers={"HX-Request": "true"}, timeout=10.0
    )
    root = widget_roots(response.content).get(S7_WIDGET_NAME)
    return f"HTTP {response.status_code} {root.state if root else 'no widget'}{reason_of(response.content)}"


def reason_of(html: bytes) -> str:
    """Why the widget's first failed source failed, as the error state says (``: timed out after 3 s``)."""
    match = re.search(rb"</strong>: ([^<]*)</li>", html)
    return f" ({match[1].decode(errors='replace').strip()})" if match else ""


async def probe_health(
    app: Server, *, count: int | None = None, stop: threading.Event | None = None
) -> list[tuple[float, float]]:
    """``/healthz`` probes, one at a time on one connection: ``count`` of them, or until ``stop``.

    Each is (when it was sent, ``time.perf_counter()``; its latency in ms).
    """
    connection = HttpConnection("127.0.0.1", app.port)
    probes: list[tuple[float, float]] = []
    try:
        while (count is None or len(probes) < count) and not (stop and stop.is_set()):
            sent = time.perf_counter()
            response = await connection.get("/healthz", deadline=PROBE_DEADLINE_SECONDS)
            if response.status != 200:
                raise HttpError(f"/healthz answered HTTP {response.status}")
            probes.append((sent, response.seconds * 1000))
            if stop is not None:
                await asyncio.sleep(PROBE_INTERVAL_SECONDS)
    finally:
        await connection.close()
    return probes


def send_burst(app: Server, first_shard: int) -> Burst:
    """The burst, with /healthz probed meanwhile from a thread (and event loop) of its own.

    In its own thread the prober is not held up by the client's work on 500 answers.
    Probes sent from the moment the requests go until the last is answered count.
    """
    burst = Burst()
    stop = threading.Event()
    probes: list[tuple[float, float]] = []

    def prober() -> None:
        try:
            probes.extend(asyncio.run(probe_health(app, stop=stop)))
        except HttpError:
            burst.health_failures += 1

    thread = threading.Thread(target=prober, name="s7-healthz")
    thread.start()
    try:
        started, ended = asyncio.run(send_requests(app, burst, first_shard))
    finally:
        stop.set()
        thread.join(timeout=PROBE_DEADLINE_SECONDS + 1)
    burst.health_ms = [latency for sent, latency in probes if started <= sent <= ended]
    return burst


async def send_requests(app: Server, burst: Burst, first_shard: int) -> tuple[float, float]:
    """Open every connection, then send every request at once, each for a shard of its own.

    Returns when they went and when the last was answered (``time.perf_counter()``).
    """
    connections = [HttpConnection("127.0.0.1", app.port) for _ in range(REQUESTS)]
    opened = await asyncio.gather(*(connection.open() for connection in connections), return_exceptions=True)
    go = asyncio.Event()
    headers = htmx_headers(f"{app.url}/")

    async def request(connection: HttpConnection, shard: int) -> None:
        await go.wait()
        path = f"/widgets/{S7_WIDGET_NAME}/?shard={shard}"
        try:
            response = await connection.get(
                path, headers, deadline=REQUEST_DEADLINE_SECONDS, retry_closed=False
            )
        except HttpError as error:
            burst.statuses[f"request failed: {str(error).split(':')[0]}"] += 1
            return
        root = widget_roots(response.body).get(S7_WIDGET_NAME)
        state = root.state if root else "no widget"
        if response.status == 503 and "retry-after" in response.headers and state == "overloaded":
            burst.statuses["refused"] += 1
            burst.refused_ms.append(response.seconds * 1000)
        elif response.status == 200 and state == "ready":
            burst.statuses["ready"] += 1
            burst.ready_ms.append(response.seconds * 1000)
        else:
            burst.statuses[f"HTTP {response.status} {state}{reason_of(response.body)}"] += 1

    try:
        for outcome in opened:
            if isinstance(outcome, BaseException):
                burst.statuses[f"connect failed: {type(outcome).__name__}"] += 1
        tasks = [
            asyncio.create_task(request(connection, first_shard + number))
            for number, (connection, outcome) in enumerate(zip(connections, opened, strict=True))
            if not isinstance(outcome, BaseException)
        ]
        await asyncio.sleep(0.5)  # every task is waiting on the event, and the prober has its pace
        started = time.perf_counter()
        go.set()
        await asyncio.gather(*tasks)
        ended = time.perf_counter()
        burst.seconds = ended - started
    finally:
        for connection in connections:
            await connection.close()
    return started, ended
