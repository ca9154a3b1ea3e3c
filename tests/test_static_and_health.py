import asyncio
import json
import logging
import socket
import threading
import time

import httpx
import pytest
from django.core.handlers.asgi import ASGIHandler
from django.core.management import call_command
from django.db import DatabaseError
from django.test import AsyncClient, override_settings

from widgets.asgi.static import StaticFilesApp

MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES=MANIFEST_STORAGE):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


@pytest.fixture
def asgi_client(static_root):
    with override_settings(
        STATIC_ROOT=static_root,
        STORAGES=MANIFEST_STORAGE,
        WHITENOISE_AUTOREFRESH=False,
        WHITENOISE_USE_FINDERS=False,
    ):
        app = StaticFilesApp(ASGIHandler())
        yield httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")


def hashed_name(static_root, name):
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    return manifest["paths"][name]


async def test_hashed_static_file_is_served_before_django_and_cached_forever(asgi_client, static_root):
    async with asgi_client as client:
        response = await client.get(f"/static/{hashed_name(static_root, 'widgets/widgets.css')}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "immutable" in response.headers["cache-control"]
    assert ".widget" in response.text
    assert "x-request-id" not in response.headers  # never reached Django's middleware


async def test_static_file_is_sent_compressed_when_the_client_accepts_it(asgi_client, static_root):
    path = f"/static/{hashed_name(static_root, 'django_htmx/htmx-2.min.js')}"
    async with asgi_client as client:
        compressed = await client.get(path, headers={"Accept-Encoding": "gzip"})
        plain = await client.get(path, headers={"Accept-Encoding": "identity"})
    assert compressed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert compressed.text == plain.text  # httpx decodes the gzip body


async def test_unknown_static_file_falls_through_to_django_404(asgi_client):
    async with asgi_client as client:
        response = await client.get("/static/nope.css")
    assert response.status_code == 404
    assert "x-request-id" in response.headers


async def test_healthz_answers_without_touching_dependencies():
    response = await AsyncClient().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(transaction=True)
async def test_readyz_is_ok_when_database_and_redis_answer(redis_db):
    response = await AsyncClient().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(transaction=True)
async def test_readyz_is_ok_without_redis_to_check(in_process):
    response = await AsyncClient().get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def timed_readyz():
    started = time.monotonic()
    response = await AsyncClient().get("/readyz")
    return response, time.monotonic() - started


@pytest.mark.django_db(transaction=True)
async def test_readyz_is_degraded_but_ready_when_redis_is_down_and_says_no_more(settings, caplog):
    port = closed_port()
    settings.WIDGETS_REDIS_URL = f"redis://127.0.0.1:{port}/0"
    with caplog.at_level(logging.WARNING, logger="dashboard.health"):
        response, _ = await timed_readyz()
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "cache": "unreachable"}
    assert f"{port}" in caplog.text  # the details are in the log only


@pytest.fixture
async def silent_server():
    """A port that accepts connections and never answers."""
    done = asyncio.Event()

    async def never_answer(reader, writer):
        await done.wait()
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    done.set()
    server.close()
    await server.wait_closed()


@pytest.mark.django_db(transaction=True)
async def test_readyz_answers_within_a_second_when_redis_does_not(settings, silent_server):
    settings.WIDGETS_REDIS_URL = f"redis://127.0.0.1:{silent_server}/0"
    response, elapsed = await timed_readyz()
    assert (response.status_code, response.json()) == (200, {"status": "degraded", "cache": "timed out"})
    assert elapsed < 1.0


@pytest.mark.django_db(transaction=True)
async def test_readyz_is_unavailable_when_the_database_is_and_shows_no_exception_text(
    monkeypatch, in_process, caplog
):
    import dashboard.health

    def broken_ping():
        raise DatabaseError('connection to server at "db.internal" (10.0.0.5), port 5432 failed')

    monkeypatch.setattr(dashboard.health, "ping_database", broken_ping)
    with caplog.at_level(logging.WARNING, logger="dashboard.health"):
        response, _ = await timed_readyz()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert "db.internal" in caplog.text


@pytest.mark.django_db(transaction=True)
async def test_readyz_answers_within_a_second_when_the_database_hangs(monkeypatch, in_process):
    import dashboard.health

    released = threading.Event()
    monkeypatch.setattr(dashboard.health, "ping_database", lambda: released.wait(5))
    try:
        response, elapsed = await timed_readyz()
    finally:
        released.set()
    assert (response.status_code, response.json()) == (
        503,
        {"status": "unavailable", "database": "timed out"},
    )
    assert elapsed < 1.0


@pytest.mark.django_db(transaction=True)
async def test_readyz_names_both_parts_when_both_are_down(monkeypatch, settings):
    import dashboard.health

    def broken_ping():
        raise DatabaseError("could not connect")

    monkeypatch.setattr(dashboard.health, "ping_database", broken_ping)
    settings.WIDGETS_REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response, _ = await timed_readyz()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable", "cache": "unreachable"}
