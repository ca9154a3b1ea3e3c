"""The README's "Writing a widget" example, run as written: linted, type-checked, loaded and served.

The code blocks whose first line is ``# myapp/models.py`` or ``# myapp/widgets.py``
become a package ``myapp`` in a temporary project with settings of its own, so the
tools and the example run in subprocesses: ruff and ``mypy --strict`` (django-stubs)
as a reader's project would run them, then a script that installs ``myapp``, adds
invoices, mocks the FX API with respx and asks the registered widget for its data
and the widget endpoint for its fragment.
"""

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
EXAMPLE_FILES = ("myapp/models.py", "myapp/widgets.py")
# Kept between runs next to the project's own cache (django-stubs takes most of a cold run).
MYPY_CACHE = ROOT / ".mypy_cache" / "readme-example"
RATES_URL = "http://127.0.0.1:8001"

PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)

SETTINGS = f"""\
SECRET_KEY = "readme-example"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django_htmx",
    "widgets",
    "myapp",
]
MIDDLEWARE = ["django_htmx.middleware.HtmxMiddleware"]
ROOT_URLCONF = "readme_urls"
# A file, not :memory:: each ORM source runs on a thread of its own, with a connection of its own.
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": "readme.sqlite3"}}}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
TEMPLATES = [{{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}}]
USE_TZ = True
TIME_ZONE = "UTC"
RATES_API_URL = "{RATES_URL}"
# What the widget shows, asked anonymously: who may see it is tests/test_access.py's subject.
WIDGETS_LOGIN_REQUIRED = False
"""

URLS = """\
from django.urls import include, path

urlpatterns = [path("", include("widgets.urls"))]
"""

# Runs in the temporary project; prints what it saw as JSON for the test to check.
RUN_EXAMPLE = f"""\
import asyncio
import json
from decimal import Decimal

import django

django.setup()

import respx
from django.core.management import call_command
from django.test import AsyncClient

from myapp.models import Invoice
from widgets.registry import registry
from widgets.sources.http import aclose_client

RATES = {{"amount": 1.0, "base": "EUR", "date": "2026-11-30", "rates": {{"USD": 1.1}}}}
FRAGMENT = {{"HX-Request": "true"}}


async def main():
    widget = registry.get("invoices")
    form = widget.bind_params({{"status": "paid"}})
    assert form.is_valid(), form.errors
    client = AsyncClient()
    with respx.mock(assert_all_called=True) as upstream:
        rates = upstream.get("{RATES_URL}/latest").respond(json=RATES)
        context = await widget.load(form.cleaned_data)
        ready = await client.get("/widgets/invoices/?status=paid", headers=FRAGMENT)
        invalid = await client.get("/widgets/invoices/?status=void", headers=FRAGMENT)
    with respx.mock(assert_all_called=True) as upstream:
        upstream.get("{RATES_URL}/latest").respond(503)
        failed = await client.get("/widgets/invoices/?status=open", headers=FRAGMENT)
    await aclose_client()
    return {{
        "kpis": [[kpi.label, kpi.value, kpi.detail] for kpi in context["kpis"]],
        "rates_queries": [dict(call.request.url.params) for call in rates.calls],
        "responses": {{
            name: {{"status": response.status_code, "html": response.content.decode()}}
            for name, response in [("ready", ready), ("invalid", invalid), ("failed", failed)]
        }},
    }}


call_command("migrate", run_syncdb=True, verbosity=0)
Invoice.objects.bulk_create(
    [
        Invoice(status=Invoice.Status.PAID, amount=Decimal("1200.00")),
        Invoice(status=Invoice.Status.PAID, amount=Decimal("34.50")),
        Invoice(status=Invoice.Status.OPEN, amount=Decimal("99.99")),
    ]
)
print(json.dumps(asyncio.run(main())))
"""


