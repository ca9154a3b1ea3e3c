"""The one shared ``httpx.AsyncClient`` of a process.

Created on first use in the running event loop, closed by ``aclose_client()``
(dashboard/asgi.py calls it on ASGI lifespan shutdown). Keeping one client per
process keeps upstream connections alive between requests.

An upstream is not trusted to be small or to stay where it is: ``fetch_json``
reads at most ``WIDGETS_HTTP_MAX_BYTES`` of an answer (a source's
``max_bytes`` instead) and stops as soon as an answer passes it, and follows
a redirect only for a source that asks (``follow_redirects=True``).
"""

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import httpx
from django.utils.translation import gettext, ngettext

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
        follow_redirects=False,
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


async def fetch_json(
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    shape: Shape | None = None,
    max_bytes: int | None = None,
    follow_redirects: bool = False,
) -> Any:
    """GET ``url`` with the shared client and return its JSON, checked against ``shape``.

    The answer may be ``max_bytes`` long at most (default ``WIDGETS_HTTP_MAX_BYTES``);
    a redirect fails the fetch unless ``follow_redirects``.
    """
    client = get_client()
    with pending_sends.sending() as trace:
        request = client.build_request("GET", url, params=params, extensions={"trace": trace})
        response = await client.send(request, stream=True, follow_redirects=follow_redirects)
    try:
        _check_status(response, follow_redirects=follow_redirects)
        content = await _read_capped(response, max_bytes)
    finally:
        await response.aclose()
    try:
        data = json.loads(content)
    except ValueError:
        raise UpstreamError(gettext("upstream answered something that is not JSON")) from None
    if shape is not None:
        shape.check(data)
    return data


def _check_status(response: httpx.Response, *, follow_redirects: bool) -> None:
    status = response.status_code
    if 300 <= status < 400 and not follow_redirects:
        message = gettext(
            "upstream answered a redirect (HTTP %(status)s); this source does not follow redirects"
        )
        raise UpstreamError(message % {"status": status})
    if status >= 300:
        raise UpstreamError(gettext("upstream answered HTTP %(status)s") % {"status": status})


async def _read_capped(response: httpx.Response, max_bytes: int | None) -> bytes:
    """The body, read chunk by chunk: an answer past the limit stops the reading there."""
    limit = widget_settings.HTTP_MAX_BYTES if max_bytes is None else max_bytes
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, is_default=max_bytes is None)
    chunks: list[bytes] = []
    received = 0
    # Decoded bytes: a compressed answer is held to the limit once uncompressed.
    async for chunk in response.aiter_bytes():
        received += len(chunk)
        if received > limit:
            raise _too_large(limit, is_default=max_bytes is None)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int, *, is_default: bool) -> UpstreamError:
    setting = "WIDGETS_HTTP_MAX_BYTES" if is_default else gettext("max_bytes of this source")
    message = gettext("upstream answered more than %(size)s (limit %(setting)s)")
    return UpstreamError(message % {"size": _size(limit), "setting": setting})


def _size(count: int) -> str:
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return ngettext("%(count)d byte", "%(count)d bytes", count) % {"count": count}


def http_json(
    name: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    shape: Shape | None = None,
    deadline: float | None = None,
    max_bytes: int | None = None,
    follow_redirects: bool = False,
) -> Source[Any]:
    """A source that fetches JSON from an external API (see ``fetch_json``).

    ``name`` is what the page, ``Server-Timing`` and the logs call it: never the URL.
    """
    return Source(
        name,
        lambda: fetch_json(
            url, params=params, shape=shape, max_bytes=max_bytes, follow_redirects=follow_redirects
        ),
        deadline,
    )
