"""How long a widget's value is fresh, and how long more it may be served stale."""

from dataclasses import dataclass

from widgets.base import Widget
from widgets.conf import widget_settings
from widgets.memo import LruMemo


@dataclass(frozen=True)
class CachePolicy:
    """How long a widget's value is fresh, then how long more it may be served stale."""

    fresh_seconds: float
    stale_seconds: float

    @property
    def expiry_seconds(self) -> float:
        return self.fresh_seconds + self.stale_seconds


def cache_policy(widget: Widget) -> CachePolicy:
    """The widget's ``cache_seconds`` and ``stale_seconds``, defaults applied."""
    seconds = (widget.refresh_seconds, widget.cache_seconds, widget.stale_seconds)
    return _policies.get_or_make(seconds, lambda: _policy(*seconds))


# Made once per combination: a page asks for each of its widgets' policies on every view.
_policies: LruMemo[tuple[float, float | None, float | None], CachePolicy] = LruMemo(
    name="cache.policies", max_entries=256, max_bytes=256 * 1024
)


def _policy(refresh_seconds: float, cache_seconds: float | None, stale_seconds: float | None) -> CachePolicy:
    fresh = max(0, refresh_seconds if cache_seconds is None else cache_seconds)
    if stale_seconds is not None:
        return CachePolicy(fresh, max(0, stale_seconds))
    return CachePolicy(fresh, max(10 * fresh, 300) if fresh > 0 else 0)


def is_cached(policy: CachePolicy) -> bool:
    """Whether values under ``policy`` are cached at all (caching on, and fresh for some time)."""
    return widget_settings.CACHE_ENABLED and policy.fresh_seconds > 0
