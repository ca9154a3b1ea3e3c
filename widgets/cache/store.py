"""The widget cache: keys, fresh TTL, stale-while-revalidate, stale-if-error, single-flight.

``get_or_load(widget, params)`` is the one entry point (the widget view uses
it). A value is *fresh* for the widget's ``cache_seconds``, then *stale* for
its ``stale_seconds``: a stale value is refreshed by one load while requests
get it (after waiting at most ``WIDGETS_CACHE_REVALIDATE_WAIT`` for the
refresh), and is still served, with the failure named, when loading fails.
Failures are never stored as values; a failed load is remembered for
``WIDGETS_CACHE_ERROR_SECONDS`` only, so a failing upstream is not hammered.

Values live in an in-process LRU store, read without leaving the event loop
(no thread hop on a hit). With ``WIDGETS_REDIS_URL`` they are also shared
through Redis (``redis.asyncio``, expiring after fresh + stale seconds) as
JSON that cannot run code when read (``codec``; what it cannot encode stays
in the process), and concurrent loads of one key share one load across
processes through a Redis lock: a key the process holds nothing for is read in the
round trip that takes the lock, and the lock is released in the round trip
that stores the value, after the process's own requests have their answer.
Within a process, concurrent loads of one key share one task. When Redis
fails the cache logs it (at most once a minute), carries on in-process, and
tries Redis again after a short cool-down.

A process runs at most ``WIDGETS_MAX_LOADS_IN_FLIGHT`` distinct loads at once
(``admission``): a request that would start one more gets ``Overloaded``, while
requests that join a load in flight or find a value, even a stale one, never do.
"""

import asyncio
import contextvars
import dataclasses
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from redis.asyncio import Redis

from widgets.base import Widget
from widgets.cache import codec
from widgets.cache.admission import LoadAdmission, Overloaded
from widgets.cache.keys import cache_key
from widgets.cache.policy import CachePolicy, cache_policy, is_cached
from widgets.cache.redis_link import REDIS_ERRORS, RELEASE_LOCK, RedisLink
from widgets.cache.results import CachedResult, CacheEntry, LoadFailure, Outcome
from widgets.conf import widget_settings
from widgets.memo import LruMemo
from widgets.sources import SourceError, SourcesFailed, load_prepared, pending_sends

logger = logging.getLogger("widgets.cache")

# How often a request waiting for another process's load looks for its value.
LOCK_POLL_SECONDS = 0.025
# A waiter whose loader vanished without a value tries to take the lock this often before loading anyway.
LOCK_ATTEMPTS = 3
# What ``estimated_bytes`` counts: each object (CPython's small ones take 24 to 64 bytes), and each
# reference a container holds (dicts and instances hold about three words per item).
OBJECT_BYTES = 48
REFERENCE_BYTES = 8


@dataclass
class _Slot:
    """What the process holds for one key, and its estimated bytes (``estimated_bytes``)."""

    key: str
    entry: CacheEntry | None = None
    failure: LoadFailure | None = None
    # Counted when each changes, so the store's total is kept without walking values again.
    entry_bytes: int = 0
    failure_bytes: int = 0

    @property
    def size(self) -> int:
        return OBJECT_BYTES + len(self.key) + self.entry_bytes + self.failure_bytes


@dataclass
class _Flight:
    """A load in flight in this process, shared by every request for its key.

    A request's load is cancelled when the last request waiting for it goes
    away (the browser left the page); a refresh always runs to the end.
    """

    task: "asyncio.Task[Outcome]"
    is_refresh: bool
    waiters: int = 0


