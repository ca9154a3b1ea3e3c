"""A dashboard page as one response: the shell first, then each widget as soon as it has loaded.

The shell (filters, and a loading placeholder per tile: the widget's root
element with ``data-state="loading"``) goes out first; each widget's fragment
follows in the same response, in whatever order they finish. CSS puts each
widget in its layout slot and hides that slot's placeholder, so no script is
needed, and a browser without JavaScript sees every widget, in layout order.
``widgets/dashboard.js`` removes the hidden placeholders once the page is
parsed, so no ``data-state="loading"`` is left when the stream has ended.
"""

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.middleware.csp import get_nonce
from django.template.loader import render_to_string
from django.utils.html import escape

from widgets.cache import CachedResult
from widgets.conf import widget_settings
from widgets.i18n import rendering_variant
from widgets.memo import MAX_KEY_TEXT, LruMemo
from widgets.pages.layout import Placement
from widgets.render import WidgetFrame, fragment_memo, load_frame, result_frame
from widgets.request_types import HtmxHttpRequest
from widgets.sources import pending_sends

# Per-process random markers, so no page content can imitate them.
STREAM_SLOT = f"widgets-stream-{secrets.token_hex(16)}"
NONCE_SLOT = f"csp-nonce-{secrets.token_hex(16)}"
PER_REQUEST_SLOT = f"per-request-{secrets.token_hex(16)}"

Loaded = tuple[Placement, WidgetFrame]


def render_tiles(loaded: list[Loaded]) -> str:
    """Loaded widgets in their tiles, in layout order (the order a browser without CSS shows)."""
    html = []
    for item, frame in sorted(loaded, key=lambda pair: pair[0].slot):
        before, after = item.tile_parts
        html.append(before + fragment_memo.render(frame) + after)
    return "".join(html)


def page_shell(
    request: HtmxHttpRequest,
    template_name: str,
    context: Callable[[], dict[str, Any]],
    *,
    key: Hashable | None,
    per_request: Mapping[str, str] = MappingProxyType({}),
) -> tuple[str, str]:
    """The page before and after the streamed widgets, with this request's CSP nonce.

    With a warm widget cache the shell is most of a page view's cost, and it
    depends only on the dashboard, its filters and its layout, so it is
    rendered once per ``key`` (``None``: not kept, e.g. for invalid filters,
    which echo what the address said) with a marker where the nonce goes;
    ``context`` is called only then. ``per_request`` are context values that
    change with every request (the time the page is served): the shell holds
    a marker for each, replaced by its escaped value, as the nonce is.
    """
    shell = _shells.get(key) if key is not None and not settings.DEBUG else None
    if shell is None:
        markers = {name: per_request_marker(name) for name in per_request}
        shell_context = {"is_streamed": True, "slot_marker": STREAM_SLOT, "csp_nonce": NONCE_SLOT}
        html = render_to_string(template_name, {**context(), **markers, **shell_context})
        head, tail = html.split(STREAM_SLOT)
        shell = (head, tail)
        if key is not None:
            _shells.put(key, shell)
    nonce = str(get_nonce(request))  # evaluating the lazy nonce puts it in the header
    head, tail = shell[0].replace(NONCE_SLOT, nonce), shell[1]
    for name, value in per_request.items():
        marker = per_request_marker(name)
        head, tail = head.replace(marker, escape(value)), tail.replace(marker, escape(value))
    return head, tail


def per_request_marker(name: str) -> str:
    return f"{PER_REQUEST_SLOT}-{name}"


def fresh_tiles(fresh: list[tuple[Placement, CachedResult]]) -> str:
    """The tiles of widgets this process holds fresh, rendered from their cached values."""
    return fresh_tiles_bytes(fresh).decode()


def fresh_tiles_bytes(fresh: list[tuple[Placement, CachedResult]]) -> bytes:
    """``fresh_tiles``, encoded as the response sends it (UTF-8).

    A warm page is mostly these tiles, and they change only when a value is
    reloaded or its age passes a whole second: they are kept, encoded once,
    under each tile (its slot and markup) and what its fragment is kept under
    (``FragmentMemo.key``).
    """
    if not fresh:
        return b""
    if sum(len(item.url) for item, _ in fresh) > MAX_KEY_TEXT:
        return render_fresh_tiles(fresh).encode()
    key = (
        tuple(
            (item.slot, item.tile, item.url, result.loaded_at, result.state, int(result.age_seconds))
            for item, result in fresh
        ),
        rendering_variant(),
    )
    return _fresh_tiles.get_or_make(key, lambda: render_fresh_tiles(fresh).encode())


def render_fresh_tiles(fresh: list[tuple[Placement, CachedResult]]) -> str:
    return render_tiles([(item, result_frame(item.widget, result, item.url)) for item, result in fresh])


async def start_loads(placed: list[Placement]) -> set[asyncio.Task[Loaded]]:
    """Start the widgets' loads; return once their upstream requests are on the wire.

    Answering first would set the browser parsing the shell, fetching its CSS
    and running htmx while the event loop prepares those requests: on a machine
    the browser shares (bench S1), every widget arrived that much later.
    ``WIDGETS_PAGE_SEND_FIRST_WAIT`` bounds the wait (``0``: answer at once).
    """

    async def load(item: Placement) -> Loaded:
        if not item.is_valid:
            return item, item.invalid_frame
        with pending_sends.loading():
            return item, await load_frame(item.widget, item.params, url=item.url, key=item.cache_key)

    loads = {asyncio.ensure_future(load(item)) for item in placed}
    try:
        await pending_sends.wait_until_sent(widget_settings.PAGE_SEND_FIRST_WAIT)
    except BaseException:
        for task in loads:
            task.cancel()
        raise
    return loads


async def stream_page(head: str, loads: set[asyncio.Task[Loaded]], tail: str) -> AsyncIterator[str]:
    """Yield the shell, then the widgets as their loads complete, then the end of the page.

    Widgets that are ready at the same moment go out in one chunk: every chunk
    costs a send through the server. If the browser goes away, the loads
    still running are cancelled.
    """
    pending = loads
    try:
        yield head
        if not pending:
            yield tail
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            tiles = render_tiles([task.result() for task in done])
            yield tiles if pending else tiles + tail
    finally:
        for task in pending:
            task.cancel()


# A warm page's fresh tiles, joined: at most a few pages' worth, as ages tick every second.
_fresh_tiles: LruMemo[Hashable, bytes] = LruMemo(
    name="pages.fresh_tiles", max_entries=64, max_bytes=4 * 1024 * 1024
)
_shells: LruMemo[Hashable, tuple[str, str]] = LruMemo(
    name="pages.shells", max_entries=256, max_bytes=2 * 1024 * 1024
)
