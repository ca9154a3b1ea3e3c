"""The one shared ``httpx.AsyncClient`` of a process.

Created on first use in the running event loop, closed by ``aclose_client()``
(dashboard/asgi.py calls it on ASGI lifespan shutdown). Keeping one client per
process keeps upstream connections alive between requests.
"""

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import httpx

from widgets.conf import widget_settings
from widgets.sources.run import Source, UpstreamError
from widgets.sources.send_first import pending_sends
from widgets.sources.shapes import Shape

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


async def fetch_json(url: str, *, params: Mapping[str, str] | None = None, shape: Shape | None = None) -> Any:
    """GET ``url`` with the shared client and return its JSON, checked against ``shape``."""
    with pending_sends.sending() as trace:
        response = await get_client().get(url, params=params, extensions={"trace": trace})
    if response.status_code >= 400:
        raise UpstreamError(f"upstream answered HTTP {response.status_code}")
    try:
        data = json.loads(response.content)
    except ValueError:
        raise UpstreamError("upstream answered something that is not JSON") from None
    if shape is not None:
        shape.check(data)
    return data


def http_json(
    name: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    shape: Shape | None = None,
    deadline: float | None = None,
) -> Source[Any]:
    """A source that fetches JSON from an external API."""
    return Source(name, lambda: fetch_json(url, params=params, shape=shape), deadline)
