"""From a widget and its parameters to a frame: validated, loaded through the cache, in its state."""

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext

from widgets.base import Widget
from widgets.cache import CachedResult, Overloaded, get_or_load
from widgets.registry import registry
from widgets.render.frames import WidgetFrame, param_errors, widget_url
from widgets.request_types import HtmxHttpRequest


async def frame_for(
    request: HtmxHttpRequest, name: str, data: Mapping[str, Any], *, url: str | None = None
) -> tuple[WidgetFrame, int]:
    """The widget ``name`` with the raw parameters ``data``: loaded (200), invalid (400) or unknown (404).

    503 when the process would not start its load (``overloaded_frame``).
    """
    widget = registry.get(name)
    if widget is None:
        return WidgetFrame(name, gettext("Unknown widget"), "error", request.get_full_path()), 404
    form = widget.bind_params(data)
    if not form.is_valid():
        return invalid_frame(widget, request, data, form), 400
    frame = await load_frame(widget, form.cleaned_data, url=url)
    return frame, 503 if frame.state == "overloaded" else 200


async def load_frame(
    widget: Widget, params: Mapping[str, Any], *, url: str | None = None, key: str | None = None
) -> WidgetFrame:
    """Get the widget's data through the cache (loading it when needed) and describe it as a frame.

    The frame refreshes from ``url``: by default the widget endpoint with ``params``;
    an embed page gives its own URL, so its widget polls the embed URL. ``key``
    is the cache key, for a caller that keeps it. A load the process refuses to
    start gives the overloaded frame, which asks again later.
    """
    url = url or widget_url(widget.name, params)
    try:
        result = await get_or_load(widget, params, key=key)
    except Overloaded as refusal:
        return overloaded_frame(widget, url, refusal.retry_after_seconds)
    return result_frame(widget, result, url)


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


def overloaded_frame(widget: Widget, url: str, retry_after_seconds: int) -> WidgetFrame:
    """The frame of a widget whose load the process refused: it says so, and asks ``url`` again later.

    Its request (``hx-trigger="load delay:…"``) goes out after ``retry_after_seconds``,
    wherever it is shown: a tile of a streamed page, a lazy placeholder's answer, a
    refresh. Another refusal swaps in another such frame, so the widget never stays
    in ``loading``.
    """
    return WidgetFrame(widget.name, widget.title, "overloaded", url, retry_after_seconds=retry_after_seconds)


def invalid_frame(
    widget: Widget, request: HtmxHttpRequest, query: Mapping[str, Any], form: forms.Form
) -> WidgetFrame:
    """The error frame of a widget whose parameters ``form``, bound to ``query``, is invalid."""
    errors = param_errors(form, query)
    return WidgetFrame(widget.name, widget.title, "error", request.get_full_path(), param_errors=errors)
