"""Upstream requests go on the wire before ORM sources start their threads.

An upstream's latency only starts once its request is written, and the event
loop writes it. An ORM source's thread, once started, competes with the loop
for the GIL (query compilation, connection set-up, result conversion are
Python). When a page starts a dozen widgets, each with an HTTP source and an
ORM source, starting the threads first held the last upstream request back by
25-40 ms (bench S1), more when the machine is busy. So ``fetch_json`` counts
each request while the event loop prepares it, and an ORM source waits until
none is being prepared, for at most ``WIDGETS_ORM_SEND_FIRST_WAIT`` seconds:
ORM work is not starved under a steady stream of requests.

A widget's requests are counted from the start of its cached load
(``loading()``, used by ``widgets.cache``), not only once its sources run: a
page starts a dozen loads whose Redis round trips end at slightly different
moments, and counting each request only from its own start let the count touch
zero between two widgets, so ORM threads started among the sends. The load
stops counting once its sources have taken their first step
(``load_prepared()``, called by ``settle_sources``), when it joins a load
already in flight, or when it waits for another process's load instead.

The demo dashboard uses the same count to send its page once its widgets'
upstream requests are out (``dashboard.views``).

A request still connecting counts too. Not counting it let ORM threads start
while the loop connected twelve fresh connections on loopback, where a connect
takes one loop iteration, and the sends that followed competed with them for
the GIL (S1 got about 30 ms slower). Against a slow remote host, ORM sources
wait out its connect, up to the limit.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

Trace = Callable[[str, Mapping[str, Any]], Awaitable[None]]

# The request is written: HTTP/1.1 and HTTP/2 connections both trace this next.
SENT = ".receive_response_headers.started"


class PendingSends:
    """How many upstream requests the event loop is preparing, and who waits for them to be sent."""

    def __init__(self) -> None:
        self.count = 0
        self._waiters: list[asyncio.Future[None]] = []

    @contextmanager
    def sending(self) -> Iterator[Trace]:
        """Count one request while it is prepared; yields the httpcore ``trace`` callback that tells."""
        request = _Pending(self)
        try:
            yield request.trace
        finally:
            request.done()

    @contextmanager
    def loading(self) -> Iterator[None]:
        """Count the load running in this block until ``load_prepared()`` (or the block's end).

        Blocks nest across tasks: a load started inside another's block (a page's widget
        starting the cache's shared load) is prepared when the innermost one is.
        """
        load = _Pending(self)
        token = _current_loads.set((*_current_loads.get(), load))
        try:
            yield
        finally:
            _current_loads.reset(token)
            load.done()

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


class _Pending:
    """One request's or load's part of the count; a request's ends when httpcore traces it written."""

    def __init__(self, sends: PendingSends) -> None:
        self.sends = sends
        self.is_counted = True
        sends._increment()

    def done(self) -> None:
        if self.is_counted:
            self.is_counted = False
            self.sends._decrement()

    async def trace(self, event_name: str, info: Mapping[str, Any]) -> None:
        if event_name.endswith(SENT):
            self.done()


pending_sends = PendingSends()
_current_loads: ContextVar[tuple[_Pending, ...]] = ContextVar("widgets_send_first_loads", default=())


def load_prepared() -> None:
    """The current loads' own requests count from now on (or they will not send any soon)."""
    for load in _current_loads.get():
        load.done()
