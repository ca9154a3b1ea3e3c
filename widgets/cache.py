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
through Redis (``redis.asyncio``, pickled, expiring after fresh + stale
seconds), and concurrent loads of one key share one load across processes
through a Redis lock: a key the process holds nothing for is read in the
round trip that takes the lock, and the lock is released in the round trip
that stores the value, after the process's own requests have their answer.
Within a process, concurrent loads of one key share one task. When Redis
fails the cache logs it (at most once a minute), carries on in-process, and
tries Redis again after a short cool-down.
"""

import asyncio
import contextvars
import functools
import hashlib
import json
import logging
import pickle
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from asgiref.sync import ThreadSensitiveContext
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from widgets.base import Widget
from widgets.conf import widget_settings
from widgets.memo import LruMemo
from widgets.send_first import load_prepared, pending_sends
from widgets.sources import SourceError, SourcesFailed

logger = logging.getLogger(__name__)

# Part of every key: bump it when what is stored changes shape.
KEY_FORMAT_VERSION = 1
# How often a request waiting for another process's load looks for its value.
LOCK_POLL_SECONDS = 0.025
# A waiter whose loader vanished without a value tries to take the lock this often before loading anyway.
LOCK_ATTEMPTS = 3
# After a Redis failure: how long to use only the in-process store, and how often to say so in the log.
REDIS_RETRY_SECONDS = 5.0
REDIS_WARNING_INTERVAL = 60.0
# Deletes the lock only if it still holds our token: an expired lock may be someone else's by now.
RELEASE_LOCK = """
if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("del", KEYS[1])
end
return 0
"""
REDIS_ERRORS = (RedisError, OSError)


def cache_key(widget: Widget, params: Mapping[str, Any]) -> str:
    """The key of ``widget``'s value for ``params``: the only place keys are built.

    ``<prefix>:v<format>:<widget name>:<hash>``, the hash over the cleaned
    parameters sorted by name, so their order never matters.
    """
    prefix = widget_settings.CACHE_KEY_PREFIX
    try:
        # Types too: 1, 1.0 and True are equal and hash alike, but are three keys.
        memo_key = (
            prefix,
            widget.name,
            tuple((name, type(value), value) for name, value in sorted(params.items())),
        )
        hash(memo_key)
    except TypeError:  # a list from a multiple-choice field, say: build it every time
        return _build_cache_key(prefix, widget.name, params)
    return _cache_keys.get_or_make(memo_key, lambda: _build_cache_key(prefix, widget.name, params))


# Every request for a widget builds its key; most ask for a few parameter combinations.
_cache_keys: LruMemo[Hashable, str] = LruMemo(max_entries=1000)


def _build_cache_key(prefix: str, widget_name: str, params: Mapping[str, Any]) -> str:
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=_canonical)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return f"{prefix}:v{KEY_FORMAT_VERSION}:{widget_name}:{digest}"


def _canonical(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(str(item) for item in value)
    if hasattr(value, "_meta") and hasattr(value, "pk"):  # a model instance from a ModelChoiceField
        return f"{value._meta.label_lower}:{value.pk}"
    return str(value)


@dataclass(frozen=True)
class CachePolicy:
    """How long a widget's value is fresh, then how long more it may be served stale."""

    fresh_seconds: float
    stale_seconds: float

    @property
    def expiry_seconds(self) -> float:
        return self.fresh_seconds + self.stale_seconds


def cache_policy(widget: Widget) -> CachePolicy:
    """The widget's ``cache_seconds`` and ``stale_seconds``, defaults applied."""
    return _policy(widget.refresh_seconds, widget.cache_seconds, widget.stale_seconds)


@functools.lru_cache(maxsize=256)
def _policy(refresh_seconds: float, cache_seconds: float | None, stale_seconds: float | None) -> CachePolicy:
    # Made once per combination: a page asks for each of its widgets' policies on every view.
    fresh = max(0, refresh_seconds if cache_seconds is None else cache_seconds)
    if stale_seconds is not None:
        return CachePolicy(fresh, max(0, stale_seconds))
    return CachePolicy(fresh, max(10 * fresh, 300) if fresh > 0 else 0)


def is_cached(policy: CachePolicy) -> bool:
    """Whether values under ``policy`` are cached at all (caching on, and fresh for some time)."""
    return widget_settings.CACHE_ENABLED and policy.fresh_seconds > 0


@dataclass(frozen=True)
class CacheEntry:
    """A loaded value and when it was loaded (seconds since the epoch, shared by every process)."""

    value: Mapping[str, Any]
    stored_at: float


@dataclass(frozen=True)
class LoadFailure:
    """A failed load: which sources failed and why. Kept as plain pairs, so it pickles."""

    errors: tuple[tuple[str, str], ...]
    failed_at: float

    @classmethod
    def of(cls, errors: list[SourceError], failed_at: float) -> "LoadFailure":
        return cls(tuple((error.source, error.reason) for error in errors), failed_at)

    @property
    def source_errors(self) -> list[SourceError]:
        return [SourceError(source, reason) for source, reason in self.errors]


