"""Garbage-collector tuning of a worker process, applied once it has started.

A worker holds a few hundred thousand long-lived objects (Django, the URL
resolver, compiled templates) that every full collection traverses again.
A burst of concurrent requests allocates fast enough to run many collections,
which then stall every request in the event loop: in the S4 benchmark
(1,000 concurrent requests) collections added about 150 ms to each one.
``gc.freeze()`` moves what exists after start-up out of the collector's
sight, and a larger first-generation threshold makes collections rarer.
Reference cycles are still collected.
"""

import gc

from django.core.exceptions import ImproperlyConfigured

from widgets.conf import widget_settings


def parse_threshold(value: str) -> tuple[int, ...]:
    """``"10000,20,100"`` as ``gc.set_threshold`` takes it; empty: Python's default."""
    if not value.strip():
        return ()
    try:
        numbers = tuple(int(part) for part in value.split(","))
    except ValueError:
        numbers = ()
    if not 1 <= len(numbers) <= 3 or any(number < 0 for number in numbers):
        raise ImproperlyConfigured(
            f"WIDGETS_GC_THRESHOLD must be one to three whole numbers separated by commas, got {value!r}"
        )
    return numbers


def tune_gc() -> None:
    """Apply ``WIDGETS_GC_THRESHOLD`` and ``WIDGETS_GC_FREEZE`` once the process is ready to serve."""
    threshold = parse_threshold(widget_settings.GC_THRESHOLD)
    if threshold:
        gc.set_threshold(*threshold)
    if widget_settings.GC_FREEZE:
        gc.collect()  # what start-up left as garbage is freed, not frozen
        gc.freeze()
