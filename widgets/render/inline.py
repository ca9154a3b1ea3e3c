"""Widgets rendered already loaded, in the response of the page around them.

Templates never do I/O, so ``{% widget "revenue" inline %}`` cannot load
anything itself: it leaves a marker in the output and records the widget in
the render's collector (an ``InlineWidgets`` in the template context). The
view then loads every collected widget concurrently, through the cache like
the widget endpoint, and puts each rendered frame in place of its marker::

    async def article_view(request):
        return await render_with_widgets(request, "article.html", {"article": article})

A marker carries a random token made for its render, so no text in the page
(an article body, a customer's name) can stand in for one.
"""

import asyncio
import logging
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from widgets.auth import may_see
from widgets.base import Widget
from widgets.cache import cache_key
from widgets.memo import LruMemo
from widgets.render.fragments import fragment_memo
from widgets.render.frames import WidgetFrame, loading_frame
from widgets.render.loading import load_frame

logger = logging.getLogger(__name__)

# Where a render's collector sits in the template context. The leading
# underscore keeps templates from reading it ({{ _x }} does not parse).
COLLECTOR_CONTEXT_KEY = "_widgets_inline"


@dataclass(frozen=True)
class InlineWidget:
    """A widget a template asked for, with its validated parameters: loaded in place, or lazily by htmx."""

    widget: Widget
    params: Mapping[str, Any]
    is_lazy: bool = False

    async def frame(self) -> WidgetFrame:
        if self.is_lazy:
            return loading_frame(self.widget, self.params)
        return await load_frame(self.widget, self.params)


class InlineWidgets:
    """The widgets one render asks for inline, each standing in the output as a marker.

    ``render_with_widgets`` is the usual way to use it; to render a template
    some other way, add ``collector.context`` to its context, then
    ``html = await collector.fill(html)``.
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        self.request = request
        self.token = secrets.token_hex(16)
        self.requested: list[InlineWidget] = []
        self._indexes: dict[tuple[str, bool], int] = {}
        self._marker = re.compile(rf"<!--widget-inline:{self.token}:(\d+)-->")

    @property
    def context(self) -> dict[str, "InlineWidgets"]:
        return {COLLECTOR_CONTEXT_KEY: self}

    def add(self, widget: Widget, params: Mapping[str, Any], *, is_lazy: bool = False) -> SafeString:
        """Record the widget and return the marker ``fill`` will replace with it.

        One widget with the same parameters twice in a page gets one marker, so one load.
        A lazy one is recorded too, so that ``fill`` leaves it out if the viewer may not see it.
        """
        index = self._indexes.setdefault((cache_key(widget, params), is_lazy), len(self.requested))
        if index == len(self.requested):
            self.requested.append(InlineWidget(widget, params, is_lazy))
        # Only a hex token and an index: nothing from outside goes into it.
        return mark_safe(f"<!--widget-inline:{self.token}:{index}-->")

    async def may_see(self, widget: Widget) -> bool:
        return self.request is None or await may_see(widget, self.request)

    async def fill(self, html: str) -> str:
        """Load the widgets whose markers are in ``html``, concurrently, and put each in place.

        Each load goes through ``load_frame`` (the cache, each source under its
        deadline): a failed source renders the widget's error state, never an
        exception. A marker a filter swallowed loads nothing. A widget the
        request's viewer may not see is neither loaded nor shown: its marker
        is removed.
        """
        found = {int(index) for index in self._marker.findall(html)}
        wanted = sorted(index for index in found if index < len(self.requested))
        if not wanted:
            return html
        shown = [index for index in wanted if await self.may_see(self.requested[index].widget)]
        async with asyncio.TaskGroup() as group:
            loads = {index: group.create_task(self.requested[index].frame()) for index in shown}
        fragments = {index: "" for index in wanted}
        fragments |= {index: fragment_memo.render(task.result()) for index, task in loads.items()}
        # One pass: text inside the inserted fragments is never searched for markers.
        return self._marker.sub(lambda match: fragments.get(int(match[1]), match[0]), html)


async def render_with_widgets(
    request: HttpRequest,
    template_name: str | Sequence[str],
    context: Mapping[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Like ``render()``, with every ``{% widget ... inline %}`` loaded and in place.

    The template is rendered first (no I/O), then the widgets it asked for
    inline are loaded concurrently and rendered where their tags stood, in
    their state (``ready``, ``stale`` or ``error``), polling from then on.
    Widgets the viewer may not see, inline or lazy, are left out.
    """
    collector = InlineWidgets(request)
    html = render_to_string(template_name, {**(context or {}), **collector.context}, request)
    return HttpResponse(await collector.fill(html), status=status)


# The templates already warned about: a page rendered on every request warns once.
_warned_templates: LruMemo[str, bool] = LruMemo(
    name="render.warned_templates", max_entries=256, max_bytes=64 * 1024
)


def warn_inline_without_collector(template_name: str) -> None:
    """Say once per template that its inline widgets fell back to lazy placeholders."""
    if _warned_templates.get(template_name):
        return
    _warned_templates.put(template_name, True)
    logger.warning(
        "%s asks for inline widgets but was not rendered with render_with_widgets(): "
        "rendering lazy placeholders instead",
        template_name,
    )
