"""Browser tests against the real stack: uvicorn, the demo upstream and Chromium.

One session builds a throwaway database (PostgreSQL when ``DATABASE_URL``
points there, else SQLite), migrates and seeds it, starts the demo upstream
and the app on free ports, and launches one headless Chromium. Each test gets
a fresh browser context and a healthy upstream.

Dashboards and widgets need a login: ``page`` is logged in as the demo's
``admin``, who sees every widget. Each demo user logs in once per run,
through the login page (``Visitors``); a test's context starts with that
login's cookies. Embeds, which need none, are opened anonymously.

For embedding, two more websites run on ports of their own: a partner's,
whose origin the app lists in ``EMBED_ALLOWED_ORIGINS``, and a stranger's,
which it does not.
"""

import contextlib
import os
import re
from collections.abc import Generator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, Error, Page, expect, sync_playwright
from psycopg import sql

from e2e.pages import ADMIN, WIDGET_NAMES, BrowserErrors, Dashboard, HostPage, Visitors, logged_in_http_client
from e2e.servers import (
    PROJECT_ROOT,
    BackgroundProcess,
    EmbedLink,
    EmbedLinks,
    Server,
    StaticSite,
    UpstreamFaults,
    free_port,
    run_manage_py,
    start_process,
    start_uvicorn,
)

E2E_DIR = Path(__file__).resolve().parent
ARTIFACTS_DIR = E2E_DIR / "artifacts"
SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SEED_ORDERS = 3000
# Embed links are signed with it: the app and the commands that sign links must agree.
SECRET_KEY = "e2e-only-secret-key-not-for-production"
# Generous for a loaded 2-core machine; a passing test waits far less.
EXPECT_TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On failure, attach the servers' recent logs and a screenshot of the page."""
    report = yield
    if report.failed and isinstance(item, pytest.Function):
        for value in item.funcargs.values():
            if isinstance(value, BackgroundProcess):
                report.sections.append((f"{value.name} log (last lines)", value.log_tail()))
            if isinstance(value, Page) and not value.is_closed():
                ARTIFACTS_DIR.mkdir(exist_ok=True)
                screenshot = ARTIFACTS_DIR / (re.sub(r"[^\w.-]+", "_", item.nodeid) + ".png")
                with contextlib.suppress(Error):  # a crashed page has nothing to show
                    value.screenshot(path=screenshot, full_page=True)
                    report.sections.append(("screenshot", str(screenshot)))
    return report


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e-logs")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database: ``<name>_e2e`` on the PostgreSQL server of DATABASE_URL, else SQLite."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith("postgres"):
        yield f"sqlite:///{tmp_path_factory.mktemp('e2e-db') / 'e2e.sqlite3'}"
        return
    parts = urlsplit(configured)
    name = f"{parts.path.lstrip('/') or 'postgres'}_e2e"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(configured, dbname="postgres", autocommit=True) as admin:
        admin.execute(drop)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield parts._replace(path=f"/{name}").geturl()
    with psycopg.connect(configured, dbname="postgres", autocommit=True) as admin:
        admin.execute(drop)


@pytest.fixture(scope="session")
def app_environment(database_url: str) -> dict[str, str]:
    """The environment of every app process, its database migrated and seeded."""
    if not (PROJECT_ROOT / "staticfiles" / "staticfiles.json").exists():
        pytest.fail("No static files manifest: run `manage.py collectstatic --noinput` first.", pytrace=False)
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0", "SECRET_KEY": SECRET_KEY}
    if not env.get("REDIS_URL"):
        env.pop("REDIS_URL", None)
    run_manage_py(["migrate", "--noinput", "-v0"], env)
    run_manage_py(["seed_demo", "--orders", str(SEED_ORDERS)], env)
    return env


@pytest.fixture(scope="session")
def upstream(log_dir: Path) -> Iterator[Server]:
    """The demo upstream: FX rates, a status page and health checks, without random faults."""
    env = {**os.environ, "DEMO_UPSTREAM_FAILURE_RATE": "0", "DEMO_UPSTREAM_LATENCY_MS": "0,20"}
    server = start_uvicorn("upstream", "dashboard.demo_upstream:app", env, log_dir, "/_control/faults")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def partner_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticSite]:
    """A partner's website, whose origin may embed widgets (``EMBED_ALLOWED_ORIGINS``)."""
    site = StaticSite(tmp_path_factory.mktemp("partner-site"))
    yield site
    site.stop()


@pytest.fixture(scope="session")
def stranger_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticSite]:
    """A website whose origin the dashboard does not know: its embeds must be refused."""
    site = StaticSite(tmp_path_factory.mktemp("stranger-site"))
    yield site
    site.stop()


