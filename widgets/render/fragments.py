"""Rendered widget fragments, memoised per load.

Rendering a widget's template costs far more than finding its cached value.
A frame that came from a load (it has ``loaded_at``) renders the same HTML
for every viewer while its state and age (in whole seconds) stay the same, so that HTML is kept,
per process, and reused: many viewers polling one widget cost one render per
change, not one each.
"""

from collections.abc import Hashable

from django.template.loader import get_template
from django.utils.safestring import SafeString

from widgets.i18n import rendering_variant
from widgets.memo import MAX_KEY_TEXT, LruMemo
from widgets.render.frames import WidgetFrame

FRAGMENT_TEMPLATE = "widgets/frame.html#widget"


def render_fragment(frame: WidgetFrame, *, not_found: bool = False) -> SafeString:
    """The widget's root element in its state, without a page around it."""
    context = {**frame.body, "frame": frame, "not_found": not_found}
    return SafeString(get_template(FRAGMENT_TEMPLATE).render(context))


class FragmentMemo(LruMemo[Hashable, SafeString]):
    """A bounded, least-recently-used store of rendered fragments, keyed by what makes one render."""

    @staticmethod
    def key(frame: WidgetFrame) -> Hashable | None:
        if frame.loaded_at is None or frame.param_errors:
            return None  # placeholders and invalid requests are cheap and rare
        if len(frame.url) > MAX_KEY_TEXT:
            return None  # rendered every time: the URL is part of the key
        # One load (name, URL, load time) in one state at one age renders one way, per language and time zone.
        return (
            frame.name,
            frame.url,
            frame.loaded_at,
            frame.state,
            frame.age_seconds,
            frame.refresh_seconds,
            rendering_variant(),
        )

    def render(self, frame: WidgetFrame) -> SafeString:
        key = self.key(frame)
        if key is None:
            return render_fragment(frame)
        return self.get_or_make(key, lambda: render_fragment(frame))


fragment_memo = FragmentMemo(name="render.fragments", max_entries=1000, max_bytes=8 * 1024 * 1024)
