"""A widget's frame: its root element and state, as handed to ``widgets/frame.html``.

The dashboard page, the widget endpoint and template tags all render widgets
through a ``WidgetFrame``, so the DOM contract (``data-widget``, ``data-state``,
``aria-busy``, the ``aria-live`` region, the HTMX refresh) lives in one template.
"""

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from widgets.base import Widget
from widgets.sources import SourceError

State = Literal["loading", "ready", "stale", "error"]


@dataclass(frozen=True)
class ParamError:
    """A parameter that failed validation: which, the value given, and why."""

    field: str
    value: str
    message: str


@dataclass(frozen=True)
class WidgetFrame:
    """Everything the frame template needs to render one widget in one state."""

    name: str
    title: str
    state: State
    url: str
    refresh_seconds: int | None = None
    body_template: str | None = None
    body: Mapping[str, Any] = field(default_factory=dict)
    source_errors: list[SourceError] = field(default_factory=list)
    param_errors: list[ParamError] = field(default_factory=list)
    loaded_at: datetime | None = None
    age_seconds: int | None = None

    @property
    def is_busy(self) -> bool:
        return self.state == "loading"

    @property
    def age_label(self) -> str:
        """How old the shown values are, in words: ``just now``, ``45 s ago``, ``2 min ago``, ``3 h ago``."""
        age = self.age_seconds or 0
        if age < 5:
            return "just now"
        if age < 60:
            return f"{age} s ago"
        if age < 3600:
            return f"{age // 60} min ago"
        return f"{age // 3600} h ago"

    @property
    def hx_trigger(self) -> str:
        if self.state == "loading":
            return "load"
        return f"every {self.refresh_seconds}s" if self.refresh_seconds else ""


@functools.lru_cache(maxsize=1024)
def widget_path(widget_name: str, urlconf: str, script_prefix: str) -> str:
    # reverse() is a noticeable part of rendering a page of cached widgets.
    return reverse("widgets:widget", args=[widget_name], urlconf=urlconf)


def widget_url(widget_name: str, params: Mapping[str, Any] | None = None) -> str:
    """The URL of a widget's endpoint with its parameters in the query string."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    url = widget_path(widget_name, urlconf, get_script_prefix())
    query = urlencode({key: value for key, value in (params or {}).items() if value not in (None, "")})
    return f"{url}?{query}" if query else url


def loading_frame(widget: Widget, params: Mapping[str, Any]) -> WidgetFrame:
    """A lazy placeholder that loads the widget as soon as HTMX sees it."""
    return WidgetFrame(widget.name, widget.title, "loading", widget_url(widget.name, params))
