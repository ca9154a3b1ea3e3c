import asyncio
import gc
from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured

from widgets import get_asgi_application
from widgets.asgi.gc import parse_threshold, tune_gc
from widgets.sources import http


@pytest.fixture
def restore_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


async def test_lifespan_builds_the_http_client_at_startup_and_closes_it_at_shutdown(settings, restore_gc):
    settings.STATIC_ROOT = settings.BASE_DIR / "static"  # any existing directory will do
    application = get_asgi_application()  # as a project's asgi.py builds it

    messages: asyncio.Queue = asyncio.Queue()
    sent = []
    started = asyncio.Event()

    async def send(message):
        sent.append(message["type"])
        if message["type"] == "lifespan.startup.complete":
            started.set()

    messages.put_nowait({"type": "lifespan.startup"})
    serving = asyncio.create_task(application({"type": "lifespan"}, messages.get, send))
    await started.wait()
    client = http._client
    assert client is not None
    assert not client.is_closed
    messages.put_nowait({"type": "lifespan.shutdown"})
    await serving
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert client.is_closed
    assert gc.get_freeze_count() > 0  # start-up tuned the collector


def test_start_up_freezes_what_exists_and_sets_the_threshold(settings, restore_gc):
    settings.WIDGETS_GC_FREEZE, settings.WIDGETS_GC_THRESHOLD = True, "12345,15,90"
    long_lived = [object() for _ in range(1000)]
    tune_gc()
    assert gc.get_threshold() == (12345, 15, 90)
    assert gc.get_freeze_count() >= len(long_lived)


def test_without_freeze_or_threshold_the_collector_is_left_as_python_has_it(settings, restore_gc):
    settings.WIDGETS_GC_FREEZE, settings.WIDGETS_GC_THRESHOLD = False, ""
    threshold = gc.get_threshold()
    tune_gc()
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("value", ["many", "1,2,3,4", "-5", "10000,,100"])
def test_a_bad_threshold_is_refused_with_what_was_given(value):
    with pytest.raises(ImproperlyConfigured, match=f"GC_THRESHOLD .*{value!r}"):
        parse_threshold(value)


def test_a_threshold_of_one_to_three_numbers_is_taken():
    assert parse_threshold("700") == (700,)
    assert parse_threshold(" 10000, 20 ,100") == (10000, 20, 100)
    assert parse_threshold("") == ()
