"""S1: time until all 12 widgets are visible and ready, in headless Chromium, cold cache.

Twelve widgets, each an FX rate from its own path on a 200 ms upstream plus an
ORM aggregate over the 50,000 seeded orders (SQLite), shown three ways:

(a) our page: the ``s1`` dashboard at ``/dashboards/s1/``, declared with the
    public API like any project's (one streamed response);
(b) the same widgets as placeholders that each lazy-load ``/widgets/<name>/``
    with their own HTMX request (``/bench/lazy/``: the walking dashboard's way);
(c) a plain synchronous view rendering them one after another under one
    gunicorn sync worker (sync ORM, sync httpx: ``/bench/sequential/``).

A run ends when every visible ``[data-widget]`` root is ready, stale or error
(bench/scenarios/all_ready.js), timed from navigation start in the page. Each
run has a fresh browser context whose tab first opens /healthz on the same
site, so the renderer process is running before the timed load, as in a
viewer's browser (``warm_up_renderer``). Every run uses filter values not used
before in this run, so no cache helps it; runs alternate a, b, c so drift on a
shared machine hits each variant alike.
"""

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from bench.benchapp.names import S1_WIDGET_NAMES, fresh_filters
from bench.databases import flush_redis
from bench.scenario import Context, Goal, ScenarioError, ScenarioResult, median, ratio, rounded
from bench.scenarios.probes import time_aggregate_alone, time_widget_alone
from bench.servers import Server, Servers

KEY = "S1"
TITLE = "Time to all widgets visible (headless Chromium, 12 widgets, cold cache)"
NEEDS = ("sqlite", "redis")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ALL_READY_SCRIPT = Path(__file__).with_name("all_ready.js")
UPSTREAM_DELAY_MS = 200
PAGE_TIMEOUT_MS = 30_000
RENDERER_SETTLE_MS = 500
ROUNDS = 7
QUICK_ROUNDS = 1
ALONE_SAMPLES = 5


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    server: Server
    path: str


@dataclass(frozen=True)
class Settled:
    ms: float
    states: dict[str, str]

    @property
    def errors(self) -> int:
        return sum(state == "error" for state in self.states.values())


def run(ctx: Context) -> ScenarioResult:
    result = ScenarioResult(KEY, TITLE)
    filters = fresh_filters()
    flush_redis(ctx.redis_url)
    with Servers(ctx.log_dir, "s1") as servers:
        upstream = servers.upstream(UPSTREAM_DELAY_MS)
        env = ctx.app_env(ctx.sqlite_url, upstream_url=upstream.url)
        app = servers.uvicorn(env)
        sequential = servers.gunicorn(env)
        variants = [
            Variant("a", "our page (/dashboards/s1/)", app, "/dashboards/s1/"),
            Variant("b", "one HTMX request per widget", app, "/bench/lazy/"),
            Variant("c", "sync, sequential, gunicorn", sequential, "/bench/sequential/"),
        ]
        upstream_ms = time_upstream_alone(upstream)
        aggregate_ms = time_aggregate_alone(app, "s1-aggregate", ALONE_SAMPLES)
        widget_alone_ms = [time_widget_alone(app, S1_WIDGET_NAMES[0], next(filters)) for _ in range(3)]
        runs: dict[str, list[Settled]] = {variant.key: [] for variant in variants}
        rounds = QUICK_ROUNDS if ctx.quick else ROUNDS
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM) if CHROMIUM.exists() else None,
                args=CHROMIUM_ARGS,
                headless=True,
            )
            try:
                for round_number in range(rounds + 1):  # round 0 warms every server up
                    for variant in variants:
                        query = next(filters) if variant.key != "c" else "?range=7d&currency=USD"
                        settled = time_to_settled(browser, variant.server.url + variant.path + query)
                        check_widgets(variant, settled)
                        if round_number:
                            runs[variant.key].append(settled)
            finally:
                browser.close()

    slowest_source_ms = max(upstream_ms, aggregate_ms)
    page_ms = {key: median([run.ms for run in settled]) for key, settled in runs.items()}
    result.goals = [
        Goal("(a) ÷ slowest single source, cold cache", ratio(page_ms["a"], slowest_source_ms), 1.25),
        Goal("(a) ÷ (b) one HTMX request per widget", ratio(page_ms["a"], page_ms["b"]), 0.6),
        Goal("(a) ÷ (c) sync sequential view under gunicorn", ratio(page_ms["a"], page_ms["c"]), 0.15),
    ]
    result.details = {
        "slowest_single_source_ms": round(slowest_source_ms, 1),
        "upstream_alone_ms": round(upstream_ms, 1),
        "aggregate_alone_ms": round(aggregate_ms, 1),
        "one_widget_endpoint_alone_ms": round(median(widget_alone_ms), 1),
        "a_page_ms": round(page_ms["a"], 1),
        "b_lazy_page_ms": round(page_ms["b"], 1),
        "c_sequential_page_ms": round(page_ms["c"], 1),
        "a_runs_ms": rounded([run.ms for run in runs["a"]]),
        "b_runs_ms": rounded([run.ms for run in runs["b"]]),
        "c_runs_ms": rounded([run.ms for run in runs["c"]]),
        "rounds": rounds,
    }
    result.summary = (
        f"(a) {page_ms['a']:.0f} ms, (b) {page_ms['b']:.0f} ms, (c) {page_ms['c']:.0f} ms; "
        f"slowest single source {slowest_source_ms:.0f} ms "
        f"(upstream {upstream_ms:.0f} ms, aggregate {aggregate_ms:.0f} ms); "
        f"one widget endpoint alone {median(widget_alone_ms):.0f} ms"
    )
    errors = {key: sum(run.errors for run in settled) for key, settled in runs.items()}
    if any(errors.values()):
        result.notes.append(f"Widgets that ended in their error state, per variant: {errors}.")
    return result


