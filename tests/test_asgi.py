import asyncio

from widgets import http


async def test_lifespan_builds_the_http_client_at_startup_and_closes_it_at_shutdown(settings):
    settings.STATIC_ROOT = settings.BASE_DIR / "static"  # any existing directory will do
    from dashboard.asgi import application

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
