"""The ASGI lifespan protocol, which Django's handler rejects, answered for a worker process.

At start-up the shared ``httpx.AsyncClient`` is built (not inside the first
request's source deadline) and the garbage collector tuned; at shutdown the
client and the widget cache's Redis client are closed cleanly.
"""

from widgets.asgi.gc import tune_gc
from widgets.asgi.static import Receive, Send
from widgets.cache import aclose_cache
from widgets.sources import aclose_client, get_client


async def run_lifespan(receive: Receive, send: Send) -> None:
    """Answer ``lifespan.startup`` and ``lifespan.shutdown`` until the server shuts the worker down."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            get_client()
            tune_gc()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await aclose_client()
            await aclose_cache()
            await send({"type": "lifespan.shutdown.complete"})
            return
