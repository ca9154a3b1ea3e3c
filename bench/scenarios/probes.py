"""Timing one source or one widget on its own, the yardsticks several scenarios divide by."""

import time

import httpx

from bench.scenario import median
from bench.servers import Server


def time_aggregate_alone(app: Server, probe: str, samples: int) -> float:
    """Median time of the bench probe view running one ORM aggregate (first call is warm-up)."""
    with httpx.Client(base_url=app.url, timeout=10.0) as client:
        times = []
        for _ in range(samples + 1):
            response = client.get(f"/bench/probe/{probe}/")
            response.raise_for_status()
            times.append(float(response.json()["ms"]))
    return median(times[1:])


def time_widget_alone(app: Server, widget_name: str, query: str) -> float:
    """One widget's endpoint alone, as htmx requests it."""
    started = time.perf_counter()
    response = httpx.get(f"{app.url}/widgets/{widget_name}/{query}", headers={"HX-Request": "true"})
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000
