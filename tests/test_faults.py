"""Faults: Redis, the database or an upstream going away degrades what depends on it, never into a 5xx.

Every request goes through the real ASGI application, in-process; Redis, the
database's closed port and the upstream are real servers (or the lack of one)
on loopback ports of the tests' own.
"""

import asyncio
import itertools
import logging
import re
import socket
import time

import httpx
import pytest
from django import forms
from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS, connections
from redis.asyncio import Redis

from tests.test_cache import RedisServer, free_port
from widgets import (
    NUMBER,
    Dashboard,
    Tile,
    dashboards,
    gather_sources,
    get_asgi_application,
    http_json,
    obj,
    orm,
)
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.cache import redis_link
from widgets.registry import registry

HTMX = {"HX-Request": "true"}
UPSTREAM_DEADLINE = 0.5


def state_of(fragment: str) -> str | None:
    """The ``data-state`` of the widget root a fragment starts with; None for anything else."""
    match = re.search(r'<section [^>]*data-state="(\w+)"', fragment)
    return match[1] if match else None


def shows_no_failure_page(body: str) -> bool:
    return "Traceback" not in body and "Server Error" not in body


@pytest.fixture
async def app(settings):
    """The ASGI application a project serves, as an httpx client talks to it."""
    settings.STATIC_ROOT = settings.BASE_DIR / "static"  # any existing directory will do
    transport = httpx.ASGITransport(app=get_asgi_application())
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client


# Redis killed and started again while widget requests keep coming


class ShardForm(forms.Form):
    shard = forms.IntegerField(min_value=0)


class ShardWidget(KpiWidget):
    """A cheap load per shard: every new shard is a cache miss, which asks Redis."""

    name = "fault_shard"
    title = "Shard"
    params_form = ShardForm

    async def load(self, params):
        await asyncio.sleep(0.002)
        return {"kpis": [Kpi("Shard", str(params["shard"]))]}


@pytest.fixture
def shard_widget():
    registry.register(ShardWidget)
    yield
    registry.unregister(ShardWidget.name)


@pytest.fixture
async def own_redis(settings, monkeypatch):
    """A redis-server of the test's own behind the widget cache, retried soon after it fails."""
    server = RedisServer(free_port())
    await server.start()
    settings.WIDGETS_REDIS_URL = server.url
    monkeypatch.setattr(redis_link, "REDIS_RETRY_SECONDS", 0.2)
    yield server
    await server.stop()


REQUESTS = 200
CONCURRENT = 4
PACE = 0.02  # seconds between one client's requests: about 200 requests in a second and a half
KILL_AFTER, RESTART_AFTER = 50, 110


@pytest.mark.django_db(transaction=True)
async def test_redis_killed_and_restarted_under_load_never_fails_a_request_and_is_used_again(
    app, shard_widget, own_redis, caplog
):
    answers: list[tuple[int, httpx.Response]] = []
    indices = iter(range(REQUESTS))
    milestones = {KILL_AFTER: asyncio.Event(), RESTART_AFTER: asyncio.Event()}

    async def viewer():
        for index in indices:
            # Each shard twice in a row: the second request joins the first's load or finds its value.
            response = await app.get(f"/widgets/fault_shard/?shard={index // 2}", headers=HTMX)
            answers.append((index, response))
            if len(answers) in milestones:
                milestones[len(answers)].set()
            await asyncio.sleep(PACE)

    async def outage():
        await milestones[KILL_AFTER].wait()
        await kill(own_redis)
        readiness = await app.get("/readyz")
        await milestones[RESTART_AFTER].wait()
        await own_redis.start()
        return readiness

    with caplog.at_level(logging.INFO, logger="widgets.cache"):
        *_, while_down = await asyncio.gather(*(viewer() for _ in range(CONCURRENT)), outage())
        used_again = await loads_reach_redis_again(app, own_redis)

    assert len(answers) == REQUESTS
    failed = [
        (index, response.status_code)
        for index, response in answers
        if response.status_code != 200
        or state_of(response.text) not in {"ready", "stale"}
        or f'data-kpi="shard">{index // 2}<' not in response.text
        or not shows_no_failure_page(response.text)
    ]
    assert failed == []
    messages = [record.getMessage() for record in caplog.records]
    assert any("Redis unavailable" in message for message in messages)  # the outage did reach the cache
    assert "Widget cache: Redis is reachable again" in messages
    assert used_again
    assert (while_down.status_code, while_down.json()) == (
        200,
        {"status": "degraded", "cache": "unreachable"},
    )
    assert (await app.get("/readyz")).json() == {"status": "ok"}


