"""``{% widget %}``: any registered widget, anywhere in any template.

::

    {% load widgets %}
    {% widget "revenue" range="7d" %}                        lazy: htmx loads it after the page
    {% widget "revenue" range="30d" currency="USD" inline %}  loaded in the page's own response

The tag does no I/O. A lazy widget is the frame in its ``loading`` state,
which htmx loads from the widget endpoint. An ``inline`` one is a marker that
``widgets.render.inline.render_with_widgets`` replaces with the loaded widget; in a
template rendered any other way it falls back to the lazy placeholder.
In a template rendered by ``render_with_widgets``, widgets the viewer may not
see are left out, lazy ones too; rendered any other way, a lazy widget's
endpoint answers such a viewer with its 403 fragment.
Parameters are checked with the widget's form as the tag renders: invalid
ones, and an unknown widget, render the frame's error states instead.
"""

import re
from collections.abc import Mapping
from typing import Any

from django import forms, template
from django.template.base import FilterExpression, Parser, Token
from django.template.context import Context
from django.template.engine import Engine
from django.utils.translation import gettext

from widgets.base import Widget, query_keys
from widgets.registry import registry
from widgets.render import (
    COLLECTOR_CONTEXT_KEY,
    FRAGMENT_TEMPLATE,
    InlineWidgets,
    ParamError,
    WidgetFrame,
    loading_frame,
    warn_inline_without_collector,
)
from widgets.render import param_errors as form_param_errors

register = template.Library()

INLINE = "inline"
PARAM = re.compile(r"^(\w+)=(.+)$")
USAGE = '{% widget "name" param="value" … %}, with "inline" last to render it loaded'


@register.tag("widget")
def widget_tag(parser: Parser, token: Token) -> "WidgetNode":
    """Parse ``{% widget name [param=value …] [inline] %}``; wrong arguments fail here, at parse time."""
    tag_name, *bits = token.split_contents()
    is_inline = bool(bits) and bits[-1] == INLINE
    if is_inline:
        bits.pop()
    if not bits or PARAM.match(bits[0]):
        raise template.TemplateSyntaxError(f"{tag_name!r} needs a widget name first: {USAGE}")
    name, params = parser.compile_filter(bits[0]), {}
    for bit in bits[1:]:
        match = PARAM.match(bit)
        if match is None:
            raise template.TemplateSyntaxError(f"{tag_name!r} got {bit!r} where a parameter belongs: {USAGE}")
        key, value = match.groups()
        if key in params:
            raise template.TemplateSyntaxError(f"{tag_name!r} got the parameter {key!r} twice")
        params[key] = parser.compile_filter(value)
    return WidgetNode(name, params, is_inline=is_inline)


class WidgetNode(template.Node):
    """One ``{% widget %}``: an unknown-widget or invalid-parameters frame, a placeholder, or a marker."""

    def __init__(
        self, name: FilterExpression, params: dict[str, FilterExpression], *, is_inline: bool
    ) -> None:
        self.name = name
        self.params = params
        self.is_inline = is_inline

    def render(self, context: Context) -> str:
        name = as_param(self.name.resolve(context))
        widget = registry.get(name)
        if widget is None:
            unknown = WidgetFrame(name, gettext("Unknown widget"), "error", "")
            return render_frame(context, unknown, not_found=True)
        data = {key: as_param(value.resolve(context)) for key, value in self.params.items()}
        form = widget.bind_params(data)
        if errors := param_errors(widget, form, data):
            invalid = WidgetFrame(widget.name, widget.title, "error", "", param_errors=errors)
            return render_frame(context, invalid)
        collector = context.get(COLLECTOR_CONTEXT_KEY)
        if isinstance(collector, InlineWidgets):
            return collector.add(widget, form.cleaned_data, is_lazy=not self.is_inline)
        if self.is_inline:
            warn_inline_without_collector(context.template_name or "A template")
        return render_frame(context, loading_frame(widget, form.cleaned_data))


def as_param(value: Any) -> str:
    """A tag argument as the widget endpoint would get it: text, so both validate alike."""
    return "" if value is None else str(value)


def param_errors(widget: Widget, form: forms.Form, data: Mapping[str, str]) -> list[ParamError]:
    """Each parameter the widget does not take, then each its form rejects, with the value given.

    The endpoint ignores query keys it does not know (a page URL carries
    others); in a template an unknown keyword is a typo, so it is named.
    """
    keys = query_keys(widget.params_form)
    if keys:
        message = gettext("Not a parameter of this widget (it takes %(keys)s).") % {"keys": ", ".join(keys)}
    else:
        message = gettext("Not a parameter of this widget (it takes none).")
    unknown = [ParamError(key, value, message) for key, value in data.items() if key not in keys]
    return unknown + form_param_errors(form, data)


def render_frame(context: Context, frame: WidgetFrame, *, not_found: bool = False) -> str:
    """``widgets/frame.html#widget``, the one home of the DOM contract, with the page's engine."""
    engine = context.template.engine if context.template is not None else Engine.get_default()
    values = {**frame.body, "frame": frame, "not_found": not_found}
    return engine.get_template(FRAGMENT_TEMPLATE).render(context.new(values))
