"""Logging a demo user in through the site's real login page, once, before a scenario measures."""

import re
from dataclasses import dataclass

import httpx

from bench.scenario import ScenarioError
from bench.servers import Server

LOGIN_PATH = "/accounts/login/"
# Django's default cookie names; the project keeps them.
SESSION_COOKIE = "sessionid"
CSRF_COOKIE = "csrftoken"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"')


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str


# Made by seed_demo (dashboard/demo_users.py; tests/test_bench_loadgen.py checks they match).
SUPERUSER = DemoLogin("admin", "admin-demo")  # skips permission checks, sees every tile
ANALYST = DemoLogin("analyst", "analyst-demo")  # view_revenue and view_customer; not staff, so no uptime


def csrf_form_token(html: str) -> str | None:
    """The ``csrfmiddlewaretoken`` hidden input of a form page."""
    match = CSRF_FIELD.search(html)
    return match.group(1) if match else None


def log_in(app: Server, login: DemoLogin) -> str:
    """Log ``login`` in as a browser does; the ``Cookie`` header value that carries its session.

    GET the login page for its CSRF cookie and hidden input, POST the form, and
    expect Django's redirect with a session cookie: anything else (a wrong
    password, a throttled login, a missing user) stops the scenario.
    """
    with httpx.Client(base_url=app.url, timeout=10.0, follow_redirects=False) as client:
        form = client.get(LOGIN_PATH)
        token = csrf_form_token(form.text)
        if form.status_code != 200 or token is None or CSRF_COOKIE not in client.cookies:
            raise ScenarioError(f"{LOGIN_PATH} answered HTTP {form.status_code} without a CSRF token")
        fields = {"username": login.username, "password": login.password, "csrfmiddlewaretoken": token}
        answer = client.post(LOGIN_PATH, data=fields)
        session = answer.cookies.get(SESSION_COOKIE)
        if answer.status_code != 302 or not session:
            raise ScenarioError(
                f"logging in as {login.username!r} answered HTTP {answer.status_code} without a session "
                "(is the user seeded? bench/databases.py runs seed_demo, which makes the demo users)"
            )
    return f"{SESSION_COOKIE}={session}"
