"""Uptime: every URL checked concurrently, each with its status and latency."""

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from widgets.base import Widget
from widgets.sources import Source, get_client, settle_sources


@dataclass(frozen=True)
class Check:
    """The outcome of one URL check."""

    url: str
    is_up: bool
    status: str
    latency_ms: float | None


def check_source(url: str, *, deadline: float | None = None) -> Source[tuple[int, float]]:
    async def load() -> tuple[int, float]:
        started = time.perf_counter()
        response = await get_client().get(url)
        return response.status_code, (time.perf_counter() - started) * 1000

    return Source(url, load, deadline)


class UptimeWidget(Widget):
    """Checks ``urls()`` concurrently; a down URL is data, not a widget error."""

    template_name: ClassVar[str] = "widgets/builtin/uptime.html"

    def urls(self) -> list[str]:
        raise NotImplementedError

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        results = await settle_sources(*(check_source(url) for url in dict.fromkeys(self.urls())))
        checks = []
        for url, result in results.items():
            if result.error is not None:
                checks.append(Check(url, False, result.error.reason, None))
            else:
                status_code, latency_ms = result.value
                checks.append(Check(url, 200 <= status_code < 400, f"HTTP {status_code}", latency_ms))
        return {"checks": checks, "up_count": sum(check.is_up for check in checks)}
