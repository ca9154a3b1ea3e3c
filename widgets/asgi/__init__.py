"""The ASGI application: lifespan, static files before Django, and Django's handler without its thread.

``get_asgi_application()`` is what a project's ``asgi.py`` serves::

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    application = get_asgi_application()

- ``handler``: Django's ``ASGIHandler`` minus the per-request thread when nothing needs it;
- ``static``: whitenoise's files answered as native ASGI, before Django;
- ``lifespan``: the shared HTTP client built at start-up, clients closed at shutdown;
- ``gc``: the worker's garbage collector tuned once it is ready;
- ``inline_middleware``: Django's stock middleware run in the event loop, sessions for the admin only.
"""

from typing import Any

import django
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.asgi import ASGIHandler

from widgets.asgi.handler import LeanASGIHandler
from widgets.asgi.lifespan import run_lifespan
from widgets.asgi.static import ASGIApp, Receive, Scope, Send, StaticFilesApp
from widgets.conf import widget_settings


class WidgetsASGIApp:
    """Lifespan answered here; every HTTP request to ``app`` (static files, then Django)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await run_lifespan(receive, send)
        else:
            await self.app(scope, receive, send)


MISSING_SECRET_KEY = (
    "SECRET_KEY is not set, so the server will not start: anyone who knew a default key could sign "
    "embed links and forge sessions. Set it to a long random value, the same on every host, e.g.\n"
    "  export SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')\"\n"
    "(make demo and make serve keep one for this checkout in .secret-key)."
)


def refuse_without_secret_key() -> None:
    """Raise ``ImproperlyConfigured`` saying how to set ``SECRET_KEY`` when it is empty."""
    try:
        secret_key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to read an empty one
        secret_key = ""
    if not secret_key:
        raise ImproperlyConfigured(MISSING_SECRET_KEY)


def get_asgi_application() -> WidgetsASGIApp:
    """Set Django up and return the application uvicorn serves (use it in place of Django's).

    It refuses to start without a ``SECRET_KEY``. With ``WIDGETS_ASGI_LEAN_HANDLER`` off,
    Django's own ``ASGIHandler`` serves the requests; static files and the lifespan are
    answered either way.
    """
    django.setup(set_prefix=False)
    refuse_without_secret_key()
    handler: Any = LeanASGIHandler() if widget_settings.ASGI_LEAN_HANDLER else ASGIHandler()
    return WidgetsASGIApp(StaticFilesApp(handler))


__all__ = ["LeanASGIHandler", "StaticFilesApp", "WidgetsASGIApp", "get_asgi_application"]
