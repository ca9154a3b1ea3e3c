import json

import httpx
import pytest
from django.core.cache import cache
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
async def test_readyz_is_ok_when_database_and_cache_answer():
    response = await AsyncClient().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(transaction=True)
async def test_readyz_names_the_failing_cache(monkeypatch):
    async def broken_set(*args, **kwargs):
        raise ConnectionError("cache is down")

    monkeypatch.setattr(cache, "aset", broken_set)
    response = await AsyncClient().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert list(body["failing"]) == ["cache"]
    assert "cache is down" in body["failing"]["cache"]


@pytest.mark.django_db(transaction=True)
async def test_readyz_names_the_failing_database(monkeypatch):
    import dashboard.health

    def broken_ping():
        raise DatabaseError("could not connect")

    monkeypatch.setattr(dashboard.health, "ping_database", broken_ping)
    response = await AsyncClient().get("/readyz")
    assert response.status_code == 503
    assert list(response.json()["failing"]) == ["database"]