class WidgetCache:
    """The cache of one process. ``clock`` (seconds since the epoch) can be replaced in tests."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._slots: OrderedDict[str, _Slot] = OrderedDict()
        self._slots_bytes = 0  # the sum of the slots' sizes
        self._in_flight: dict[str, _Flight] = {}
        self._reads: dict[str, asyncio.Future[None]] = {}
        self._redis_writes: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.admission = LoadAdmission()
        self.redis = RedisLink()

    async def get_or_load(
        self, widget: Widget, params: Mapping[str, Any], *, key: str | None = None
    ) -> CachedResult:
        """The widget's value for ``params``: from the cache when fresh, else loaded once for everyone.

        ``key`` is ``cache_key(widget, params)``, for a caller that keeps it. Raises
        ``Overloaded`` when it would start a load and the process runs as many as it may.
        """
        policy = cache_policy(widget)
        self._bind_loop()
        if not is_cached(policy):
            admission = self.admission
            admission.admit()
            try:
                return self._result(await self._run_load(widget, params))
            finally:
                admission.release()
        key = key or cache_key(widget, params)
        entry, failure = self._read_local(key, policy)
        is_known_here = entry is not None or failure is not None
        if self._fresh(entry, policy) is None and is_known_here and self._joinable_flight(key) is None:
            # Redis may hold something newer. With nothing here at all, the load asks
            # Redis instead, in the round trip that takes its lock.
            entry, failure = await self._read(key, policy)
        if (fresh := self._fresh(entry, policy)) is not None:
            return self._result(fresh)
        if (recent_failure := self._recent(failure)) is not None:
            # It failed moments ago: answer with that rather than load again.
            return self._result(recent_failure, stale=entry)
        if entry is None:
            outcome = await self._wait_for(self._start_load(widget, params, key, policy, is_refresh=False))
            if isinstance(outcome, LoadFailure):
                # Served stale if Redis held a value its load could not refresh.
                return self._result(outcome, stale=self._read_local(key, policy)[0])
            return self._result(outcome)
        try:
            flight = self._start_load(widget, params, key, policy, is_refresh=True)
        except Overloaded:
            # No place for its refresh now: the stale value is served as it is.
            return self._result(failure or entry, stale=entry)
        wait = widget_settings.CACHE_REVALIDATE_WAIT
        if wait > 0:
            done, _ = await asyncio.wait({flight.task}, timeout=wait)
            if done and not flight.task.cancelled():
                return self._result(flight.task.result(), stale=entry)
        return self._result(failure or entry, stale=entry)

    def peek_many(
        self, wanted: Sequence[tuple[Widget, Mapping[str, Any], str | None]]
    ) -> list[CachedResult | None]:
        """For each (widget, parameters, key): its value if this process holds it fresh, else None.

        What ``get_or_load`` would answer at once, minus the coroutine, reading the
        settings and the clock once: a page whose every widget is fresh here can be
        rendered in one go. ``key`` is the cache key when the caller keeps it (None:
        made from the parameters).
        """
        if not widget_settings.CACHE_ENABLED:
            return [None] * len(wanted)
        now = self.clock()
        results: list[CachedResult | None] = []
        for widget, params, key in wanted:
            policy = cache_policy(widget)
            key = key or cache_key(widget, params)
            slot = self._slots.get(key) if policy.fresh_seconds > 0 else None
            entry = slot.entry if slot is not None else None
            if entry is None or now - entry.stored_at >= policy.fresh_seconds:
                results.append(None)
                continue
            self._slots.move_to_end(key)
            results.append(CachedResult(entry.value, entry.loaded_at, max(0.0, now - entry.stored_at)))
        return results

    async def wait_for_loads(self) -> None:
        """Wait until every load in flight, background refreshes included, has finished and been stored."""
        while self._in_flight or self._redis_writes:
            await asyncio.gather(
                *(flight.task for flight in self._in_flight.values()),
                *self._redis_writes,
                return_exceptions=True,
            )

    async def aclose(self) -> None:
        """Cancel loads in flight, forget every value, close the Redis client (shutdown, tests)."""
        tasks = [flight.task for flight in self._in_flight.values()]
        self._in_flight.clear()
        self._reads.clear()
        if self._loop is asyncio.get_running_loop():
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            # What was loaded is stored before the client closes.
            await asyncio.gather(*self._redis_writes, return_exceptions=True)
        self._redis_writes.clear()
        self._slots.clear()
        self._slots_bytes = 0
        self.admission = LoadAdmission()  # loads of another loop, never awaited, are counted no more
        await self.redis.aclose()
        self.redis.reset()

    # Reading and storing

    def _result(self, outcome: Outcome, *, stale: CacheEntry | None = None) -> CachedResult:
        """Turn what a load gave (or a stored entry) into a result; ``stale`` is served on failure."""
        if isinstance(outcome, LoadFailure):
            if stale is None:
                failed_at = datetime.fromtimestamp(outcome.failed_at, UTC)
                return CachedResult(None, loaded_at=failed_at, errors=outcome.source_errors)
            return self._entry_result(stale, is_stale=True, errors=outcome.source_errors)
        return self._entry_result(outcome, is_stale=outcome is stale)

    def _entry_result(
        self, entry: CacheEntry, *, is_stale: bool = False, errors: list[SourceError] | None = None
    ) -> CachedResult:
        age = max(0.0, self.clock() - entry.stored_at)
        return CachedResult(entry.value, entry.loaded_at, age, is_stale, errors or [])

    async def _read(self, key: str, policy: CachePolicy) -> tuple[CacheEntry | None, LoadFailure | None]:
        """The entry (unless expired) and the failure newer than it, after reading Redis into this process.

        For a key not fresh here. Requests that need the same key from Redis at
        the same time share one read.
        """
        now = self.clock()
        client = await self.redis.client(now)
        if client is not None:
            reading = self._reads.get(key)
            if reading is None:
                reading = self._reads[key] = asyncio.ensure_future(self._read_redis(client, key, now))
                reading.add_done_callback(lambda _: self._reads.pop(key, None))
            await asyncio.shield(reading)
        return self._read_local(key, policy)

    async def _read_redis(self, client: Redis, key: str, now: float) -> None:
        """Bring what Redis holds for ``key`` into this process's slot."""
        try:
            async with client.pipeline(transaction=False) as pipe:
                pipe.get(key)
                pipe.get(f"{key}:failure")
                raw_entry, raw_failure = await pipe.execute()
        except REDIS_ERRORS as error:
            self.redis.failed(error, now)
        else:
            self.redis.succeeded()
            self._adopt(self._slot(key), _decode(raw_entry, CacheEntry), _decode(raw_failure, LoadFailure))

    def _read_local(self, key: str, policy: CachePolicy) -> tuple[CacheEntry | None, LoadFailure | None]:
        """The entry in this process (unless expired) and the failure newer than it."""
        slot = self._slot(key)
        now = self.clock()
        entry = slot.entry
        if entry is not None and now - entry.stored_at >= policy.expiry_seconds:
            entry = None
            self._hold_entry(slot, None)
        failure = slot.failure
        if failure is not None and entry is not None and failure.failed_at < entry.stored_at:
            failure = None
        return entry, failure

    def _slot(self, key: str) -> _Slot:
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot(key)
            self._resized(slot, slot.size)
        else:
            self._slots.move_to_end(key)
        return slot

    def _hold_entry(self, slot: _Slot, entry: CacheEntry | None) -> None:
        size = 0 if entry is None else estimated_bytes(entry.value)
        change = size - slot.entry_bytes
        slot.entry, slot.entry_bytes = entry, size
        self._resized(slot, change)

    def _hold_failure(self, slot: _Slot, failure: LoadFailure | None) -> None:
        size = 0 if failure is None else estimated_bytes(failure.errors)
        change = size - slot.failure_bytes
        slot.failure, slot.failure_bytes = failure, size
        self._resized(slot, change)

    def _resized(self, slot: _Slot, change: int) -> None:
        """Count ``slot``'s change in size, then forget the least recently used slots while over a bound.

        ``WIDGETS_CACHE_MAX_ENTRIES`` and ``WIDGETS_CACHE_MAX_BYTES``: the slot just used goes last,
        so it is forgotten only when it alone is over the bytes bound (a caller still holding it
        uses its value once; the process keeps none).
        """
        if self._slots.get(slot.key) is not slot:
            return  # forgotten already: it counts no more
        self._slots_bytes += change
        max_entries, max_bytes = widget_settings.CACHE_MAX_ENTRIES, widget_settings.CACHE_MAX_BYTES
        while self._slots and (len(self._slots) > max_entries or self._slots_bytes > max_bytes):
            _, forgotten = self._slots.popitem(last=False)
            self._slots_bytes -= forgotten.size

    def _adopt(self, slot: _Slot, entry: CacheEntry | None, failure: LoadFailure | None) -> None:
        """Keep the newer of what this process has and what Redis has."""
        if entry is not None and (slot.entry is None or entry.stored_at > slot.entry.stored_at):
            self._hold_entry(slot, entry)
        if failure is not None and (slot.failure is None or failure.failed_at > slot.failure.failed_at):
            self._hold_failure(slot, failure)

    def _fresh(self, entry: CacheEntry | None, policy: CachePolicy) -> CacheEntry | None:
        return entry if entry is not None and self.clock() - entry.stored_at < policy.fresh_seconds else None

    def _recent(self, failure: LoadFailure | None) -> LoadFailure | None:
        """``failure``, if it is recent enough to answer with instead of loading again."""
        is_recent = (
            failure is not None and self.clock() - failure.failed_at < widget_settings.CACHE_ERROR_SECONDS
        )
        return failure if is_recent else None

    def _store_local(self, key: str, outcome: Outcome) -> None:
        slot = self._slot(key)
        if isinstance(outcome, CacheEntry):
            self._hold_failure(slot, None)
            self._hold_entry(slot, outcome)
        else:
            self._hold_failure(slot, outcome)

    async def _publish(
        self,
        client: Redis,
        widget_name: str,
        key: str,
        outcome: Outcome,
        policy: CachePolicy,
        lock: tuple[str, str] | None,
    ) -> None:
        """Store ``outcome`` in Redis and release ``lock`` (key, token), in one round trip."""
        try:
            data: bytes | None = codec.dumps(outcome)
        except codec.CodecError as error:
            _warn_once(
                ("cannot encode", widget_name, str(error)),
                "Widget cache: the value of widget %s holds what Redis cannot store (%s); "
                "it is cached in each process only",
                widget_name,
                error,
            )
            data = None
        expiry_ms = max(1, round(policy.expiry_seconds * 1000))
        try:
            async with client.pipeline(transaction=False) as pipe:
                if data is not None and isinstance(outcome, CacheEntry):
                    pipe.set(key, data, px=expiry_ms)
                    pipe.delete(f"{key}:failure")
                elif data is not None:
                    error_ms = round(widget_settings.CACHE_ERROR_SECONDS * 1000)
                    pipe.set(f"{key}:failure", data, px=max(expiry_ms, error_ms, 1))
                if lock is not None:
                    # After the value, in the same round trip: whoever sees the lock gone finds the value.
                    pipe.eval(RELEASE_LOCK, 1, *lock)
                await pipe.execute()
        except REDIS_ERRORS as error:
            # A lock not released expires on its own.
            self.redis.failed(error, self.clock())

    def _in_background(self, redis_write: Coroutine[Any, Any, None]) -> None:
        """Run a Redis write once the requests waiting here are answered; ``wait_for_loads`` waits for it."""
        task = asyncio.create_task(redis_write)
        self._redis_writes.add(task)
        task.add_done_callback(self._redis_writes.discard)

    # Loading

    def _bind_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # Tasks of another (finished) loop cannot be awaited here, nor will they end and be counted out.
            self._loop, self._in_flight, self._reads, self._redis_writes = loop, {}, {}, set()
            self.admission = LoadAdmission()

    def _joinable_flight(self, key: str) -> _Flight | None:
        """The load of ``key`` in flight here, unless it is being cancelled (everyone waiting left)."""
        flight = self._in_flight.get(key)
        return flight if flight is not None and not flight.task.cancelling() else None

    def _start_load(
        self, widget: Widget, params: Mapping[str, Any], key: str, policy: CachePolicy, *, is_refresh: bool
    ) -> _Flight:
        """Join the load of ``key`` in flight in this process, or start it if admitted (else ``Overloaded``).

        A place is taken per load started, and given back when its task ends.
        """
        flight = self._joinable_flight(key)
        if flight is None:
            admission = self.admission
            admission.admit()
            # A refresh outlives the request that started it: give it a context of its own.
            context = contextvars.Context() if is_refresh else None
            load = self._load_in_flight(widget, params, key, policy, in_own_context=is_refresh)
            task = asyncio.create_task(load, context=context)
            # Given back however the task ends, even cancelled before its first step.
            task.add_done_callback(lambda _: admission.release())
            flight = self._in_flight[key] = _Flight(task, is_refresh)
            return flight
        load_prepared()  # the flight sends what it sends; this request sends nothing
        if is_refresh:
            flight.is_refresh = True
        return flight

    async def _wait_for(self, flight: _Flight) -> Outcome:
        flight.waiters += 1
        try:
            return await asyncio.shield(flight.task)
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.is_refresh and not flight.task.done():
                # Nobody wants this load any more: stop it rather than load what nobody will see.
                flight.task.cancel()

    async def _load_in_flight(
        self,
        widget: Widget,
        params: Mapping[str, Any],
        key: str,
        policy: CachePolicy,
        *,
        in_own_context: bool,
    ) -> Outcome:
        try:
            with pending_sends.loading():  # its upstream requests go out before ORM threads start
                if in_own_context:
                    async with ThreadSensitiveContext():
                        return await self._load_shared(widget, params, key, policy)
                return await self._load_shared(widget, params, key, policy)
        except Exception:
            logger.exception("Widget cache: loading %s failed", key)
            return LoadFailure.of([SourceError(widget.name, "internal error while loading")], self.clock())
        finally:
            flight = self._in_flight.get(key)
            if flight is not None and flight.task is asyncio.current_task():
                del self._in_flight[key]

    async def _load_shared(
        self, widget: Widget, params: Mapping[str, Any], key: str, policy: CachePolicy
    ) -> Outcome:
        """Load once across processes: the holder of the Redis lock loads, the others wait for its value."""
        client = await self.redis.client(self.clock())
        if client is None:
            return await self._load_and_store(None, widget, params, key, policy)
        lock_key = f"{key}:lock"
        for _ in range(LOCK_ATTEMPTS):
            token = secrets.token_hex(16)
            try:
                is_holder = await self._lock_and_read(client, key, lock_key, token)
            except REDIS_ERRORS as error:
                self.redis.failed(error, self.clock())
                return await self._load_and_store(None, widget, params, key, policy)
            entry, failure = self._read_local(key, policy)
            known = self._fresh(entry, policy) or self._recent(failure)
            if known is not None:
                # Redis had it (another process stored it before our lock, or this process saw nothing yet).
                if is_holder:
                    self._in_background(self._release(lock_key, token))
                return known
            if is_holder:
                return await self._load_and_store(client, widget, params, key, policy, lock=(lock_key, token))
            load_prepared()  # another process loads: nothing to send from here soon
            outcome = await self._wait_for_holder(client, key, lock_key, policy)
            if outcome is not None:
                return outcome
            if await self.redis.client(self.clock()) is None:
                break
        return await self._load_and_store(await self.redis.client(self.clock()), widget, params, key, policy)

    async def _lock_and_read(self, client: Redis, key: str, lock_key: str, token: str) -> bool:
        """Try to take the lock and read the key again, in one round trip; whether we hold the lock."""
        lock_ms = max(1, round(widget_settings.CACHE_LOCK_SECONDS * 1000))
        async with client.pipeline(transaction=False) as pipe:
            pipe.set(lock_key, token, nx=True, px=lock_ms)
            pipe.get(key)
            pipe.get(f"{key}:failure")
            is_holder, raw_entry, raw_failure = await pipe.execute()
        self.redis.succeeded()
        self._adopt(self._slot(key), _decode(raw_entry, CacheEntry), _decode(raw_failure, LoadFailure))
        return bool(is_holder)

    async def _wait_for_holder(
        self, client: Redis, key: str, lock_key: str, policy: CachePolicy
    ) -> Outcome | None:
        """Poll for the value the lock holder stores; None once its lock is gone without one."""
        # The lock expires by then at the latest, even if its holder crashed.
        deadline = time.monotonic() + widget_settings.CACHE_LOCK_SECONDS + 1.0
        while time.monotonic() < deadline:
            await asyncio.sleep(LOCK_POLL_SECONDS)
            try:
                async with client.pipeline(transaction=False) as pipe:
                    pipe.get(key)
                    pipe.get(f"{key}:failure")
                    pipe.exists(lock_key)
                    raw_entry, raw_failure, is_locked = await pipe.execute()
            except REDIS_ERRORS as error:
                self.redis.failed(error, self.clock())
                return None
            slot = self._slot(key)
            self._adopt(slot, _decode(raw_entry, CacheEntry), _decode(raw_failure, LoadFailure))
            fresh = self._fresh(slot.entry, policy)
            if fresh is not None:
                return fresh
            if not is_locked:
                failure = slot.failure
                is_recent = failure is not None and (
                    self.clock() - failure.failed_at < widget_settings.CACHE_ERROR_SECONDS
                )
                return failure if is_recent else None
        return None

    async def _release(self, lock_key: str, token: str) -> None:
        try:
            await self.redis.release(lock_key, token)
        except REDIS_ERRORS as error:
            # The lock expires on its own.
            self.redis.failed(error, self.clock())

    async def _load_and_store(
        self,
        client: Redis | None,
        widget: Widget,
        params: Mapping[str, Any],
        key: str,
        policy: CachePolicy,
        *,
        lock: tuple[str, str] | None = None,
    ) -> Outcome:
        """Load, keep the outcome here, and publish it to Redis (releasing ``lock``) in the background."""
        try:
            outcome = await self._run_load(widget, params)
        except BaseException:
            if client is not None and lock is not None:
                await asyncio.shield(self._release(*lock))
            raise
        self._store_local(key, outcome)
        if client is not None:
            self._in_background(self._publish(client, widget.name, key, outcome, policy, lock))
        return outcome

    async def _run_load(self, widget: Widget, params: Mapping[str, Any]) -> Outcome:
        try:
            value = await widget.load(params)
        except SourcesFailed as failed:
            return LoadFailure.of(failed.errors, self.clock())
        except Exception:
            # A bug in one widget must not break the page: log it, show the error state.
            logger.exception("Widget %s failed outside its sources", widget.name)
            return LoadFailure.of([SourceError(widget.name, "internal error while loading")], self.clock())
        return CacheEntry(value, self.clock())


