"""Threads for ORM sources, so the ORM work of different widgets runs in parallel.

Django's async ORM methods are ``sync_to_async(thread_sensitive=True)``
wrappers, and under ASGI each request runs them all on one thread: the ORM
sources of several widgets in one response would queue behind each other.
Each ORM source here borrows a single-thread executor of its own (through
asgiref's ``ThreadSensitiveContext(executor=...)``), and gives it back once its
thread has closed its database connections: a pooled PostgreSQL connection
returns to the pool right after the query, not at the end of the request.
"""

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext
from django.db import connections

from widgets.conf import widget_settings
from widgets.sources.run import Source
from widgets.sources.send_first import pending_sends


def close_thread_connections() -> None:
    """Close (or return to the pool) the calling thread's database connections."""
    connections.close_all()


class OrmThreads:
    """A bounded set of single-thread executors, lent out one per ORM source."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: asyncio.Queue[ThreadPoolExecutor] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._executors: list[ThreadPoolExecutor] = []

    def _queue(self) -> asyncio.Queue[ThreadPoolExecutor]:
        loop = asyncio.get_running_loop()
        if self._idle is None or self._loop is not loop:
            # Executors idle in a queue bound to another loop are not reachable from here.
            self._idle, self._loop = asyncio.Queue(), loop
            self._executors = [
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="widgets-orm") for _ in range(self.size)
            ]
            for executor in self._executors:
                self._idle.put_nowait(executor)
        return self._idle

    async def run[T](self, load: Callable[[], Awaitable[T]]) -> T:
        """Run ``load``'s thread-sensitive calls on a borrowed thread of its own."""
        idle = self._queue()
        executor = await idle.get()
        loop = asyncio.get_running_loop()
        try:
            async with ThreadSensitiveContext(executor=executor):
                return await load()
        finally:
            # Not awaited: when a deadline cancelled us, the thread may still be
            # running the query; the executor comes back once it has finished.
            closing = executor.submit(close_thread_connections)

            def give_back(_: Future[None]) -> None:
                if not loop.is_closed():
                    loop.call_soon_threadsafe(idle.put_nowait, executor)

            closing.add_done_callback(give_back)

    def shutdown(self) -> None:
        for executor in self._executors:
            executor.shutdown(wait=False)
        self._executors, self._idle, self._loop = [], None, None


_orm_threads: OrmThreads | None = None


def orm_threads() -> OrmThreads:
    global _orm_threads
    if _orm_threads is None:
        _orm_threads = OrmThreads(widget_settings.ORM_THREADS)
    return _orm_threads


def orm[T](name: str, load: Callable[[], Awaitable[T]], *, deadline: float | None = None) -> Source[T]:
    """A source backed by async ORM calls (``aaggregate``, ``acount``, ``async for`` ...).

    It runs on a thread of its own (``OrmThreads`` above), so the ORM
    sources of different widgets in one response run in parallel, once the
    upstream requests being prepared are on the wire (see ``widgets.sources.send_first``).

    A database that cannot be reached fails the source as ``database
    unavailable`` as soon as the driver gives up: at once for a refused
    connection or a missing SQLite directory; for a host that does not answer,
    after ``connect_timeout`` (PostgreSQL ``OPTIONS``); with a connection pool,
    after the pool's ``timeout``. Keep those below the source's deadline, or
    the deadline comes first and the reason is ``timed out``.
    """
    return Source(name, lambda: run_orm(load), deadline)


async def run_orm[T](load: Callable[[], Awaitable[T]]) -> T:
    await pending_sends.wait_until_sent(widget_settings.ORM_SEND_FIRST_WAIT)
    return await orm_threads().run(load)
