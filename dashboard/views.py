"""The demo dashboard page: one streamed response with every widget in it.

The shell (filters and a placeholder per widget) goes out at once; each
widget's HTML follows in the same response as soon as it is loaded, in
whatever order they finish. CSS puts each widget in its layout slot and hides
that slot's placeholder, so no script is needed and a browser without
JavaScript sees every widget, in layout order. Later refreshes are the
widgets' own HTMX requests; a filter change swaps in lazy placeholders.
"""

import asyncio
import secrets
from collections.abc import AsyncIterator, Hashable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.csp import get_nonce
from django.shortcuts import render
from django.template.loader import render_to_string

from dashboard.filters import CURRENCIES, RANGE_LABELS, parse_filters
from dashboard.layout import DEMO_LAYOUT, Tile
from widgets.base import Widget
from widgets.cache import CachedResult, cache_key, peek
from widgets.memo import LruMemo
from widgets.registry import registry
from widgets.render import WidgetFrame, fragment_memo, load_frame, loading_frame, result_frame, widget_url
from widgets.request_types import HtmxHttpRequest
from widgets.sources import pending_sends

# Per-process random markers, so no page content can imitate them.
STREAM_SLOT = f"widgets-stream-{secrets.token_hex(16)}"
NONCE_SLOT = f"csp-nonce-{secrets.token_hex(16)}"
FRAGMENT_SLOT = f"widget-fragment-{secrets.token_hex(16)}"


@dataclass(frozen=True)
class PlacedWidget:
    """A widget in its layout slot, with the parameters the page's filters give it.

    Placements are kept per filter combination (``place_widgets``), so what
    they compute is computed once: the widget's URL, its cache key, and the
    tile element its streamed fragment goes in.
    """

    slot: int
    tile: Tile
    widget: Widget
    params: Mapping[str, Any]

    @property
    def placeholder(self) -> WidgetFrame:
        return loading_frame(self.widget, self.params)

    @cached_property
    def url(self) -> str:
        return widget_url(self.widget.name, self.params)

    @cached_property
    def cache_key(self) -> str:
        return cache_key(self.widget, self.params)

    @cached_property
    def _tile_parts(self) -> tuple[str, str]:
        html = render_to_string(
            "dashboard/index.html#streamed_tile", {"item": self, "fragment": FRAGMENT_SLOT}
        )
        before, after = html.split(FRAGMENT_SLOT)
        return before, after

    def tile_html(self, fragment: str) -> str:
        """The widget's fragment in the tile that places it in its slot."""
        before, after = self._tile_parts
        return before + fragment + after


_placements: LruMemo[Hashable, list[PlacedWidget]] = LruMemo(max_entries=256)


def place_widgets(filters: Mapping[str, str]) -> list[PlacedWidget]:
    """The layout's widgets in their slots, with the parameters ``filters`` give each."""
    tiles = tuple((tile, registry.get(tile.widget)) for tile in DEMO_LAYOUT)
    key = (tuple(sorted(filters.items())), tiles)
    return _placements.get_or_make(key, lambda: list(_place(tiles, filters)))


def _place(tiles: tuple[tuple[Tile, Widget | None], ...], filters: Mapping[str, str]) -> list[PlacedWidget]:
    placed = []
    for slot, (tile, widget) in enumerate(tiles, start=1):
        if widget is not None:
            fields = widget.params_form.base_fields
            params = {key: value for key, value in filters.items() if key in fields}
            placed.append(PlacedWidget(slot, tile, widget, params))
    return placed


async def dashboard_view(request: HtmxHttpRequest) -> HttpResponse | StreamingHttpResponse:
    filters, errors = parse_filters(request.GET)
    placed = place_widgets(filters)
    status = 400 if errors else 200
    context = {
        "filters": filters,
        "filter_errors": errors,
        "placed": placed,
        "range_choices": RANGE_LABELS.items(),
        "currency_choices": CURRENCIES,
    }
    if request.htmx.target == "dashboard":
        # A filter change: only #dashboard, whose placeholders load themselves lazily.
        return render(
            request, "dashboard/index.html#dashboard", {**context, "is_streamed": False}, status=status
        )
    # The shell is made now, not in the generator: the CSP nonce it uses must be
    # known before the middleware writes the Content-Security-Policy header.
    head, tail = page_shell(request, context, cacheable=not errors)
    fresh, waiting = [], []
    for item in placed:
        result = peek(item.widget, item.params, key=item.cache_key)
        if result is None:
            waiting.append(item)
        else:
            fresh.append((item, result))
    response: HttpResponse | StreamingHttpResponse
    if not waiting:
        # Every widget is fresh in this process: the page the stream would send, in one piece.
        response = HttpResponse(head + fresh_tiles(fresh) + tail, status=status)
    else:
        loads = await start_loads(waiting)
        response = StreamingHttpResponse(
            stream_page(head + fresh_tiles(fresh), loads, tail),
            status=status,
            content_type="text/html; charset=utf-8",
        )
        response["X-Accel-Buffering"] = "no"  # let proxies pass each chunk on at once
    response["Cache-Control"] = "no-cache"
    return response


