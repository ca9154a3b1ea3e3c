"""Uptime: every labelled URL checked concurrently, each with its status and latency."""

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from widgets.base import Widget
from widgets.sources import Source, get_client, settle_sources

# Zero-width: after the last of a run of separators (``https://`` stays whole).
LABEL_BREAKS = re.compile(r"(?<=[/.?&=-])(?![/.?&=-])")


@dataclass(frozen=True)
class Check:
    """The outcome of one check, named by its label (its URL may hold a token: it is not shown)."""

    label: str
    is_up: bool
    status: str
    latency_ms: float | None

    @property
    def label_parts(self) -> list[str]:
        """The label cut after each run of ``/.?&=-``: where a URL may wrap (``<wbr>`` in the template)."""
        return [part for part in LABEL_BREAKS.split(self.label) if part]


def check_source(label: str, url: str, *, deadline: float | None = None) -> Source[tuple[int, float]]:
    """A source named ``label``: the status of ``url`` and the time its answer took to start.

    The body is never read: the status says whether the URL is up, and an answer
    of any size costs nothing. A redirect is not followed; it counts as up.
    """

    async def load() -> tuple[int, float]:
        started = time.perf_counter()
        async with get_client().stream("GET", url) as response:
            return response.status_code, (time.perf_counter() - started) * 1000

    return Source(label, load, deadline)


class UptimeWidget(Widget):
    """Checks ``checks()`` concurrently; a down URL is data, not a widget error."""

    template_name: ClassVar[str] = "widgets/builtin/uptime.html"

    def checks(self) -> Mapping[str, str]:
        """The URLs to check by label, in the order shown: ``{"api": "http://127.0.0.1:8001/health"}``."""
        raise NotImplementedError

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        results = await settle_sources(*(check_source(label, url) for label, url in self.checks().items()))
        checks = []
        for label, result in results.items():
            if result.error is not None:
                checks.append(Check(label, False, result.error.reason, None))
            else:
                status_code, latency_ms = result.value
                checks.append(Check(label, 200 <= status_code < 400, f"HTTP {status_code}", latency_ms))
        return {"checks": checks, "up_count": sum(check.is_up for check in checks)}
