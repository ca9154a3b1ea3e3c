import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings
from django.db import connections
from django.test import override_settings
from hypothesis import Phase
from hypothesis import settings as hypothesis_settings
from redis.asyncio import Redis

from widgets.cache import aclose_cache
from widgets.memo import clear_memos
from widgets.sources.http import aclose_client

# The project has no default key with DEBUG off; the tests sign embed links with this one.
if not os.environ.get("SECRET_KEY"):
    settings.SECRET_KEY = "tests-only-secret-key-not-for-production"


@pytest.fixture(autouse=True)
def plain_static_storage() -> Iterator[None]:
    """Unit tests render templates without a collectstatic manifest."""
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield


@pytest.fixture(autouse=True)
def anyone_may_look(settings) -> None:
    """Tests of what widgets do look as an anonymous visitor; tests/test_access.py checks who may look."""
    settings.WIDGETS_LOGIN_REQUIRED = False


@pytest.fixture(autouse=True)
async def fresh_http_client() -> AsyncIterator[None]:
    """Each test gets its own shared client, closed afterwards."""
    await aclose_client()
    yield
    await aclose_client()


@pytest.fixture(autouse=True)
async def fresh_widget_cache() -> AsyncIterator[None]:
    """Each test starts with an empty widget cache, under Redis keys of its own, and empty memos."""
    with override_settings(WIDGETS_CACHE_KEY_PREFIX=f"test-{uuid.uuid4().hex[:12]}"):
        await aclose_cache()
        clear_memos()
        yield
        await aclose_cache()
        clear_memos()


@pytest.fixture(autouse=True)
async def close_async_orm_connections() -> AsyncIterator[None]:
    """Async tests use the ORM from asgiref's thread; return its connection afterwards."""
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture(scope="session", autouse=True)
def close_database_pools(django_db_setup, django_db_blocker):
    """Close PostgreSQL connection pools before the test database is dropped."""
    yield
    with django_db_blocker.unblock():
        for wrapper in connections.all():
            close_pool = getattr(wrapper, "close_pool", None)
            if close_pool is not None:
                close_pool()


@pytest.fixture
def thread_hops(monkeypatch) -> list[str]:
    """Names of the sync functions run through ``sync_to_async`` while the fixture is active."""
    hops: list[str] = []
    original = SyncToAsync.__call__

    async def recording_call(self, *args, **kwargs):
        hops.append(getattr(self.func, "__qualname__", None) or repr(self.func))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", recording_call)
    return hops


REDIS_TEST_URL = "redis://127.0.0.1:6379/14"  # not 15: bench/ uses that one


@pytest.fixture
def in_process(settings) -> None:
    """The widget cache without Redis."""
    settings.WIDGETS_REDIS_URL = None


@pytest.fixture
async def redis_db(settings) -> AsyncIterator[Redis]:
    """A real Redis (database 14, emptied first) behind the widget cache, to look inside."""
    settings.WIDGETS_REDIS_URL = REDIS_TEST_URL
    client = Redis.from_url(REDIS_TEST_URL)
    await client.flushdb()
    yield client
    await client.aclose()


# Property-based tests: the same examples on every run (no .hypothesis/ database), no per-example deadline
# (a loaded 2-core machine is slow now and then), a test whose examples cost more asks for fewer. A failing
# test reports its first bug, shrunk, without the explain phase: rerunning under a tracer took a minute.
hypothesis_settings.register_profile(
    "suite",
    derandomize=True,
    database=None,
    max_examples=100,
    deadline=None,
    report_multiple_bugs=False,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
)
hypothesis_settings.load_profile("suite")
