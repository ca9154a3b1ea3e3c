import asyncio

from widgets import http


async def test_lifespan_shutdown_closes_the_shared_http_client(settings):
    settings.STATIC_ROOT = settings.BASE_DIR / "static"  # any existing directory will do
    from dashboard.asgi import application

    client = http.get_client()
    messages = asyncio.Queue()
    sent = []
    for message in ({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}):
        messages.put_nowait(message)

    async def send(message):
        sent.append(message["type"])

    await application({"type": "lifespan"}, messages.get, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert client.is_closed
