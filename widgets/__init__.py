"""HTMX-driven, server-rendered dashboards on async Django: the public API.

Declare widgets (``Widget`` subclasses with ``@register``) in a ``widgets.py``
module of any installed app, load their data with sources that run
concurrently under deadlines, and serve them with ``get_asgi_application()``.
Subpackages: ``sources``, ``cache``, ``render``, ``embed``, ``asgi``
(``docs/architecture.md`` has the map).
"""

from widgets.asgi import get_asgi_application
from widgets.base import NoParams, Widget
from widgets.registry import AlreadyRegistered, register, registry
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
    "NoParams",
    "Shape",
    "Source",
    "SourceError",
    "SourcesFailed",
    "UpstreamError",
    "Widget",
    "array",
    "fetch_json",
    "gather_sources",
    "get_asgi_application",
    "get_client",
    "http_json",
    "obj",
    "orm",
    "register",
    "registry",
    "render_with_widgets",
    "settle_sources",
]
