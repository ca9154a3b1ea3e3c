"""Kiosk mode: a dashboard on a wall screen, set up by its URL alone.

``?kiosk=1`` hides the navigation, the filters and the account links, and
enlarges the type. ``&rotate=shop,operations&every=60`` also moves on to the
next dashboard of the list every 60 seconds (``widgets/kiosk.js``), keeping the
whole query, so the next page is a kiosk too and the filters carry over.
Widgets keep refreshing as they always do. Slugs the viewer cannot open, and
an interval out of bounds, are left out and named on the page; neither is a
filter error. Its query keys (``kiosk``, ``rotate``, ``every``) are not
filters: a dashboard's filters should not use them.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import ClassVar

from django.http import QueryDict
from django.urls import reverse

from widgets.memo import MAX_KEY_TEXT

KIOSK_KEY = "kiosk"
ROTATE_KEY = "rotate"
EVERY_KEY = "every"
ON_VALUES = frozenset({"1", "true", "yes", "on"})
MIN_EVERY_SECONDS = 10
MAX_EVERY_SECONDS = 24 * 60 * 60
DEFAULT_EVERY_SECONDS = 60


@dataclass(frozen=True)
class Kiosk:
    """A page in kiosk mode: the page it moves on to and when, and what of its query was left out."""

    next_url: str = ""
    every_seconds: int = DEFAULT_EVERY_SECONDS
    ignored_slugs: tuple[str, ...] = ()
    ignored_every: str = ""

    min_every_seconds: ClassVar[int] = MIN_EVERY_SECONDS
    max_every_seconds: ClassVar[int] = MAX_EVERY_SECONDS

    @property
    def rotates(self) -> bool:
        return bool(self.next_url)

    @property
    def ignored_slugs_text(self) -> str:
        """The slugs left out, quoted, for the page's notice: ``“shop”, “ops”``."""
        return ", ".join(f"“{slug}”" for slug in self.ignored_slugs)

    @property
    def is_memoisable(self) -> bool:
        """Whether a page shell showing this may be kept (it is part of the shell's key)."""
        text = len(self.next_url) + len(self.ignored_every) + sum(len(slug) for slug in self.ignored_slugs)
        return text <= MAX_KEY_TEXT


def is_kiosk(query: QueryDict) -> bool:
    """Whether the page was asked for in kiosk mode (``kiosk=1``)."""
    return query.get(KIOSK_KEY, "").strip().lower() in ON_VALUES


def wants_rotation(query: QueryDict) -> bool:
    return bool(requested_slugs(query))


def requested_slugs(query: QueryDict) -> list[str]:
    """The slugs of ``rotate=a,b``, in order, each once."""
    slugs = (slug.strip() for slug in query.get(ROTATE_KEY, "").split(","))
    return list(dict.fromkeys(slug for slug in slugs if slug))


def read_kiosk(query: QueryDict, slug: str, may_open: Collection[str]) -> Kiosk:
    """Dashboard ``slug``'s kiosk mode as ``query`` asks; ``may_open``: the slugs the viewer may open."""
    requested = requested_slugs(query)
    rotation = [candidate for candidate in requested if candidate in may_open]
    ignored = tuple(candidate for candidate in requested if candidate not in may_open)
    every, ignored_every = read_every(query.get(EVERY_KEY, "")) if requested else (DEFAULT_EVERY_SECONDS, "")
    following = next_slug(rotation, slug)
    if following is None:
        return Kiosk(every_seconds=every, ignored_slugs=ignored, ignored_every=ignored_every)
    carried = query.copy()
    carried[KIOSK_KEY] = "1"
    carried[ROTATE_KEY] = ",".join(rotation)
    carried[EVERY_KEY] = str(every)
    next_url = f"{reverse('widgets:dashboard', args=[following])}?{carried.urlencode(safe=',')}"
    return Kiosk(next_url, every, ignored, ignored_every)


def read_every(text: str) -> tuple[int, str]:
    """The rotation's interval in seconds, and the text given if it was refused (the default is used)."""
    if not text:
        return DEFAULT_EVERY_SECONDS, ""
    try:
        seconds = int(text)
    except ValueError:
        return DEFAULT_EVERY_SECONDS, text
    if not MIN_EVERY_SECONDS <= seconds <= MAX_EVERY_SECONDS:
        return DEFAULT_EVERY_SECONDS, text
    return seconds, ""


def next_slug(rotation: list[str], slug: str) -> str | None:
    """The dashboard after ``slug`` in the rotation (the first one if ``slug`` is not in it); None: stay."""
    if not rotation or rotation == [slug]:
        return None
    if slug not in rotation:
        return rotation[0]
    return rotation[(rotation.index(slug) + 1) % len(rotation)]