_shells: dict[Hashable, tuple[str, str]] = {}


def page_shell(request: HtmxHttpRequest, context: Mapping[str, Any], *, cacheable: bool) -> tuple[str, str]:
    """The page before and after the streamed widgets, with this request's CSP nonce.

    With a warm widget cache the shell is most of a page view's cost, and it
    only depends on the filters and the layout, so it is rendered once per
    combination (not for invalid filters, which echo what the address said) with a
    marker where the per-request nonce goes.
    """
    key = (tuple(sorted(context["filters"].items())), tuple(item.tile for item in context["placed"]))
    shell = _shells.get(key) if cacheable and not settings.DEBUG else None
    if shell is None:
        html = render_to_string(
            "dashboard/index.html",
            {**context, "is_streamed": True, "slot_marker": STREAM_SLOT, "csp_nonce": NONCE_SLOT},
        )
        head, tail = html.split(STREAM_SLOT)
        shell = (head, tail)
        if cacheable:
            _shells[key] = shell
    nonce = str(get_nonce(request))  # evaluating the lazy nonce puts it in the header
    return shell[0].replace(NONCE_SLOT, nonce), shell[1]


_fresh_tiles: LruMemo[Hashable, str] = LruMemo(max_entries=256)


def fresh_tiles(fresh: list[tuple[PlacedWidget, CachedResult]]) -> str:
    """``render_tiles`` for widgets fresh in the cache, kept while their loads and ages stay the same.

    A fresh widget renders the same while its load (``loaded_at``) and its age
    in whole seconds stay the same (as ``widgets.render.fragments`` keeps it), so on a
    warm dashboard every viewer in the same second gets the same tiles: the
    frames and their joining are made once, not once per page view.
    """
    # The tile too: its markup (span, slot) is part of what is kept.
    key = tuple(
        (item.slot, item.tile, item.url, result.loaded_at, int(result.age_seconds)) for item, result in fresh
    )

    def render() -> str:
        return render_tiles([(item, result_frame(item.widget, result, item.url)) for item, result in fresh])

    return _fresh_tiles.get_or_make(key, render)


def render_tiles(loaded: list[tuple[PlacedWidget, WidgetFrame]]) -> str:
    """Loaded widgets in their tiles, in layout order (the order a browser without CSS shows)."""
    return "".join(
        item.tile_html(fragment_memo.render(frame))
        for item, frame in sorted(loaded, key=lambda pair: pair[0].slot)
    )


Loaded = tuple[PlacedWidget, WidgetFrame]


async def start_loads(placed: list[PlacedWidget]) -> set[asyncio.Task[Loaded]]:
    """Start the widgets' loads; return once their upstream requests are on the wire.

    Answering first would set the browser parsing the shell, fetching its CSS
    and running htmx while the event loop prepares those requests: on a machine
    the browser shares (bench S1) that spread the twelve sends over up to 45 ms,
    and every widget arrived that much later. Waiting for them costs the shell
    about 10 ms; ``DASHBOARD_SEND_FIRST_WAIT`` bounds it (``0``: answer at once).
    """

    async def load(item: PlacedWidget) -> Loaded:
        with pending_sends.loading():
            return item, await load_frame(item.widget, item.params, url=item.url, key=item.cache_key)

    loads = {asyncio.ensure_future(load(item)) for item in placed}
    try:
        await pending_sends.wait_until_sent(settings.WIDGETS_PAGE_SEND_FIRST_WAIT)
    except BaseException:
        for task in loads:
            task.cancel()
        raise
    return loads


async def stream_page(head: str, loads: set[asyncio.Task[Loaded]], tail: str) -> AsyncIterator[str]:
    """Yield the shell, then the widgets as their loads complete, then the end of the page.

    Widgets that are ready at the same moment go out in one chunk: every chunk
    costs a send through the server.
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
        # The browser went away: stop loading what nobody will see.
        for task in pending:
            task.cancel()