async def kill(server: RedisServer) -> None:
    """SIGKILL: no clean shutdown, as when Redis crashes or its host goes away."""
    process, server.process = server.process, None
    assert process is not None
    process.kill()
    await process.wait()


async def loads_reach_redis_again(app, server, within=3.0):
    """Whether new loads write to the restarted Redis (empty when it started) within ``within`` seconds."""
    probe = Redis.from_url(server.url)
    deadline = time.monotonic() + within
    shards = itertools.count(10_000)
    try:
        while await probe.dbsize() == 0:
            if time.monotonic() > deadline:
                return False
            response = await app.get(f"/widgets/fault_shard/?shard={next(shards)}", headers=HTMX)
            assert response.status_code == 200
            await asyncio.sleep(0.05)
        return True
    finally:
        await probe.aclose()


# The database unreachable


class UserCountWidget(KpiWidget):
    name = "fault_users"
    title = "Users"

    async def load(self, params):
        values = await gather_sources(orm("users", User.objects.acount))
        return {"kpis": [Kpi("Users", str(values["users"]))]}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def database_down(monkeypatch, tmp_path):
    """The default database moved where nothing answers: a closed port, or a directory that does not exist.

    Without PostgreSQL's pool: its connections opened before stay good, and it would wait its
    ``timeout`` for a new one (tests/test_sources.py covers the pool's timeout).
    """
    connections.close_all()
    settings_dict = connections.settings[DEFAULT_DB_ALIAS]
    if settings_dict["ENGINE"] == "django.db.backends.postgresql":
        port = closed_port()
        options = {name: value for name, value in settings_dict["OPTIONS"].items() if name != "pool"}
        monkeypatch.setitem(settings_dict, "OPTIONS", options)
        monkeypatch.setitem(settings_dict, "HOST", "127.0.0.1")
        monkeypatch.setitem(settings_dict, "PORT", port)
        yield str(port)
    else:
        where = tmp_path / "gone" / "db.sqlite3"
        monkeypatch.setitem(settings_dict, "NAME", str(where))
        yield str(where)
    connections.close_all()


@pytest.fixture
def user_count_widget():
    registry.register(UserCountWidget)
    yield
    registry.unregister(UserCountWidget.name)


@pytest.mark.django_db(transaction=True)
async def test_database_down_shows_the_widget_error_and_readyz_503_within_a_second(
    app, in_process, user_count_widget, database_down
):
    widget = await app.get("/widgets/fault_users/", headers=HTMX)
    started = time.monotonic()
    readiness = await app.get("/readyz")
    elapsed = time.monotonic() - started

    assert widget.status_code == 200
    assert state_of(widget.text) == "error"
    assert '<strong data-source="users">users</strong>: database unavailable' in widget.text
    assert shows_no_failure_page(widget.text)
    assert database_down not in widget.text
    assert (readiness.status_code, readiness.json()) == (
        503,
        {"status": "unavailable", "database": "unreachable"},
    )
    assert elapsed < 1.0


# Upstreams that hang, fail, or answer what a source must not take


class Upstream:
    """A tiny HTTP/1.1 server on a free loopback port: ``{"value": 42}`` on any path not in ``faults``."""

    def __init__(self) -> None:
        self.faults: dict[str, str] = {}
        self.closing = asyncio.Event()
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self.answer, "127.0.0.1", 0)

    async def stop(self) -> None:
        self.closing.set()  # ends the requests left hanging
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            path = (await reader.readline()).split()[1].decode()
            while await reader.readline() not in (b"\r\n", b""):
                pass  # the request's headers
            fault = self.faults.get(path)
            if fault == "hang":
                await self.closing.wait()
                return
            status, headers, body = self.response_for(fault)
            head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close", *headers]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            await writer.drain()
        except ConnectionError:
            pass  # the client gave up first
        finally:
            writer.close()

    @staticmethod
    def response_for(fault: str | None) -> tuple[str, list[str], bytes]:
        json_type = "Content-Type: application/json"
        if fault == "error":
            return "500 Internal Server Error", [json_type], b'{"error": "database on fire"}'
        if fault == "malformed":
            return "200 OK", [json_type], b'{"value": 4'
        if fault == "oversized":
            return "200 OK", [json_type], b'{"value": 42, "padding": "' + b"x" * 4096 + b'"}'
        if fault == "redirect":
            return "302 Found", ["Location: /elsewhere"], b""
        return "200 OK", [json_type], b'{"value": 42}'


