"""Durations of the sources a request ran, for the ``Server-Timing`` header."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceTiming:
    """How long one source took, and whether it succeeded."""

    name: str
    duration_ms: float
    is_ok: bool


_timings: ContextVar[list[SourceTiming] | None] = ContextVar("widget_source_timings", default=None)


@contextmanager
def collect_timings() -> Iterator[list[SourceTiming]]:
    """Collect the timings of every source run inside the block (and its tasks)."""
    timings: list[SourceTiming] = []
    token = _timings.set(timings)
    try:
        yield timings
    finally:
        _timings.reset(token)


def record_timing(timing: SourceTiming) -> None:
    timings = _timings.get()
    if timings is not None:
        timings.append(timing)


_NOT_TOKEN = re.compile(r"[^A-Za-z0-9!#$%&'*+.^_`|~-]+")


def server_timing_header(timings: list[SourceTiming]) -> str:
    """Format timings as a ``Server-Timing`` value: one entry per source."""
    entries = []
    for timing in timings:
        token = _NOT_TOKEN.sub("-", timing.name).strip("-") or "source"
        description = "ok" if timing.is_ok else "failed"
        entries.append(f'{token};dur={timing.duration_ms:.1f};desc="{description}"')
    return ", ".join(entries)
