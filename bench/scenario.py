"""What every scenario gets (``Context``) and gives back (``ScenarioResult`` with its ``Goal``s)."""

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Comparison = Literal["<=", ">="]
Scalar = float | int | str | bool | None
Detail = Scalar | list[float] | list[int] | dict[str, int] | dict[str, float] | dict[str, str]


class ScenarioError(Exception):
    """A scenario could not run (a server did not start, a page never settled ...).

    Missing a goal is not an error: it is a result, reported as MISS.
    """


@dataclass(frozen=True)
class Context:
    """The run's options and the prepared databases, cache and log folder."""

    quick: bool
    s3_seconds: float
    sqlite_url: str
    postgres_url: str
    postgres_admin_url: str
    redis_url: str
    log_dir: Path
    # Memos the app servers keep nothing in (``--memos-off``): what a memo is worth, measured.
    memos_off: str = ""

    def app_env(self, database_url: str, *, login_required: bool = False, **bench: str) -> dict[str, str]:
        """The environment of an app server: bench settings, the given database, the bench Redis.

        ``login_required`` is the project's ``LOGIN_REQUIRED``: off for scenarios
        whose pages and widgets name no rules (the bench's own), so their viewers
        stay anonymous; on where viewers log in (S2, S6). ``bench`` adds
        ``BENCH_*`` variables, e.g. ``upstream_url=...`` sets ``BENCH_UPSTREAM_URL``.
        """
        from bench.servers import base_env

        env = base_env()
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "bench.settings",
                "DATABASE_URL": database_url,
                "REDIS_URL": self.redis_url,
                "DEBUG": "0",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "LOG_LEVEL": "WARNING",
                "LOGIN_REQUIRED": "1" if login_required else "0",
            }
        )
        env.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")
        env.update({f"BENCH_{key.upper()}": value for key, value in bench.items()})
        if self.memos_off:
            env["BENCH_MEMOS_OFF"] = self.memos_off
        return env


@dataclass(frozen=True)
class Goal:
    """One goal of the issue, its measured value and whether it was met."""

    label: str
    measured: float | None
    target: float
    comparison: Comparison = "<="
    unit: str = "×"

    @property
    def passed(self) -> bool | None:
        if self.measured is None:
            return None
        if self.comparison == "<=":
            return self.measured <= self.target
        return self.measured >= self.target


@dataclass
class ScenarioResult:
    """A scenario's goals, the absolute values behind them, and notes on what limited them."""

    key: str
    title: str
    goals: list[Goal] = field(default_factory=list)
    summary: str = ""
    details: dict[str, Detail] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def has_run(self) -> bool:
        return self.error is None


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` 0.99 for p99)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return float(ordered[rank - 1])


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def rounded(values: Sequence[float], digits: int = 1) -> list[float]:
    return [round(value, digits) for value in values]


def rounded_map(values: Mapping[str, float], digits: int = 1) -> dict[str, float]:
    return {key: round(value, digits) for key, value in values.items()}
