"""The dashboard page (``/dashboards/<slug>/``) and the index of dashboards (``/dashboards/``)."""

from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from widgets.cache import CachedResult, peek
from widgets.pages.declarations import Dashboard
from widgets.pages.filters import read_filters
from widgets.pages.layout import Placement, place
from widgets.pages.registry import dashboards
from widgets.pages.stream import fresh_tiles, page_shell, start_loads, stream_page
from widgets.request_types import HtmxHttpRequest

INDEX_TEMPLATE = "widgets/dashboards.html"


@require_safe
async def dashboard_view(request: HtmxHttpRequest, slug: str) -> HttpResponse | StreamingHttpResponse:
    """The dashboard as one streamed response; after a filter change (htmx), its body alone."""
    dashboard = dashboards.get(slug)
    if dashboard is None:
        return unknown_dashboard(request, slug)
    filters = read_filters(dashboard, request.GET)
    placed = place(dashboard, filters)
    status = 200 if filters.is_valid else 400

    def context(**extra: Any) -> dict[str, Any]:
        # Made only when the page is rendered: a form deep-copies its fields.
        filters_form = dashboard.filters_form(initial=dict(filters.values))
        return {
            "dashboard": dashboard,
            "filters": filters,
            "filters_form": filters_form,
            "placed": placed,
            **extra,
        }

    if request.htmx and not request.htmx.history_restore_request:
        # A filter change: the page body, whose placeholders load themselves lazily.
        body = f"{dashboard.template_name}#dashboard"
        return render(request, body, context(is_streamed=False), status=status)
    fresh, waiting = split_fresh(placed)
    # The shell is made now, not in the generator: the CSP nonce it uses must be
    # known before the middleware writes the Content-Security-Policy header.
    # It has a placeholder for each widget still loading.
    loading = frozenset(item.slot for item in waiting)
    shell_key = (dashboard.slug, dashboard.template_name, filters.query, tuple(dashboard.layout), loading)
    head, tail = page_shell(
        request,
        dashboard.template_name,
        lambda: context(loading_slots=loading),
        key=shell_key if filters.is_valid and filters.is_memoisable else None,
    )
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


def split_fresh(placed: list[Placement]) -> tuple[list[tuple[Placement, CachedResult]], list[Placement]]:
    """The placements whose widget this process holds fresh (with its value), and the ones to load."""
    fresh, waiting = [], []
    for item in placed:
        result = peek(item.widget, item.params, key=item.cache_key) if item.is_valid else None
        if result is None:
            waiting.append(item)
        else:
            fresh.append((item, result))
    return fresh, waiting


def unknown_dashboard(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    context: dict[str, Any] = {"dashboards": list(dashboards), "unknown_slug": slug}
    return render(request, INDEX_TEMPLATE, context, status=404)


@require_safe
async def index_view(request: HtmxHttpRequest) -> HttpResponse:
    """Every registered dashboard, with its description and a link."""
    listed: list[Dashboard] = list(dashboards)
    return render(request, INDEX_TEMPLATE, {"dashboards": listed})
