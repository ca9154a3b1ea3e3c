"""A reader builds the framework's wheel and follows "Use it in your project" to a working dashboard.

Nothing here comes from this repository's virtual environment: the README's
commands make a new project in a temporary folder, with a virtual environment
of its own (``uv venv``), the wheel installed into it, and its own uvicorn. The
reader's PATH has uv and Python 3.12 (this test's interpreter). Installs take
their versions from ``uv.lock`` (``UV_CONSTRAINT``) and their files from uv's
cache, so they resolve as CI's ``uv sync`` did.
"""

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.pages import Account, BrowserErrors, LoginPage, browser_tab, cookie_header, logged_in_http_client
from e2e.readme_project import (
    README,
    ChunkedResponse,
    CodeBlock,
    DeclaredDashboard,
    ReaderShell,
    WidgetStates,
    code_blocks,
    reader_account,
    reader_environment,
    readme_section,
    stop_group,
)
from e2e.servers import PROJECT_ROOT, Server, free_port

pytestmark = pytest.mark.e2e

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
VERSION = PYPROJECT["project"]["version"]
WHEEL = PROJECT_ROOT / "dist" / f"htmx_dashboard-{VERSION}-py3-none-any.whl"
# Asked until the server answers: a static file, since asking a widget or a dashboard
# would fill the widget cache that the streaming check needs empty.
READY_PATH = "/static/widgets/dashboard.css"
TIMEOUT_MS = 10_000


@pytest.fixture(autouse=True)
def healthy_upstream() -> None:
    """The reader's project calls no upstream: the demo's (conftest.py) is not started for these tests."""


@pytest.fixture(scope="session")
def readme_steps() -> list[CodeBlock]:
    return code_blocks(readme_section(README.read_text()))


@pytest.fixture(scope="session")
def reader_shell(tmp_path_factory: pytest.TempPathFactory) -> ReaderShell:
    """The reader's folder, next to their clone (a link to this repository), and a shell in it."""
    folder = tmp_path_factory.mktemp("reader")
    (folder / "htmx-dashboard").symlink_to(PROJECT_ROOT, target_is_directory=True)
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv, "uv runs these tests (`uv run pytest`), so it should be at hand"
    tools = tmp_path_factory.mktemp("reader-tools")
    (tools / "uv").symlink_to(uv)
    (tools / "python3.12").symlink_to(Path(sys.executable).resolve())
    constraints = tools / "constraints.txt"
    export = [uv, "export", "--frozen", "--no-default-groups", "--no-hashes", "--no-emit-project", "--quiet"]
    subprocess.run([*export, "--output-file", str(constraints)], cwd=PROJECT_ROOT, check=True)
    env = reader_environment(tools)
    return ReaderShell(folder, {**env, "UV_CONSTRAINT": str(constraints), "UV_PYTHON_DOWNLOADS": "never"})


@pytest.fixture(scope="session")
def wheel(readme_steps: list[CodeBlock], reader_shell: ReaderShell) -> Path:
    """The wheel, built by the section's first block."""
    build = readme_steps[0]
    assert build.language == "sh"
    assert "uv build" in build.code
    WHEEL.unlink(missing_ok=True)
    reader_shell.run(build.code)
    assert WHEEL.is_file()
    return WHEEL


@pytest.fixture(scope="session")
def reader_site(
    readme_steps: list[CodeBlock], reader_shell: ReaderShell, wheel: Path, log_dir: Path
) -> Iterator[Server]:
    """The reader's project, made by the section's other blocks, served by its last on a free port."""
    *steps, serve = readme_steps[1:]
    assert serve.is_server
    for block in steps:
        if block.language == "python":
            reader_shell.write(block)
        else:
            reader_shell.run(block.code)
    port = free_port()
    log_path = log_dir / "reader-site.log"
    # uvicorn reads its options from UVICORN_* too: the README's command runs as written.
    env = {"UVICORN_HOST": "127.0.0.1", "UVICORN_PORT": str(port)}
    server = Server(
        "reader-site", reader_shell.start(serve.code, env, log_path), log_path, f"http://127.0.0.1:{port}"
    )
    try:
        server.wait_until_answering(READY_PATH)
        yield server
    finally:
        stop_group(server)


@pytest.fixture(scope="session")
def declared_dashboard(readme_steps: list[CodeBlock]) -> DeclaredDashboard:
    dashboard = DeclaredDashboard.find(readme_steps)
    # The address the section tells the reader to open is the one tested.
    assert f"`http://127.0.0.1:8000/dashboards/{dashboard.slug}/`" in readme_section(README.read_text())
    return dashboard