def _decode[T: Outcome](data: bytes | None, kind: type[T]) -> T | None:
    """What Redis holds, as a ``kind``; None, with a warning once per cause, when it is not one."""
    if data is None:
        return None
    try:
        outcome = codec.loads(data, kind)
        _check_shape(outcome)
    except codec.CodecError as error:
        # Written by another version of the code, most likely, or not by this code at all: a miss.
        _warn_once(
            ("cannot decode", str(error)),
            "Widget cache: ignoring a value Redis holds that cannot be read (%s)",
            error,
        )
        return None
    return outcome


def _check_shape(outcome: Outcome) -> None:
    """Raise ``CodecError`` unless ``outcome``'s fields have the types the cache relies on.

    Decoding gave them whatever Redis held, whatever their annotations say.
    """
    if isinstance(outcome, CacheEntry):
        is_well_formed = type(outcome.value) is dict and _is_time(outcome.stored_at)
    else:
        is_well_formed = _is_time(outcome.failed_at) and _is_error_pairs(outcome.errors)
    if not is_well_formed:
        raise codec.CodecError(f"a {type(outcome).__name__} of another shape")


def _is_time(value: object) -> bool:
    return type(value) is float or type(value) is int


def _is_error_pairs(errors: object) -> bool:
    """Whether ``errors`` is a tuple of (source, reason) pairs of strings."""
    return type(errors) is tuple and all(
        type(error) is tuple and len(error) == 2 and all(type(part) is str for part in error)
        for error in errors
    )


