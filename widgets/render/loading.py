"""From a widget and its parameters to a frame: validated, loaded through the cache, in its state."""

from collections.abc import Mapping
from typing import Any

from django import forms

from widgets.base import Widget
from widgets.cache import CachedResult, get_or_load
from widgets.registry import registry
from widgets.render.frames import WidgetFrame, param_errors, widget_url
from widgets.request_types import HtmxHttpRequest


async def frame_for(
    request: HtmxHttpRequest, name: str, data: Mapping[str, Any], *, url: str | None = None
) -> tuple[WidgetFrame, int]:
    """The widget ``name`` with the raw parameters ``data``: loaded (200), invalid (400) or unknown (404)."""
    widget = registry.get(name)
    if widget is None:
        return WidgetFrame(name, "Unknown widget", "error", request.get_full_path()), 404
    form = widget.bind_params(data)
    if not form.is_valid():
        return invalid_frame(widget, request, data, form), 400
    return await load_frame(widget, form.cleaned_data, url=url), 200


async def load_frame(
    widget: Widget, params: Mapping[str, Any], *, url: str | None = None, key: str | None = None
) -> WidgetFrame:
    """Get the widget's data through the cache (loading it when needed) and describe it as a frame.

    The frame refreshes from ``url``: by default the widget endpoint with ``params``;
    an embed page gives its own URL, so its widget polls the embed URL. ``key``
    is the cache key, for a caller that keeps it.
    """
    result = await get_or_load(widget, params, key=key)
    return result_frame(widget, result, url or widget_url(widget.name, params))


def result_frame(widget: Widget, result: CachedResult, url: str) -> WidgetFrame:
    """The frame of a widget whose cache lookup or load gave ``result``."""
    value = result.value
    return WidgetFrame(
        widget.name,
        widget.title,
        result.state,
        url,
        refresh_seconds=widget.refresh_seconds,
        body_template=None if value is None else widget.ready_template,
        body={} if value is None else value,
        source_errors=result.errors,
        loaded_at=result.loaded_at,
        age_seconds=None if value is None else int(result.age_seconds),
    )


def invalid_frame(
    widget: Widget, request: HtmxHttpRequest, query: Mapping[str, Any], form: forms.Form
) -> WidgetFrame:
    """The error frame of a widget whose parameters ``form``, bound to ``query``, is invalid."""
    errors = param_errors(form, query)
    return WidgetFrame(widget.name, widget.title, "error", request.get_full_path(), param_errors=errors)
