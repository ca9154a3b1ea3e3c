"""Rendering: frames (a widget in a state, the DOM contract), their fragments, and responses.

- ``frames``: ``WidgetFrame``, the widget endpoint's URL and its exports' URLs;
- ``loading``: from a widget and raw or valid parameters to a frame, through the cache;
- ``fragments``: a frame's HTML, kept per load;
- ``responses``: a frame as the fragment htmx swaps in, or as a minimal page;
- ``params``: where a widget's parameters come from (its query, over the page's);
- ``inline``: widgets loaded into the response of the page around them.
"""

from widgets.render.fragments import FRAGMENT_TEMPLATE, fragment_memo, render_fragment
from widgets.render.frames import (
    EXPORT_FORMATS,
    ExportFormat,
    ExportLink,
    ParamError,
    State,
    WidgetFrame,
    export_url,
    forbidden_frame,
    loading_frame,
    param_errors,
    widget_url,
)
from widgets.render.inline import (
    COLLECTOR_CONTEXT_KEY,
    InlineWidgets,
    render_with_widgets,
    warn_inline_without_collector,
)
from widgets.render.loading import frame_for, invalid_frame, load_frame, result_frame
from widgets.render.params import page_query, widget_query
from widgets.render.responses import fragment_response, render_frame

__all__ = [
    "COLLECTOR_CONTEXT_KEY",
    "EXPORT_FORMATS",
    "FRAGMENT_TEMPLATE",
    "ExportFormat",
    "ExportLink",
    "InlineWidgets",
    "ParamError",
    "State",
    "WidgetFrame",
    "export_url",
    "forbidden_frame",
    "fragment_memo",
    "fragment_response",
    "frame_for",
    "invalid_frame",
    "load_frame",
    "loading_frame",
    "page_query",
    "param_errors",
    "render_fragment",
    "render_frame",
    "render_with_widgets",
    "result_frame",
    "warn_inline_without_collector",
    "widget_query",
    "widget_url",
]