def time_to_settled(browser: Browser, url: str) -> Settled:
    """Open ``url`` in a fresh context; return when every widget had settled, from navigation start."""
    context = browser.new_context()
    try:
        context.add_init_script(f"window.__benchExpectedWidgets = {len(S1_WIDGET_NAMES)};")
        context.add_init_script(path=ALL_READY_SCRIPT)
        page = context.new_page()
        warm_up_renderer(page, url)
        page.goto(url, wait_until="commit", timeout=PAGE_TIMEOUT_MS)
        page.wait_for_function(
            "() => window.__benchAllSettled !== undefined", timeout=PAGE_TIMEOUT_MS, polling=20
        )
        settled: dict[str, Any] = page.evaluate("window.__benchAllSettled")
    except PlaywrightError as error:
        raise ScenarioError(f"{url}: the widgets did not all settle: {error.message}") from error
    finally:
        context.close()
    return Settled(float(settled["ms"]), {str(key): str(value) for key, value in settled["states"].items()})


def warm_up_renderer(page: Page, url: str) -> None:
    """Start the tab's renderer process on ``url``'s site, and let it settle, before the timed load.

    A new context starts a renderer process, which keeps Chromium busy on about
    1.6 of this machine's 2 cores for some 300 ms: started with the timed load,
    it competed with the servers for the whole page. A viewer's browser is
    already running, and on another machine. The tab's next navigation to the
    same site reuses the process; it shares nothing else (no HTTP cache, cookies
    or widget cache), as /healthz loads no page resources.
    """
    scheme, _, host, _ = url.split("/", 3)
    page.goto(f"{scheme}//{host}/healthz", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_timeout(RENDERER_SETTLE_MS)


def check_widgets(variant: Variant, settled: Settled) -> None:
    """Each variant must show exactly the twelve S1 widgets, or the comparison means nothing."""
    if sorted(settled.states) != S1_WIDGET_NAMES:
        raise ScenarioError(
            f"({variant.key}) {variant.path} showed {sorted(settled.states)}, not the S1 widgets: "
            "is the s1 dashboard (bench/benchapp/dashboards.py) still declared with them?"
        )


def time_upstream_alone(upstream: Server) -> float:
    """The 200 ms source alone: one upstream request, client-side, on a kept-alive connection."""
    with httpx.Client(base_url=upstream.url, timeout=10.0) as client:
        client.get("/s1_alone/latest")
        samples = []
        for _ in range(ALONE_SAMPLES):
            started = time.perf_counter()
            client.get("/s1_alone/latest", params={"from": "EUR"}).raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    return median(samples)
