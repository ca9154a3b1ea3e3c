"""A widget's frame: its root element and state, as handed to ``widgets/frame.html``.

The dashboard page, the widget endpoint and template tags all render widgets
through a ``WidgetFrame``, so the DOM contract (``data-widget``, ``data-state``,
``aria-busy``, the ``aria-live`` region, the HTMX refresh) lives in one template.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext, ngettext

from widgets.base import Widget, query_values
from widgets.memo import LruMemo
from widgets.registry import registry
from widgets.sources import SourceError

# ``overloaded``: the process refused to start its load (``widgets.cache.Overloaded``); it retries soon.
State = Literal["loading", "ready", "stale", "error", "overloaded"]
# What a widget's values can be downloaded as (``widgets.export``), in the order its menu offers them.
type ExportFormat = Literal["csv", "json"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "json")


@dataclass(frozen=True)
class ParamError:
    """A parameter that failed validation: which, the value given, and why."""

    field: str
    value: str
    message: str


def param_errors(form: forms.Form, data: Mapping[str, Any]) -> list[ParamError]:
    """Each error of a bound parameters form, with the query key and the raw value it concerns.

    A ``ValidationError`` whose ``params`` carry ``key`` (and ``value``), as a
    ``PeriodField``'s do, names those; any other names its field and the
    field's value in ``data``.
    """
    return [
        ParamError(*_key_and_value(error, field, data), message)
        for field, errors in form.errors.as_data().items()
        for error in errors
        for message in error.messages
    ]


def _key_and_value(error: ValidationError, field: str, data: Mapping[str, Any]) -> tuple[str, str]:
    params = getattr(error, "params", None)
    if isinstance(params, Mapping) and "key" in params:
        return str(params["key"]), str(params.get("value", ""))
    return field, str(data.get(field, ""))


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
    # A streamed page's placeholder: its fragment follows in the same response, so it does not load itself.
    awaits_stream: bool = False
    # An overloaded frame's wait before it asks again (and its response's ``Retry-After``).
    retry_after_seconds: int | None = None
    # The viewer may not see this widget (403): its title and values are not shown, and it does not poll.
    is_forbidden: bool = False

    @property
    def is_busy(self) -> bool:
        return self.state == "loading"

    @property
    def age_label(self) -> str:
        """How old the shown values are, in words: ``just now``, ``45 s ago``, ``2 min ago``, ``3 h ago``.

        In the active language: the frame's fragment is kept per language (``widgets.i18n``).
        """
        age = self.age_seconds or 0
        if age < 5:
            return gettext("just now")
        if age < 60:
            return ngettext("%(count)d s ago", "%(count)d s ago", age) % {"count": age}
        if age < 3600:
            minutes = age // 60
            return ngettext("%(count)d min ago", "%(count)d min ago", minutes) % {"count": minutes}
        hours = age // 3600
        return ngettext("%(count)d h ago", "%(count)d h ago", hours) % {"count": hours}

    @property
    def export_links(self) -> list["ExportLink"]:
        """The frame's download menu: its values as CSV and JSON, with the parameters it was loaded with.

        Only a frame showing values (ready or stale) from the widget's own endpoint
        offers one, and only when the widget has something to export
        (``Widget.data_table``). An embed's frame polls its embed URL instead: a
        signed link shows one view of one widget and nothing more.
        """
        if self.state not in ("ready", "stale"):
            return []
        path, _, query = self.url.partition("?")
        if path != widget_path(self.name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()):
            return []
        widget = registry.get(self.name)
        if widget is None or widget.data_table(self.body) is None:
            return []
        return [
            ExportLink(kind.upper(), with_query(export_path(self.name, kind), query))
            for kind in EXPORT_FORMATS
        ]

    @property
    def hx_trigger(self) -> str:
        if self.awaits_stream:
            return ""
        if self.state == "loading":
            return "load"
        if self.state == "overloaded":
            return f"load delay:{self.retry_after_seconds}s"
        return f"every {self.refresh_seconds}s" if self.refresh_seconds else ""


# reverse() is a noticeable part of rendering a page of cached widgets.
_widget_paths: LruMemo[tuple[str, str, str], str] = LruMemo(
    name="render.widget_paths", max_entries=1024, max_bytes=256 * 1024
)


def widget_path(widget_name: str, urlconf: str, script_prefix: str) -> str:
    """The path of a widget's endpoint; ``script_prefix`` is part of the memo's key as reverse() uses it."""
    return _widget_paths.get_or_make(
        (widget_name, urlconf, script_prefix),
        lambda: reverse("widgets:widget", args=[widget_name], urlconf=urlconf),
    )


def widget_url(widget_name: str, params: Mapping[str, Any] | None = None) -> str:
    """The URL of a widget's endpoint with its parameters in the query string (a period as its keys)."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    url = widget_path(widget_name, urlconf, get_script_prefix())
    values = query_values(params or {})
    query = urlencode({key: value for key, value in values.items() if value not in (None, "")})
    return f"{url}?{query}" if query else url


@dataclass(frozen=True)
class ExportLink:
    """A link of a frame's download menu: the format's name as shown, and its export URL."""

    label: str
    url: str


def export_path(widget_name: str, export_format: ExportFormat) -> str:
    return reverse("widgets:export", kwargs={"name": widget_name, "export_format": export_format})


def export_url(widget_name: str, export_format: ExportFormat, params: Mapping[str, Any] | None = None) -> str:
    """The URL of a widget's values as a download, with its parameters as ``widget_url`` gives them."""
    query = widget_url(widget_name, params).partition("?")[2]
    return with_query(export_path(widget_name, export_format), query)


def with_query(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


def forbidden_frame(widget: Widget) -> WidgetFrame:
    """What a viewer who may not see ``widget`` gets from its endpoint: no title, no values, no polling."""
    title = gettext("Not available")
    return WidgetFrame(widget.name, title, "error", widget_url(widget.name), is_forbidden=True)


def loading_frame(widget: Widget, params: Mapping[str, Any], *, awaits_stream: bool = False) -> WidgetFrame:
    """The widget loading: as soon as htmx sees it, unless its fragment follows in the same response."""
    url = widget_url(widget.name, params)
    return WidgetFrame(widget.name, widget.title, "loading", url, awaits_stream=awaits_stream)
