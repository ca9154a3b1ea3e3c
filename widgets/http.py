"""The one shared ``httpx.AsyncClient`` of a process.

Created on first use in the running event loop, closed by ``aclose_client()``
(dashboard/asgi.py calls it on ASGI lifespan shutdown). Keeping one client per
process keeps upstream connections alive between requests.
"""

import asyncio

import httpx

from widgets.conf import widget_settings

_client: httpx.AsyncClient | None = None
_client_loop: asyncio.AbstractEventLoop | None = None


def build_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(widget_settings.SOURCE_TIMEOUT, connect=widget_settings.HTTP_CONNECT_TIMEOUT),
        limits=httpx.Limits(
            max_connections=widget_settings.HTTP_MAX_CONNECTIONS,
            max_keepalive_connections=20,
            keepalive_expiry=30,
        ),
        headers={"User-Agent": widget_settings.HTTP_USER_AGENT, "Accept": "application/json"},
        follow_redirects=True,
    )


def get_client() -> httpx.AsyncClient:
    """Return the process's client, creating it in the running loop if needed."""
    global _client, _client_loop
    loop = asyncio.get_running_loop()
    # A client is bound to the loop it was first used in; tests run many loops.
    if _client is None or _client.is_closed or _client_loop is not loop:
        _client = build_client()
        _client_loop = loop
    return _client


async def aclose_client() -> None:
    """Close the shared client (on shutdown, and between tests)."""
    global _client, _client_loop
    client, _client, _client_loop = _client, None, None
    if client is not None and not client.is_closed:
        await client.aclose()
