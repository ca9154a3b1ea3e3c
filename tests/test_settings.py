"""dashboard/settings.py reads the environment at import time, so each case imports it in a fresh Python."""

import json
import os
import subprocess
import sys
from pathlib import Path

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
