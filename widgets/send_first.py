"""Upstream requests go on the wire before ORM sources start their threads.

An upstream's latency only starts once its request is written, and the event
loop writes it. An ORM source's thread, once started, competes with the loop
for the GIL (query compilation, connection set-up, result conversion are
Python). When a page starts a dozen widgets, each with an HTTP source and an
ORM source, starting the threads first held the last upstream request back by
25-40 ms (bench S1), more when the machine is busy. So ``fetch_json`` counts
each request while the event loop prepares it, and an ORM source waits until
none is being prepared, for at most ``WIDGETS_ORM_SEND_FIRST_WAIT`` seconds:
ORM work is not starved under a steady stream of requests. A request waiting
on the network (connecting, TLS handshake, a retry's pause) does not count.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

Trace = Callable[[str, Mapping[str, Any]], Awaitable[None]]

SENT = ".receive_response_headers.started"
NETWORK_WAIT_STARTED = frozenset(
    {"connection.connect_tcp.started", "connection.start_tls.started", "connection.retry.started"}
)
NETWORK_WAIT_ENDED = frozenset(
    {
        "connection.connect_tcp.complete",
        "connection.connect_tcp.failed",
        "connection.start_tls.complete",
        "connection.start_tls.failed",
        "connection.retry.complete",
        "connection.retry.failed",
    }
)


class PendingSends:
    """How many upstream requests the event loop is preparing, and who waits for them to be sent."""

    def __init__(self) -> None:
        self.count = 0
        self._waiters: list[asyncio.Future[None]] = []

    @contextmanager
    def sending(self) -> Iterator[Trace]:
        """Count one request while it is prepared; yields the httpcore ``trace`` callback that tells."""
        request = _PendingRequest(self)
        request.resume()
        try:
            yield request.trace
        finally:
            request.done()

    async def wait_until_sent(self, at_most: float) -> None:
        """Return once no request is being prepared, or after ``at_most`` seconds."""
        # Sources started in the same gather as the caller take their first step first.
        await asyncio.sleep(0)
        if not self.count or at_most <= 0:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait([waiter], timeout=at_most)
        finally:
            if not waiter.done():
                self._waiters.remove(waiter)
                waiter.cancel()

    def _increment(self) -> None:
        self.count += 1

    def _decrement(self) -> None:
        self.count -= 1
        if not self.count:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done() and not waiter.get_loop().is_closed():
                    waiter.set_result(None)


class _PendingRequest:
    """One request's part of the count, following httpcore's trace events."""

    def __init__(self, sends: PendingSends) -> None:
        self.sends = sends
        self.is_counted = False
        self.is_finished = False

    def resume(self) -> None:
        if not self.is_counted and not self.is_finished:
            self.is_counted = True
            self.sends._increment()

    def pause(self) -> None:
        if self.is_counted:
            self.is_counted = False
            self.sends._decrement()

    def done(self) -> None:
        self.is_finished = True
        self.pause()

    async def trace(self, event_name: str, info: Mapping[str, Any]) -> None:
        if event_name.endswith(SENT):
            self.done()
        elif event_name in NETWORK_WAIT_STARTED:
            self.pause()
        elif event_name in NETWORK_WAIT_ENDED:
            self.resume()


pending_sends = PendingSends()