type Outcome = CacheEntry | LoadFailure


@dataclass(frozen=True)
class CachedResult:
    """What ``get_or_load`` hands the view: a value, fresh or stale, or why there is none.

    ``errors`` lists the failed sources of the last load: with a value, it was
    served stale because refreshing failed; without one, the widget is in error.
    """

    value: Mapping[str, Any] | None
    # When the value was loaded; without a value, when loading failed.
    loaded_at: datetime | None = None
    age_seconds: float = 0.0
    is_stale: bool = False
    errors: list[SourceError] = field(default_factory=list)

    @property
    def state(self) -> Literal["ready", "stale", "error"]:
        if self.value is None:
            return "error"
        return "stale" if self.is_stale else "ready"


@dataclass
class _Slot:
    entry: CacheEntry | None = None
    failure: LoadFailure | None = None


@dataclass
class _Flight:
    """A load in flight in this process, shared by every request for its key.

    A request's load is cancelled when the last request waiting for it goes
    away (the browser left the page); a refresh always runs to the end.
    """

    task: "asyncio.Task[Outcome]"
    is_refresh: bool
    waiters: int = 0


class RedisLink:
    """The optional Redis client: one per event loop, set aside for a cool-down after a failure."""

    def __init__(self) -> None:
        self._client: Redis | None = None
        self._release_script: AsyncScript | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._url: str | None = None
        self._down_until = float("-inf")
        self._warned_at: float | None = None
        self._is_down = False

    async def client(self, now: float) -> Redis | None:
        """The client for the running loop, or None: Redis not configured, or cooling down."""
        url = widget_settings.REDIS_URL
        if url is None or now < self._down_until:
            return None
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop or self._url != url:
            if self._loop is loop:
                await self.aclose()
            timeout = widget_settings.REDIS_TIMEOUT
            # A bounded pool: a burst of requests waits for a connection rather than opening
            # one each. No retries: a failed command falls back to the in-process store at once.
            pool = BlockingConnectionPool.from_url(
                url,
                max_connections=widget_settings.REDIS_MAX_CONNECTIONS,
                timeout=timeout,
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
                retry=Retry(NoBackoff(), 0),
            )
            self._client = Redis.from_pool(pool)
            self._release_script = self._client.register_script(RELEASE_LOCK)
            self._loop, self._url = loop, url
        return self._client

    async def release(self, lock_key: str, token: str) -> None:
        if self._release_script is not None:
            await self._release_script(keys=[lock_key], args=[token])

    def succeeded(self) -> None:
        if self._is_down:
            self._is_down = False
            logger.info("Widget cache: Redis is reachable again")

    def failed(self, error: Exception, now: float) -> None:
        """Use only the in-process store for a while; log it, but not on every request."""
        self._down_until = now + REDIS_RETRY_SECONDS
        self._is_down = True
        if self._warned_at is None or now - self._warned_at >= REDIS_WARNING_INTERVAL:
            self._warned_at = now
            logger.warning(
                "Widget cache: Redis unavailable (%s: %s); using the in-process cache, retrying every %g s",
                type(error).__name__,
                error,
                REDIS_RETRY_SECONDS,
            )

    async def aclose(self) -> None:
        client, self._client, self._release_script = self._client, None, None
        is_same_loop = self._loop is asyncio.get_running_loop()
        self._loop = self._url = None
        if client is not None and is_same_loop:
            await client.aclose()

    def reset(self) -> None:
        self._down_until, self._warned_at, self._is_down = float("-inf"), None, False


