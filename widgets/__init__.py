"""HTMX-driven, server-rendered dashboards on async Django: the public API.

Declare widgets (``Widget`` subclasses with ``@register``) in a ``widgets.py``
module of any installed app, load their data with sources that run
concurrently under deadlines, and serve them with ``get_asgi_application()``.
Declare dashboards (``Dashboard`` subclasses, a layout of ``Tile``s) the same way.
Subpackages: ``sources``, ``cache``, ``render``, ``pages``, ``embed``, ``asgi``
(``docs/architecture.md`` has the map).
"""

from widgets.asgi import get_asgi_application
from widgets.base import NoParams, Widget
from widgets.cache import register_cached_type
from widgets.pages import Dashboard, NoFilters, Period, PeriodField, Tile, TimeWindow, dashboards, register
from widgets.registry import AlreadyRegistered, registry
from widgets.render import render_with_widgets
from widgets.sources import (
    BOOLEAN,
    NUMBER,
    STRING,
    Shape,
    Source,
    SourceError,
    SourcesFailed,
    UpstreamError,
    array,
    fetch_json,
    gather_sources,
    get_client,
    http_json,
    obj,
    orm,
    settle_sources,
)

__all__ = [
    "BOOLEAN",
    "NUMBER",
    "STRING",
    "AlreadyRegistered",
    "Dashboard",
    "NoFilters",
    "NoParams",
    "Period",
    "PeriodField",
    "Shape",
    "Source",
    "SourceError",
    "SourcesFailed",
    "Tile",
    "TimeWindow",
    "UpstreamError",
    "Widget",
    "array",
    "dashboards",
    "fetch_json",
    "gather_sources",
    "get_asgi_application",
    "get_client",
    "http_json",
    "obj",
    "orm",
    "register",
    "register_cached_type",
    "registry",
    "render_with_widgets",
    "settle_sources",
]
