"""The viewer's language and time zone, and what they make part of the keys of rendered text.

The language comes from the ``django_language`` cookie the viewer chose (the
top bar's menu sets it), else from ``Accept-Language``, among ``LANGUAGES``.
The time zone is the viewer's own when they asked for it (the ``widgets_tz``
cookie, an IANA name the browser reports), else ``TIME_ZONE``.
``LocaleMiddleware`` (``widgets.middleware``) activates both for a request.

A widget's loaded value may hold translated or localised text (labels,
formatted times), and pages and fragments are rendered once and reused, so
the language and the time zone are part of those keys: ``rendering_variant()``.
"""

import contextvars
import functools
import zoneinfo
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from django.utils import timezone, translation

TIME_ZONE_COOKIE = "widgets_tz"
MAX_TIME_ZONE_NAME = 64


@functools.cache
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def viewer_time_zone(cookies: Mapping[str, str]) -> zoneinfo.ZoneInfo | None:
    """The time zone the viewer chose, if it names a real one; else None (``TIME_ZONE``)."""
    name = cookies.get(TIME_ZONE_COOKIE, "")
    if not name or len(name) > MAX_TIME_ZONE_NAME or name not in known_time_zones():
        return None
    return zoneinfo.ZoneInfo(name)


# The request's variant, set by LocaleMiddleware: a page asks for it once per tile, and reading
# Django's active language and time zone (asgiref locals) each time was a tenth of a page view.
_request_variant: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "widgets_rendering_variant", default=None
)


def rendering_variant() -> tuple[str, str]:
    """The active language and time zone: what makes the same values render as other text.

    In a request, the ones ``LocaleMiddleware`` activated (``request_variant``).
    """
    return _request_variant.get() or active_variant()


def active_variant() -> tuple[str, str]:
    return translation.get_language() or "", timezone.get_current_timezone_name()


@contextmanager
def request_variant(language: str, time_zone: str) -> Iterator[tuple[str, str]]:
    """Fix the variant for the rest of a request: the language and time zone it activated."""
    variant = (language, time_zone)
    token = _request_variant.set(variant)
    try:
        yield variant
    finally:
        _request_variant.reset(token)
