"""The ASGI application uvicorn serves.

Static files are answered before Django (see static_files.py); the lifespan
protocol, which Django's handler rejects, is answered here so the shared
``httpx.AsyncClient`` and the widget cache's Redis client are closed cleanly
when a worker stops.
"""

import os
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402

from dashboard.gc_tuning import tune_gc  # noqa: E402
from dashboard.handler import LeanASGIHandler  # noqa: E402
from dashboard.static_files import Receive, Scope, Send, StaticFilesApp  # noqa: E402
from widgets.cache import aclose_cache  # noqa: E402
from widgets.http import aclose_client, get_client  # noqa: E402

django_application: Any = LeanASGIHandler() if settings.ASGI_LEAN_HANDLER else ASGIHandler()

static_and_django = StaticFilesApp(django_application)


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            get_client()  # built now, not inside the first request's source deadline
            tune_gc()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await aclose_client()
            await aclose_cache()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
    else:
        await static_and_django(scope, receive, send)