class WidgetCache:
    """The cache of one process. ``clock`` (seconds since the epoch) can be replaced in tests."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._slots: OrderedDict[str, _Slot] = OrderedDict()
        self._in_flight: dict[str, _Flight] = {}
        self._reads: dict[str, asyncio.Future[None]] = {}
        self._redis_writes: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.redis = RedisLink()

    async def get_or_load(
        self, widget: Widget, params: Mapping[str, Any], *, key: str | None = None
    ) -> CachedResult:
        """The widget's value for ``params``: from the cache when fresh, else loaded once for everyone.

        ``key`` is ``cache_key(widget, params)``, for a caller that keeps it.
        """
        policy = cache_policy(widget)
        if not is_cached(policy):
            return self._result(await self._run_load(widget, params))
        self._bind_loop()
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
        flight = self._start_load(widget, params, key, policy, is_refresh=entry is not None)
        if entry is None:
            outcome = await self._wait_for(flight)
            if isinstance(outcome, LoadFailure):
                # Served stale if Redis held a value its load could not refresh.
                return self._result(outcome, stale=self._read_local(key, policy)[0])
            return self._result(outcome)
        wait = widget_settings.CACHE_REVALIDATE_WAIT
        if wait > 0:
            done, _ = await asyncio.wait({flight.task}, timeout=wait)
            if done and not flight.task.cancelled():
                return self._result(flight.task.result(), stale=entry)
        return self._result(failure or entry, stale=entry)

    def peek(
        self, widget: Widget, params: Mapping[str, Any], *, key: str | None = None
    ) -> CachedResult | None:
        """The value if this process holds it fresh, without waiting for anything; else None.

        What ``get_or_load`` would answer at once, minus the coroutine: a page
        whose every widget is fresh here can be rendered in one go.
        """
        policy = cache_policy(widget)
        if not is_cached(policy):
            return None
        key = key or cache_key(widget, params)
        slot = self._slots.get(key)
        fresh = self._fresh(slot.entry if slot is not None else None, policy)
        if fresh is None:
            return None
        self._slots.move_to_end(key)
        return self._entry_result(fresh)

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
        loaded_at = datetime.fromtimestamp(entry.stored_at, UTC)
        age = max(0.0, self.clock() - entry.stored_at)
        return CachedResult(entry.value, loaded_at, age, is_stale, errors or [])

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
            self._adopt(
                self._slot(key), _unpickle(raw_entry, CacheEntry), _unpickle(raw_failure, LoadFailure)
            )

    def _read_local(self, key: str, policy: CachePolicy) -> tuple[CacheEntry | None, LoadFailure | None]:
        """The entry in this process (unless expired) and the failure newer than it."""
        slot = self._slot(key)
        now = self.clock()
        entry = slot.entry
        if entry is not None and now - entry.stored_at >= policy.expiry_seconds:
            entry = slot.entry = None
        failure = slot.failure
        if failure is not None and entry is not None and failure.failed_at < entry.stored_at:
            failure = None
        return entry, failure

    def _slot(self, key: str) -> _Slot:
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot()
            while len(self._slots) > widget_settings.CACHE_MAX_ENTRIES:
                self._slots.popitem(last=False)
        else:
            self._slots.move_to_end(key)
        return slot

    @staticmethod
    def _adopt(slot: _Slot, entry: CacheEntry | None, failure: LoadFailure | None) -> None:
        """Keep the newer of what this process has and what Redis has."""
        if entry is not None and (slot.entry is None or entry.stored_at > slot.entry.stored_at):
            slot.entry = entry
        if failure is not None and (slot.failure is None or failure.failed_at > slot.failure.failed_at):
            slot.failure = failure

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
            slot.entry, slot.failure = outcome, None
        else:
            slot.failure = outcome

    async def _publish(
        self, client: Redis, key: str, outcome: Outcome, policy: CachePolicy, lock: tuple[str, str] | None
    ) -> None:
        """Store ``outcome`` in Redis and release ``lock`` (key, token), in one round trip."""
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:
            logger.warning("Widget cache: %s cannot be pickled (%s); cached in this process only", key, error)
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
            # Tasks of another (finished) loop cannot be awaited here.
            self._loop, self._in_flight, self._reads, self._redis_writes = loop, {}, {}, set()

    def _joinable_flight(self, key: str) -> _Flight | None:
        """The load of ``key`` in flight here, unless it is being cancelled (everyone waiting left)."""
        flight = self._in_flight.get(key)
        return flight if flight is not None and not flight.task.cancelling() else None

    def _start_load(
        self, widget: Widget, params: Mapping[str, Any], key: str, policy: CachePolicy, *, is_refresh: bool
    ) -> _Flight:
        """Join the load of ``key`` in flight in this process, or start it."""
        flight = self._joinable_flight(key)
        if flight is None:
            # A refresh outlives the request that started it: give it a context of its own.
            context = contextvars.Context() if is_refresh else None
            load = self._load_in_flight(widget, params, key, policy, in_own_context=is_refresh)
            flight = _Flight(asyncio.create_task(load, context=context), is_refresh)
            self._in_flight[key] = flight
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
        self._adopt(self._slot(key), _unpickle(raw_entry, CacheEntry), _unpickle(raw_failure, LoadFailure))
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
            self._adopt(slot, _unpickle(raw_entry, CacheEntry), _unpickle(raw_failure, LoadFailure))
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
            self._in_background(self._publish(client, key, outcome, policy, lock))
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


def _unpickle[T](data: bytes | None, kind: type[T]) -> T | None:
    if data is None:
        return None
    try:
        value = pickle.loads(data)
    except Exception as error:
        # Written by another version of the code, most likely: treat it as missing.
        logger.warning("Widget cache: ignoring a value Redis holds that cannot be read (%s)", error)
        return None
    return value if isinstance(value, kind) else None


widget_cache = WidgetCache()


async def get_or_load(widget: Widget, params: Mapping[str, Any], *, key: str | None = None) -> CachedResult:
    """The widget's value for ``params``, fresh or stale from the cache, or loaded (once) now."""
    return await widget_cache.get_or_load(widget, params, key=key)


def peek(widget: Widget, params: Mapping[str, Any], *, key: str | None = None) -> CachedResult | None:
    """The widget's value if this process holds it fresh, at once; else None (see ``WidgetCache.peek``)."""
    return widget_cache.peek(widget, params, key=key)


async def aclose_cache() -> None:
    """Close the cache's Redis client and forget its state (ASGI lifespan shutdown, tests)."""
    await widget_cache.aclose()