@pytest.fixture(scope="session")
def reader(readme_steps: list[CodeBlock]) -> Account:
    """The account the reader made with the section's ``createsuperuser`` command."""
    return reader_account(readme_steps)


@pytest.fixture
def reader_page(browser: Browser, reader_site: Server, browser_errors: BrowserErrors) -> Iterator[Page]:
    """A tab in a fresh browser context on the reader's site, its errors recorded."""
    with browser_tab(browser, reader_site.url, browser_errors, TIMEOUT_MS) as tab:
        yield tab


def test_the_wheel_holds_the_framework_and_nothing_else(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"htmx_dashboard-{VERSION}.dist-info/METADATA").decode()

    assert {name.split("/", 1)[0] for name in names} == {"widgets", f"htmx_dashboard-{VERSION}.dist-info"}
    assert not [name for name in names if name.startswith(("dashboard/", "tests/", "e2e/", "bench/"))]
    package_files = {
        path.relative_to(PROJECT_ROOT).as_posix()
        for folder in ("templates", "static", "migrations", "management")
        for path in (PROJECT_ROOT / "widgets" / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert "widgets/static/widgets/dashboard.css" in package_files
    assert "widgets/migrations/0001_initial.py" in package_files
    assert sorted(package_files - names) == []
    required = {
        requirement_name(line) for line in metadata.splitlines() if line.startswith("Requires-Dist: ")
    }
    assert "django" in required
    assert required.isdisjoint(requirement_name(demo) for demo in PYPROJECT["dependency-groups"]["demo"])


def requirement_name(requirement: str) -> str:
    """``django`` from ``Requires-Dist: django<6.2,>=6.1``, ``psycopg`` from ``psycopg[binary,pool]>=3.2``."""
    return re.split(r"[^\w.-]", requirement.removeprefix("Requires-Dist: "), maxsplit=1)[0].lower()


def test_the_project_runs_the_framework_from_the_installed_wheel(
    reader_site: Server, reader_shell: ReaderShell
) -> None:
    find_widgets = "import importlib.util; print(importlib.util.find_spec('widgets').origin)"
    where = reader_shell.run(f'python -c "{find_widgets}"').strip()

    assert Path(where).is_relative_to(Path(reader_shell.env["VIRTUAL_ENV"]) / "lib")


def test_the_dashboard_streams_its_placeholders_first_then_settles_in_the_browser(
    reader_site: Server,
    declared_dashboard: DeclaredDashboard,
    reader: Account,
    reader_page: Page,
    browser_errors: BrowserErrors,
) -> None:
    path = f"/dashboards/{declared_dashboard.slug}/"
    widgets = declared_dashboard.widgets

    # First, the bytes as they arrive, for the reader logged in: the first chunk is the shell,
    # a placeholder per tile.
    with logged_in_http_client(reader_site.url, reader) as client:
        session = {"Cookie": cookie_header(client)}
    response = ChunkedResponse.get(reader_site.url + path, session)
    assert response.head.startswith("HTTP/1.1 200 ")
    assert response.header("transfer-encoding") == "chunked"
    first, *rest = response.chunks
    assert WidgetStates(first.decode()).found == [(name, "loading") for name in widgets]
    assert b"</html>" not in first
    assert set(WidgetStates(b"".join(rest).decode()).found) == {(name, "ready") for name in widgets}
    assert b"".join(response.chunks).rstrip().endswith(b"</html>")

    # Then as a person sees it: the login page first, which sends the reader back to the dashboard.
    reader_page.goto(path)
    login = LoginPage(reader_page)
    expect(login.heading).to_have_text("Log in")
    login.log_in(reader)
    expect(reader_page).to_have_url(reader_site.url + path)
    roots = reader_page.locator("[data-widget]")
    expect(roots).to_have_count(len(widgets))
    for index, name in enumerate(widgets):
        expect(roots.nth(index)).to_have_attribute("data-widget", name)
        expect(roots.nth(index)).to_have_attribute("data-state", "ready")
    expect(reader_page.locator('[data-state="loading"]')).to_have_count(0)
    stylesheets = reader_page.evaluate("[...document.styleSheets].map(s => [s.href, s.cssRules.length])")
    assert any("/static/widgets/" in (href or "") for href, _ in stylesheets)
    assert [href for href, rules in stylesheets if rules == 0] == []
    assert browser_errors.page == []
    assert browser_errors.console == []
