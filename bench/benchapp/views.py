"""Bench-only pages: the hello-world reference, S1's references (b) and (c), and timing probes."""

import time
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

import httpx
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from bench.benchapp.conf import bench_settings
from bench.benchapp.names import S1_WIDGET_NAMES
from bench.benchapp.queries import PaidOrders, asummarise_paid_orders, summarise_paid_orders
from bench.benchapp.widgets import paid_orders_kpis, upstream_base
from dashboard.filters import ShopFilters
from widgets.base import Widget
from widgets.registry import registry
from widgets.render import WidgetFrame, loading_frame, widget_url

UPSTREAM_TIMEOUT_SECONDS = 10.0


def s1_widgets() -> list[Widget]:
    return [widget for name in S1_WIDGET_NAMES if (widget := registry.get(name)) is not None]


async def hello(request: HttpRequest) -> HttpResponse:
    """S2's reference: the cheapest async view, through the same middleware as the dashboard."""
    return HttpResponse("Hello, world\n", content_type="text/plain")


def shop_filters(query: Mapping[str, str]) -> dict[str, Any]:
    """The demo shop's filters from ``query``, defaults where invalid: the S1 widgets' parameters."""
    form = ShopFilters(data=query)
    form.is_valid()
    return form.cleaned_data


async def lazy_page(request: HttpRequest) -> HttpResponse:
    """S1 (b): the twelve S1 widgets as placeholders, each lazy-loading with its own HTMX request."""
    filters = shop_filters(request.GET)
    frames = [loading_frame(widget, filters) for widget in s1_widgets()]
    return render(request, "bench/grid.html", {"title": "One request per widget", "frames": frames})


def sequential_page(request: HttpRequest) -> HttpResponse:
    """S1 (c): every S1 widget in turn with sync httpx and the sync ORM, as a plain Django view would."""
    filters = shop_filters(request.GET)
    with httpx.Client(timeout=UPSTREAM_TIMEOUT_SECONDS) as client:
        frames = [load_in_sequence(widget, filters, client) for widget in s1_widgets()]
    return render(request, "bench/grid.html", {"title": "Sequential, synchronous", "frames": frames})


def load_in_sequence(widget: Widget, params: Mapping[str, Any], client: httpx.Client) -> WidgetFrame:
    """One widget's upstream call, then its aggregate, one after the other."""
    currency = params["currency"]
    response = client.get(f"{upstream_base(widget.name)}/latest", params={"from": "EUR"})
    response.raise_for_status()
    rate = Decimal(1) if currency == "EUR" else Decimal(str(response.json()["rates"][currency]))
    orders = summarise_paid_orders()
    return WidgetFrame(
        widget.name,
        widget.title,
        "ready",
        widget_url(widget.name, params),
        refresh_seconds=widget.refresh_seconds,
        body_template=widget.ready_template,
        body={"kpis": paid_orders_kpis(orders, rate, currency)},
        loaded_at=timezone.now(),
    )


def _s5_aggregate() -> Awaitable[PaidOrders]:
    return asummarise_paid_orders(bench_settings.S5_PAUSE_SECONDS)


PROBES: dict[str, Callable[[], Awaitable[PaidOrders]]] = {
    "s1-aggregate": asummarise_paid_orders,
    "s5-aggregate": _s5_aggregate,
}


async def probe(request: HttpRequest, name: str) -> JsonResponse:
    """Time one ORM aggregate alone, in the server, as a widget source would run it."""
    load = PROBES.get(name)
    if load is None:
        raise Http404(f"no probe named {name!r}")
    started = time.perf_counter()
    await load()
    return JsonResponse({"probe": name, "ms": (time.perf_counter() - started) * 1000})
