"""What a load leaves in the cache (an entry or a failure), and what a lookup hands the view."""

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from widgets.sources import SourceError


@dataclass(frozen=True)
class CacheEntry:
    """A loaded value and when it was loaded (seconds since the epoch, shared by every process)."""

    value: Mapping[str, Any]
    stored_at: float

    @functools.cached_property
    def loaded_at(self) -> datetime:
        """``stored_at`` as a datetime: made once per entry, which every page view of it reports."""
        return datetime.fromtimestamp(self.stored_at, UTC)


@dataclass(frozen=True)
class LoadFailure:
    """A failed load: which sources failed and why. Kept as plain pairs, so it encodes as JSON."""

    errors: tuple[tuple[str, str], ...]
    failed_at: float

    @classmethod
    def of(cls, errors: list[SourceError], failed_at: float) -> "LoadFailure":
        return cls(tuple((error.source, error.reason) for error in errors), failed_at)

    @property
    def source_errors(self) -> list[SourceError]:
        return [SourceError(source, reason) for source, reason in self.errors]


type Outcome = CacheEntry | LoadFailure


@dataclass(frozen=True)
class CachedResult:
    """What ``get_or_load`` hands the view: a value, fresh or stale, or why there is none.

    ``errors`` lists the failed sources of the last load: with a value, it was
    served stale because refreshing failed; without one, the widget is in error.
    """

    value: Mapping[str, Any] | None
    # When the value was loaded; without a value, when loading failed.
    loaded_at: datetime | None = None
    age_seconds: float = 0.0
    is_stale: bool = False
    errors: list[SourceError] = field(default_factory=list)

    @property
    def state(self) -> Literal["ready", "stale", "error"]:
        if self.value is None:
            return "error"
        return "stale" if self.is_stale else "ready"
