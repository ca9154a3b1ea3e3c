"""Closed-loop load for a fixed time: N workers repeating one async action until the deadline."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# Bounds every loop in count as well as in time.
MAX_ACTIONS_PER_WORKER = 100_000


@dataclass(frozen=True)
class LoadResult:
    completed: int
    failed: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.completed / self.seconds if self.seconds > 0 else 0.0


async def run_for(
    seconds: float, workers: int, make_action: Callable[[int], Callable[[], Awaitable[bool]]]
) -> LoadResult:
    """Run ``workers`` loops of their action (True: completed, False: failed) for ``seconds``.

    An action in flight at the deadline is awaited and counted; the rate is over
    the time until the last one finished.
    """
    completed = failed = 0
    started = time.perf_counter()
    deadline = started + seconds

    async def loop(action: Callable[[], Awaitable[bool]]) -> None:
        nonlocal completed, failed
        for _ in range(MAX_ACTIONS_PER_WORKER):
            if time.perf_counter() >= deadline:
                return
            if await action():
                completed += 1
            else:
                failed += 1

    await asyncio.gather(*(loop(make_action(worker)) for worker in range(workers)))
    return LoadResult(completed, failed, time.perf_counter() - started)
