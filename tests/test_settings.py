"""dashboard/settings.py reads the environment at import time, so each case imports it in a fresh Python."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
READ = "import json, dashboard.settings as s; print(json.dumps([s.SITE_URL, s.PORT, s.UPSTREAM_PORT]))"


def settings_with(**environ: str) -> tuple[str, int, int]:
    env = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PORT", "UPSTREAM_PORT"}}
    env.update(environ)
    done = subprocess.run(
        [sys.executable, "-c", READ], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    site_url, port, upstream_port = json.loads(done.stdout)
    return site_url, port, upstream_port


def test_ports_and_site_url_default_to_8000_and_8001():
    assert settings_with() == ("http://127.0.0.1:8000", 8000, 8001)


def test_site_url_follows_port():
    assert settings_with(PORT="9123", UPSTREAM_PORT="9124") == ("http://127.0.0.1:9123", 9123, 9124)


def test_site_url_when_set_wins_over_port():
    site_url, port, _ = settings_with(PORT="9123", SITE_URL="https://dash.example")
    assert (site_url, port) == ("https://dash.example", 9123)


def test_empty_site_url_is_unset():
    assert settings_with(PORT="9123", SITE_URL="")[0] == "http://127.0.0.1:9123"


def test_port_that_is_not_a_number_names_the_variable():
    done = subprocess.run(
        [sys.executable, "-c", READ],
        cwd=ROOT,
        env={**os.environ, "UPSTREAM_PORT": "eighty"},
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "UPSTREAM_PORT must be a whole number, got 'eighty'" in done.stderr


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-key-" + "x" * 40,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
}


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in PRODUCTION}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_settings_pass_the_deploy_checks_without_a_warning():
    result = deploy_check(PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_checks_still_see_the_inline_security_middleware():
    # Without HSTS and the SSL redirect, Django's own warnings come back, though the middleware
    # in MIDDLEWARE are the inline ones: they are not hidden behind "middleware missing".
    result = deploy_check({**PRODUCTION, "SECURE_HSTS_SECONDS": "0", "SECURE_SSL_REDIRECT": "false"})
    assert result.returncode != 0
    assert "security.W004" in result.stderr
    assert "security.W008" in result.stderr
    assert "security.W001" not in result.stderr


def start_server_without_a_secret_key(debug: str) -> subprocess.CompletedProcess[str]:
    """Import the project's ASGI application, as uvicorn does, with no SECRET_KEY set."""
    clean = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", "import dashboard.asgi"],
        cwd=ROOT,
        env={**clean, "DEBUG": debug},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_a_secret_key_and_debug_off_the_server_refuses_to_start_and_says_how():
    result = start_server_without_a_secret_key(debug="false")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set, so the server will not start" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr


def test_with_debug_on_the_server_starts_without_a_secret_key():
    result = start_server_without_a_secret_key(debug="true")
    assert result.returncode == 0, result.stderr


READ_HEALTHCHECKS = (
    "import json, dashboard.settings as s; print(json.dumps(list(s.HEALTHCHECK_URLS.items())))"
)


def start_up(**environ: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HEALTHCHECK_URLS"}
    env.update(environ)
    return subprocess.run(
        [sys.executable, "-c", READ_HEALTHCHECKS], cwd=ROOT, env=env, capture_output=True, text=True
    )


def healthchecks_with(**environ: str) -> list[list[str]]:
    done = start_up(**environ)
    assert done.returncode == 0, done.stderr
    checks: list[list[str]] = json.loads(done.stdout)
    return checks


def test_healthchecks_are_none_unless_set():
    assert healthchecks_with() == []


def test_healthchecks_are_label_url_pairs_in_their_order():
    value = " web = http://127.0.0.1:8001/health/web?token=a=b , api=http://127.0.0.1:8001/health/api,"
    assert healthchecks_with(HEALTHCHECK_URLS=value) == [
        ["web", "http://127.0.0.1:8001/health/web?token=a=b"],
        ["api", "http://127.0.0.1:8001/health/api"],
    ]


@pytest.mark.parametrize(
    "entry",
    [
        "http://127.0.0.1:8001/health/api",
        "http://127.0.0.1:8001/health?token=abc",
        "http://127.0.0.1:8001/go?next=http://127.0.0.1:8001/health",
        "=http://127.0.0.1:8001/health/api",
        "api=",
        "api=127.0.0.1:8001/health/api",
        "api=http://",
    ],
)
def test_healthcheck_without_a_label_or_a_url_stops_start_up_naming_the_entry(entry):
    done = start_up(HEALTHCHECK_URLS=f"web=http://127.0.0.1:8001/health/web,{entry}")
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert f"HEALTHCHECK_URLS entries must be label=url, got {entry!r}" in done.stderr


def test_healthcheck_label_used_twice_stops_start_up_naming_the_entry():
    value = "api=http://127.0.0.1:8001/health/api,api=http://127.0.0.1:8001/health/web"
    done = start_up(HEALTHCHECK_URLS=value)
    assert done.returncode != 0
    assert (
        "HEALTHCHECK_URLS uses the label 'api' twice, again in 'api=http://127.0.0.1:8001/health/web'"
        in done.stderr
    )
