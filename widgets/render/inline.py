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

from widgets.base import Widget
from widgets.cache import cache_key
from widgets.memo import LruMemo
from widgets.render.fragments import fragment_memo
from widgets.render.loading import load_frame

logger = logging.getLogger(__name__)

# Where a render's collector sits in the template context. The leading
# underscore keeps templates from reading it ({{ _x }} does not parse).
COLLECTOR_CONTEXT_KEY = "_widgets_inline"


@dataclass(frozen=True)
class InlineWidget:
    """A widget a template asked for inline, with its validated parameters."""

    widget: Widget
    params: Mapping[str, Any]


class InlineWidgets:
    """The widgets one render asks for inline, each standing in the output as a marker.

    ``render_with_widgets`` is the usual way to use it; to render a template
    some other way, add ``collector.context`` to its context, then
    ``html = await collector.fill(html)``.
    """

    def __init__(self) -> None:
        self.token = secrets.token_hex(16)
        self.requested: list[InlineWidget] = []
        self._indexes: dict[str, int] = {}
        self._marker = re.compile(rf"<!--widget-inline:{self.token}:(\d+)-->")

    @property
    def context(self) -> dict[str, "InlineWidgets"]:
        return {COLLECTOR_CONTEXT_KEY: self}

    def add(self, widget: Widget, params: Mapping[str, Any]) -> SafeString:
        """Record the widget and return the marker ``fill`` will replace with it.

        One widget with the same parameters twice in a page gets one marker, so one load.
        """
        index = self._indexes.setdefault(cache_key(widget, params), len(self.requested))
        if index == len(self.requested):
            self.requested.append(InlineWidget(widget, params))
        # Only a hex token and an index: nothing from outside goes into it.
        return mark_safe(f"<!--widget-inline:{self.token}:{index}-->")

    async def fill(self, html: str) -> str:
        """Load the widgets whose markers are in ``html``, concurrently, and put each in place.

        Each load goes through ``load_frame`` (the cache, each source under its
        deadline): a failed source renders the widget's error state, never an
        exception. A marker a filter swallowed loads nothing.
        """
        found = {int(index) for index in self._marker.findall(html)}
        wanted = sorted(index for index in found if index < len(self.requested))
        if not wanted:
            return html
        async with asyncio.TaskGroup() as group:
            loads = {
                index: group.create_task(
                    load_frame(self.requested[index].widget, self.requested[index].params)
                )
                for index in wanted
            }
        fragments = {index: fragment_memo.render(task.result()) for index, task in loads.items()}
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
    """
    collector = InlineWidgets()
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
