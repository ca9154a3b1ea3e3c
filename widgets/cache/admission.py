"""Admission of loads: each process runs at most ``WIDGETS_MAX_LOADS_IN_FLIGHT`` distinct loads at once.

Past the bound, a request that would start one more load is refused at once
(``Overloaded``, which the render layer answers with 503 and ``Retry-After``)
rather than queued: a queued load holds its connection, its memory and a place
in the event loop's work while it waits, so every request slows down together,
and the ones beyond the upstreams' capacity time out anyway. Refusing the excess
keeps the loads admitted, cached answers and ``/healthz`` as quick as they were.

Only a new distinct load is counted and can be refused. A request that joins a
load already in flight (single-flight), or that the cache answers, fresh or
stale, costs no load and is never refused; a stale value whose refresh cannot
be admitted is served as it is. The count is taken where loads start, in
``WidgetCache``, and given back when the load ends however it ends: with a
value, a failure, a timeout or a cancellation.

Refused requests do not wait for a place. A burst that fills the bound keeps
the event loop busy reading it, and the loads admitted finish only after that,
however quick their upstream: a short wait frees no place, it only makes the
refusal later (bench S7 measured it; ``bench/README.md``).

The default, 100, is the size of the shared HTTP client's connection pool
(``WIDGETS_HTTP_MAX_CONNECTIONS``): past it, upstream requests only queue for a
connection, and hundreds of them queued there kept the event loop, and
``/healthz`` with it, busy for seconds (bench S7 without a bound).
"""

import math

from widgets.conf import widget_settings


class Overloaded(Exception):
    """This process runs as many loads as it may: the request is refused, to be retried later."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"too many widget loads in flight; retry after {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


def retry_after_seconds() -> int:
    """The ``Retry-After`` of a refusal: the default source deadline, in whole seconds (at least 1).

    Every load that filled the bound ends by then at the latest (unless one of
    its sources has a deadline of its own, longer), so its place is free again.
    """
    return max(1, math.ceil(widget_settings.SOURCE_TIMEOUT))


class LoadAdmission:
    """The distinct loads in flight in one process, and the refusal of one more past the bound."""

    def __init__(self) -> None:
        self.in_flight = 0

    def admit(self) -> None:
        """Count one more load, or raise ``Overloaded`` if the process runs as many as it may."""
        limit = widget_settings.MAX_LOADS_IN_FLIGHT
        if 0 < limit <= self.in_flight:
            raise Overloaded(retry_after_seconds())
        self.in_flight += 1

    def release(self) -> None:
        """A load counted by ``admit`` has ended."""
        self.in_flight -= 1
