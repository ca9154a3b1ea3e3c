"""Upstream requests go on the wire before ORM sources start their threads.

An upstream's latency only starts once its request is written, and the event
loop writes it. An ORM source's thread, once started, competes with the loop
for the GIL (query compilation, connection set-up, result conversion are
Python). When a page starts a dozen widgets, each with an HTTP source and an
ORM source, starting the threads first held the last upstream request back by
25-40 ms (bench S1). So ``fetch_json`` counts each request until it is sent,
and an ORM source waits until none is pending, for at most
``WIDGETS_ORM_SEND_FIRST_WAIT`` seconds: ORM work is not starved under a
steady stream of requests.
"""

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class PendingSends:
    """How many upstream requests are being prepared, and who waits for them to be sent."""

    def __init__(self) -> None:
        self.count = 0
        self._waiters: list[asyncio.Future[None]] = []

    @contextmanager
    def sending(self) -> Iterator[Callable[[], None]]:
        """Count one request as pending until the ``sent`` it yields is called, or the block ends."""
        self.count += 1
        is_counted = True

        def sent() -> None:
            nonlocal is_counted
            if is_counted:
                is_counted = False
                self.count -= 1
                if not self.count:
                    self._wake_waiters()

        try:
            yield sent
        finally:
            sent()

    async def wait_until_sent(self, at_most: float) -> None:
        """Return once no request is pending, or after ``at_most`` seconds."""
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

    def _wake_waiters(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done() and not waiter.get_loop().is_closed():
                waiter.set_result(None)


pending_sends = PendingSends()


def is_sent_event(event_name: str) -> bool:
    """Whether an httpcore trace event means the request has been written (HTTP/1.1 and HTTP/2)."""
    return event_name.endswith(".receive_response_headers.started")
