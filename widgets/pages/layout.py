"""A dashboard's tiles placed: each widget with the parameters the page's filters and its tile give it."""

import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.template.loader import render_to_string

from widgets.base import Widget, query_keys
from widgets.cache import cache_key
from widgets.i18n import rendering_variant
from widgets.memo import LruMemo
from widgets.pages.declarations import Dashboard, Tile
from widgets.pages.filters import PageFilters, Query
from widgets.registry import registry
from widgets.render import ParamError, WidgetFrame, loading_frame, param_errors, widget_url

STREAMED_TILE_TEMPLATE = "widgets/dashboard.html#streamed_tile"
# Per-process random, so no page content can imitate it.
FRAGMENT_MARKER = f"widget-fragment-{secrets.token_hex(16)}"


@dataclass(frozen=True, eq=False)
class Placement:
    """A widget in its layout slot, with its parameters (or what is wrong with them).

    Placements are kept per dashboard and filter combination (``place``), so
    what they compute is computed once: the widget's URL, its cache key, and
    the markup of its tile around a streamed fragment.
    """

    slot: int
    tile: Tile
    widget: Widget
    params: Mapping[str, Any]
    errors: list[ParamError] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @cached_property
    def url(self) -> str:
        return widget_url(self.widget.name, self.params)

    @cached_property
    def cache_key(self) -> str:
        return cache_key(self.widget, self.params)

    @cached_property
    def tile_parts(self) -> tuple[str, str]:
        """The markup of the tile around this widget's streamed fragment: before it, and after it."""
        html = render_to_string(STREAMED_TILE_TEMPLATE, {"item": self, "fragment": FRAGMENT_MARKER})
        before, after = html.split(FRAGMENT_MARKER)
        return before, after

    @property
    def placeholder(self) -> WidgetFrame:
        """The widget loading: lazily by itself (``hx-trigger="load"``) after a filter change."""
        return loading_frame(self.widget, self.params)

    @property
    def streamed_placeholder(self) -> WidgetFrame:
        """The widget loading, waiting for its fragment further down the same response."""
        return loading_frame(self.widget, self.params, awaits_stream=True)

    @property
    def invalid_frame(self) -> WidgetFrame:
        return WidgetFrame(self.widget.name, self.widget.title, "error", self.url, param_errors=self.errors)


def place(dashboard: Dashboard, filters: PageFilters) -> list[Placement]:
    """The dashboard's tiles whose widget is registered, in layout order, with their parameters."""
    if not filters.is_memoisable:
        return list(_place(dashboard, filters.query))
    # A placement keeps its cache key and its tile's markup, both per language and time zone.
    key = (dashboard.slug, tuple(dashboard.layout), filters.query, rendering_variant())
    return _placements.get_or_make(key, lambda: list(_place(dashboard, filters.query)))


def _place(dashboard: Dashboard, page_query: Query) -> Iterator[Placement]:
    for slot, tile in enumerate(dashboard.layout, start=1):
        widget = registry.get(tile.widget)
        if widget is None:
            continue  # the system check names it (widgets.E007)
        yield widget_placement(slot, tile, widget, page_query)


def widget_placement(slot: int, tile: Tile, widget: Widget, page_query: Query) -> Placement:
    """The widget's parameters: the page's filter values it takes, then the tile's fixed ones."""
    takes = set(query_keys(widget.params_form))
    data = {key: value for key, value in page_query if key in takes} | dict(tile.params)
    form = widget.bind_params(data)
    if not form.is_valid():
        return Placement(slot, tile, widget, {}, param_errors(form, data))
    return Placement(slot, tile, widget, form.cleaned_data)


# What a placement holds once used, estimated: its URL, cache key, tile markup and the objects around them.
PLACEMENT_BYTES = 1024
_placements: LruMemo[tuple[str, tuple[Tile, ...], Query, tuple[str, str]], list[Placement]] = LruMemo(
    name="pages.placements",
    max_entries=256,
    max_bytes=2 * 1024 * 1024,
    value_size=lambda placed: PLACEMENT_BYTES * len(placed),
)