@pytest.fixture(scope="session")
def app_server_environment(
    app_environment: dict[str, str], upstream: Server, partner_site: StaticSite
) -> dict[str, str]:
    """The app server's environment.

    Its port is chosen here, before the server starts, so that ``SITE_URL``
    (and every embed link signed with it) names it.
    """
    return {
        **app_environment,
        "SITE_URL": f"http://127.0.0.1:{free_port()}",
        "EMBED_ALLOWED_ORIGINS": partner_site.origin,
        "ALLOWED_HOSTS": "127.0.0.1",
        "RATES_API_URL": upstream.url,
        "STATUS_API_URL": upstream.url,
        "HEALTHCHECK_URLS": f"api={upstream.url}/health/api,web={upstream.url}/health/web",
        "WIDGETS_SOURCE_TIMEOUT": "1",
        # Every test sees the upstream as it is now: a value cached by an earlier
        # test (or an earlier run, through Redis) would hide the fault under test.
        "WIDGETS_CACHE_ENABLED": "0",
    }


@pytest.fixture(scope="session")
def app_server(app_server_environment: dict[str, str], log_dir: Path) -> Iterator[Server]:
    """The dashboard under uvicorn, its external APIs pointing at the demo upstream."""
    env = app_server_environment
    port = urlsplit(env["SITE_URL"]).port
    server = start_uvicorn("app", "dashboard.asgi:application", env, log_dir, "/healthz", port=port)
    warm_up(server)
    yield server
    server.stop()


def warm_up(server: Server) -> None:
    """Load every widget once, so no test pays for a cold process against the 1 s source deadline.

    The first requests compile templates, open the first database connection
    and build the HTTP client; on a busy 2-core machine that alone can pass 1 s.
    """
    with logged_in_http_client(server.url, ADMIN) as client:
        for name in WIDGET_NAMES:
            client.get(f"/widgets/{name}/")


@pytest.fixture(scope="session")
def embed_links(app_server_environment: dict[str, str]) -> EmbedLinks:
    return EmbedLinks(app_server_environment)


@pytest.fixture(scope="session")
def recent_orders_link(embed_links: EmbedLinks) -> EmbedLink:
    """An embed link to the recent orders widget, which refreshes every 5 s: made once per session."""
    return embed_links.make("recent_orders", expires="1h")


@pytest.fixture
def new_orders_arriving(app_environment: dict[str, str], log_dir: Path) -> Iterator[BackgroundProcess]:
    """``simulate_orders`` writing a few orders every half second into the test database."""
    simulator = start_process(
        "simulate_orders", ["manage.py", "simulate_orders", "--interval", "0.5"], app_environment, log_dir
    )
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture(scope="session")
def upstream_faults(upstream: Server) -> Iterator[UpstreamFaults]:
    with httpx.Client(base_url=upstream.url, timeout=5.0) as client:
        yield UpstreamFaults(client)


@pytest.fixture(autouse=True)
def healthy_upstream(upstream_faults: UpstreamFaults) -> Iterator[None]:
    upstream_faults.reset()
    yield
    upstream_faults.reset()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Headless Chromium: Debian's when installed, else Playwright's own download.

    Package-scoped: sync Playwright keeps an event loop running in this thread
    while it is open, which breaks any async test that runs after it.
    """
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    executable = str(SYSTEM_CHROMIUM) if SYSTEM_CHROMIUM.exists() else None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def browser_errors() -> BrowserErrors:
    return BrowserErrors()


@pytest.fixture(scope="package")
def visitors(browser: Browser, app_server: Server) -> Visitors:
    """Anonymous visitors and the demo's users, each logged in once (package-scoped, like ``browser``)."""
    return Visitors(browser, app_server.url, EXPECT_TIMEOUT_MS)


@pytest.fixture
def page(visitors: Visitors, browser_errors: BrowserErrors) -> Iterator[Page]:
    """A tab in a fresh browser context on the live server, logged in as ``admin``, its errors recorded."""
    with visitors.tab(ADMIN, browser_errors) as tab:
        yield tab


@pytest.fixture
def anonymous_page(visitors: Visitors, browser_errors: BrowserErrors) -> Iterator[Page]:
    """A tab in a fresh browser context on the live server, logged in as no one, its errors recorded."""
    with visitors.tab(None, browser_errors) as tab:
        yield tab


@pytest.fixture
def dashboard(page: Page) -> Dashboard:
    return Dashboard(page)


@pytest.fixture
def page_without_js(browser: Browser, app_server: Server, visitors: Visitors) -> Iterator[Page]:
    """A tab in a browser context with JavaScript disabled, logged in as ``admin``."""
    context = browser.new_context(
        base_url=app_server.url, java_script_enabled=False, storage_state=visitors.storage_state(ADMIN)
    )
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def page_file_name(item: pytest.Item) -> str:
    return re.sub(r"[^\w.-]+", "_", item.name) + ".html"


@pytest.fixture
def partner_page(anonymous_page: Page, partner_site: StaticSite, request: pytest.FixtureRequest) -> HostPage:
    """A page of the partner's site, opened in the test's tab: its visitors have no session of ours."""
    return HostPage(anonymous_page, partner_site, page_file_name(request.node))


@pytest.fixture
def stranger_page(
    anonymous_page: Page, stranger_site: StaticSite, request: pytest.FixtureRequest
) -> HostPage:
    """A page of the stranger's site, opened in the test's tab: its visitors have no session of ours."""
    return HostPage(anonymous_page, stranger_site, page_file_name(request.node))