class FigureWidget(KpiWidget):
    """One figure from the test upstream's ``path``."""

    name = "fault_figure"
    title = "Figure"
    path = "/figure"
    source = "figures-api"
    base_url = ""  # the upstream fixture's

    async def load(self, params):
        url = self.base_url + self.path
        source = http_json(self.source, url, shape=obj({"value": NUMBER}), deadline=UPSTREAM_DEADLINE)
        values = await gather_sources(source)
        return {"kpis": [Kpi(self.title, str(values[self.source]["value"]))]}


class SteadyFigureWidget(FigureWidget):
    name = "fault_steady"
    title = "Steady"
    path = "/steady"
    source = "steady-api"


class FaultsDashboard(Dashboard):
    slug = "faults"
    title = "Faults"
    layout = (Tile("fault_figure"), Tile("fault_steady"))


@pytest.fixture
async def upstream(settings, monkeypatch):
    """The upstream behind both figure widgets, which are registered; failures remembered briefly."""
    settings.WIDGETS_CACHE_ERROR_SECONDS = 0.5
    settings.WIDGETS_HTTP_MAX_BYTES = 1024
    server = Upstream()
    await server.start()
    monkeypatch.setattr(FigureWidget, "base_url", server.url)
    for widget_class in (FigureWidget, SteadyFigureWidget):
        registry.register(widget_class)
    dashboards.register(FaultsDashboard)
    yield server
    dashboards.unregister(FaultsDashboard.slug)
    for widget_class in (FigureWidget, SteadyFigureWidget):
        registry.unregister(widget_class.name)
    await server.stop()


async def until_ready(app, url, within):
    """The widget's answers until one is ready, or ``within`` seconds have passed: the last one."""
    deadline = time.monotonic() + within
    while True:
        response = await app.get(url, headers=HTMX)
        if state_of(response.text) == "ready" or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.05)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("hang", f"timed out after {UPSTREAM_DEADLINE:g} s"),
        ("error", "upstream answered HTTP 500"),
        ("malformed", "upstream answered something that is not JSON"),
        ("oversized", "upstream answered more than 1 KiB (limit WIDGETS_HTTP_MAX_BYTES)"),
        ("redirect", "upstream answered a redirect (HTTP 302); this source does not follow redirects"),
    ],
)
async def test_a_faulty_upstream_fails_only_its_own_widget_which_recovers_once_it_heals(
    app, upstream, fault, reason
):
    upstream.faults["/figure"] = fault
    failing, steady = await asyncio.gather(
        app.get("/widgets/fault_figure/", headers=HTMX), app.get("/widgets/fault_steady/", headers=HTMX)
    )
    assert (failing.status_code, steady.status_code) == (200, 200)
    assert state_of(failing.text) == "error"
    assert f'<strong data-source="figures-api">figures-api</strong>: {reason}' in failing.text
    assert shows_no_failure_page(failing.text)
    assert upstream.url not in failing.text
    assert state_of(steady.text) == "ready"

    upstream.faults.clear()
    recovered = await until_ready(app, "/widgets/fault_figure/", within=3.0)
    assert state_of(recovered.text) == "ready"
    assert 'data-kpi="figure">42<' in recovered.text


async def test_a_page_with_a_hanging_upstream_streams_to_its_end_with_no_widget_left_loading(app, upstream):
    upstream.faults["/figure"] = "hang"
    started = time.monotonic()
    response = await app.get("/dashboards/faults/")
    elapsed = time.monotonic() - started
    body = response.text

    tiles = re.findall(
        r'<div class="tile [^"]*?(tile--placeholder|tile--arrived)-?\d*">\s*'
        r'<section [^>]*data-widget="(\w+)"[^>]*data-state="(\w+)"',
        body,
    )
    placeholders = {widget: state for kind, widget, state in tiles if kind == "tile--placeholder"}
    arrived = {widget: state for kind, widget, state in tiles if kind == "tile--arrived"}
    assert response.status_code == 200
    assert body.rstrip().endswith("</html>")
    assert placeholders == {"fault_figure": "loading", "fault_steady": "loading"}
    assert arrived == {"fault_figure": "error", "fault_steady": "ready"}
    assert body.count('data-state="loading"') == len(placeholders)  # none outside the placeholders
    assert f"figures-api</strong>: timed out after {UPSTREAM_DEADLINE:g} s" in body
    assert elapsed < UPSTREAM_DEADLINE + 2.0
