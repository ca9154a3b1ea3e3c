"""The ASGI application uvicorn serves.

Static files are answered before Django (see static_files.py); the lifespan
protocol, which Django's handler rejects, is answered here so the shared
``httpx.AsyncClient`` is closed cleanly when a worker stops.
"""

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
django_application: Any = get_asgi_application()

from dashboard.static_files import Receive, Scope, Send, StaticFilesApp  # noqa: E402
from widgets.http import aclose_client  # noqa: E402

static_and_django = StaticFilesApp(django_application)


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await aclose_client()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
    else:
        await static_and_django(scope, receive, send)