def estimated_bytes(value: object) -> int:
    """About the memory ``value`` takes, for the store's bytes bound (``WIDGETS_CACHE_MAX_BYTES``).

    ``OBJECT_BYTES`` per object, text its length more, and ``REFERENCE_BYTES`` per
    item of a list, tuple or set (three per item of a dict or field of a dataclass).
    It walks the containers and dataclasses of a value once, when the value is
    stored (never on a read); other objects count as small ones, and a container
    met again counts once.
    """
    total = 0
    walked: set[int] = set()
    pending = [value]
    while pending:
        item = pending.pop()
        total += OBJECT_BYTES
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, int | float) or item is None or id(item) in walked:
            continue
        elif isinstance(item, Mapping):
            walked.add(id(item))
            total += 3 * REFERENCE_BYTES * len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            walked.add(id(item))
            total += REFERENCE_BYTES * len(item)
            pending.extend(item)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            walked.add(id(item))
            fields = dataclasses.fields(item)
            total += 3 * REFERENCE_BYTES * len(fields)
            pending.extend(getattr(item, field.name) for field in fields)
    return total


# The causes already logged: a bad value read on every request warns once.
_warned: LruMemo[tuple[str, ...], bool] = LruMemo(
    name="cache.warnings", max_entries=256, max_bytes=256 * 1024
)


def _warn_once(cause: tuple[str, ...], message: str, *args: object) -> None:
    if _warned.get(cause):
        return
    _warned.put(cause, True)
    logger.warning(message, *args)


widget_cache = WidgetCache()


async def get_or_load(widget: Widget, params: Mapping[str, Any], *, key: str | None = None) -> CachedResult:
    """The widget's value for ``params``, fresh or stale from the cache, or loaded (once) now."""
    return await widget_cache.get_or_load(widget, params, key=key)


def peek_many(wanted: Sequence[tuple[Widget, Mapping[str, Any], str | None]]) -> list[CachedResult | None]:
    """Each value this process holds fresh, at once, else None (see ``WidgetCache.peek_many``)."""
    return widget_cache.peek_many(wanted)


async def aclose_cache() -> None:
    """Close the cache's Redis client and forget its state (ASGI lifespan shutdown, tests)."""
    await widget_cache.aclose()
