"""The demo dashboard page and the health endpoints."""

from dataclasses import dataclass

from django.http import HttpResponse
from django.shortcuts import render

from dashboard.filters import CURRENCIES, RANGE_LABELS, parse_filters
from dashboard.layout import DEMO_LAYOUT, Tile
from widgets.frames import WidgetFrame, loading_frame
from widgets.registry import registry
from widgets.requests import HtmxHttpRequest


@dataclass(frozen=True)
class PlacedWidget:
    tile: Tile
    frame: WidgetFrame


async def dashboard_view(request: HtmxHttpRequest) -> HttpResponse:
    """The grid of lazy widgets; a filter change through HTMX gets only ``#dashboard``."""
    filters, errors = parse_filters(request.GET)
    placed = []
    for tile in DEMO_LAYOUT:
        widget = registry.get(tile.widget)
        if widget is not None:
            fields = widget.params_form.base_fields
            params = {key: value for key, value in filters.items() if key in fields}
            placed.append(PlacedWidget(tile, loading_frame(widget, params)))
    context = {
        "filters": filters,
        "filter_errors": errors,
        "placed": placed,
        "range_choices": RANGE_LABELS.items(),
        "currency_choices": CURRENCIES,
    }
    is_filter_swap = request.htmx.target == "dashboard"
    template = "dashboard/index.html#dashboard" if is_filter_swap else "dashboard/index.html"
    return render(request, template, context, status=400 if errors else 200)