def readme_example() -> dict[str, str]:
    """The README's Python blocks that open with a ``# myapp/...`` file name, by that name."""
    blocks: dict[str, list[str]] = {}
    for block in PYTHON_BLOCK.findall(README.read_text()):
        first_line = block.split("\n", 1)[0]
        if first_line.startswith("# myapp/"):
            blocks.setdefault(first_line.removeprefix("# "), []).append(block)
    assert {name: len(found) for name, found in blocks.items() if name in EXAMPLE_FILES} == dict.fromkeys(
        EXAMPLE_FILES, 1
    ), "README.md should show each example file once"
    return {name: blocks[name][0] for name in EXAMPLE_FILES}


def mypy_config() -> str:
    """The project's strictness options for mypy, the example's settings for django-stubs."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    options = {
        key: ", ".join(value) if isinstance(value, list) else value
        for key, value in project.items()
        if key in {"python_version", "strict", "warn_unreachable", "enable_error_code", "plugins"}
    }
    lines = ["[mypy]", *(f"{key} = {value}" for key, value in options.items()), f"mypy_path = {ROOT}"]
    # The framework is checked by the project's own mypy run: here it only lends its types.
    lines += ["", "[mypy-widgets.*]", "follow_imports = silent"]
    lines += ["", "[mypy.plugins.django-stubs]", "django_settings_module = readme_settings"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary project holding the README's ``myapp``, its settings and URLs."""
    directory = tmp_path_factory.mktemp("readme-example")
    (directory / "myapp").mkdir()
    (directory / "myapp" / "__init__.py").write_text("")
    for name, code in readme_example().items():
        (directory / name).write_text(code)
    (directory / "readme_settings.py").write_text(SETTINGS)
    (directory / "readme_urls.py").write_text(URLS)
    (directory / "mypy.ini").write_text(mypy_config())
    (directory / "run_example.py").write_text(RUN_EXAMPLE)
    return directory


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(project), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "readme_settings",
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_readme_example_passes_ruff(project: Path) -> None:
    # The project's rules, with `widgets` a third-party package as it is in a reader's project.
    config = [
        "--config",
        str(ROOT / "pyproject.toml"),
        "--config",
        "lint.isort.known-first-party = ['myapp']",
    ]
    check = run(project, "-m", "ruff", "check", "--no-cache", *config, "myapp")
    assert check.returncode == 0, check.stdout + check.stderr
    format_check = run(project, "-m", "ruff", "format", "--check", "--diff", "--no-cache", *config, "myapp")
    assert format_check.returncode == 0, format_check.stdout + format_check.stderr


def test_readme_example_passes_mypy_strict(project: Path) -> None:
    checked = run(project, "-m", "mypy", "--config-file", "mypy.ini", "--cache-dir", str(MYPY_CACHE), "myapp")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Success: no issues found in 3 source files" in checked.stdout


@pytest.fixture(scope="module")
def example_run(project: Path) -> dict[str, Any]:
    ran = run(project, "-W", "error", "run_example.py")
    assert ran.returncode == 0, ran.stderr
    result: dict[str, Any] = json.loads(ran.stdout)
    return result


def test_readme_widget_loads_the_total_and_its_usd_value(example_run: dict[str, Any]) -> None:
    assert example_run["kpis"] == [["Paid invoices", "€1,234.50", "$1,357.95"]]
    assert example_run["rates_queries"] == [{"from": "EUR"}, {"from": "EUR"}]


def test_readme_widget_endpoint_renders_it_ready(example_run: dict[str, Any]) -> None:
    ready = example_run["responses"]["ready"]
    assert ready["status"] == 200
    assert 'data-widget="invoices"' in ready["html"]
    assert 'data-state="ready"' in ready["html"]
    assert "€1,234.50" in ready["html"]
    assert "$1,357.95" in ready["html"]


def test_readme_widget_endpoint_refuses_an_unknown_status(example_run: dict[str, Any]) -> None:
    invalid = example_run["responses"]["invalid"]
    assert invalid["status"] == 400
    assert 'data-state="error"' in invalid["html"]
    assert "void" in invalid["html"]


def test_readme_widget_names_a_failed_source(example_run: dict[str, Any]) -> None:
    failed = example_run["responses"]["failed"]
    assert failed["status"] == 200
    assert 'data-state="error"' in failed["html"]
    assert "usd-rate" in failed["html"]
    assert "upstream answered HTTP 503" in failed["html"]
