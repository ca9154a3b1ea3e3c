"""Whitenoise's static files, served as a native ASGI app in front of Django.

Whitenoise's middleware is sync-only: in Django's async chain it would make
Django adapt it, and every middleware above it, with a thread hop on every
request. Here whitenoise still finds the files and builds the headers (hashed
names, compressed variants, caching, ranges), and we only speak ASGI.
"""

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from whitenoise.middleware import WhiteNoiseMiddleware

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CHUNK_SIZE = 64 * 1024


def wsgi_headers(scope: Scope) -> dict[str, str]:
    """Request headers in the ``HTTP_*`` form whitenoise's responders read."""
    headers = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = "HTTP_" + raw_name.decode("latin-1").upper().replace("-", "_")
        headers[name] = raw_value.decode("latin-1")
    return headers


class StaticFilesApp:
    """Serve ``STATIC_URL`` with whitenoise; pass every other request to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.whitenoise = WhiteNoiseMiddleware(get_response=lambda request: None)
        self.prefix = self.whitenoise.static_prefix

    def find(self, path: str) -> Any:
        if self.whitenoise.autorefresh:
            return self.whitenoise.find_file(path)
        return self.whitenoise.files.get(path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        static_file = self.find(scope["path"])
        if static_file is None:
            await self.app(scope, receive, send)
            return
        response = static_file.get_response(scope["method"], wsgi_headers(scope))
        headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in response.headers
        ]
        await send({"type": "http.response.start", "status": int(response.status), "headers": headers})
        if response.file is None:
            await send({"type": "http.response.body", "body": b""})
            return
        try:
            while chunk := await asyncio.to_thread(response.file.read, CHUNK_SIZE):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            response.file.close()
