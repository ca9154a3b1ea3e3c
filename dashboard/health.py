"""Liveness (``/healthz``) and readiness (``/readyz``: the database, and the Redis behind the widget cache).

``/readyz`` answers within a second whatever is down: each check runs
concurrently under its own deadline. The database is required (503 without
it); Redis is not, since each worker's widget cache falls back to its own
memory, so without it the site is ``degraded`` (200). Callers learn which part
fails and nothing more: host names, ports and exception texts go to the log.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, JsonResponse
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

logger = logging.getLogger(__name__)

# Each check's deadline, so that /readyz answers within a second whatever is down.
CHECK_SECONDS = 0.8
# libpq's shortest connect timeout; past the check's deadline, it bounds how long the thread waits.
POSTGRES_CONNECT_TIMEOUT = 2


async def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def ping_database() -> None:
    """``SELECT 1`` on a connection of the check's own, closed afterwards.

    Not the pool's: with the database down, the pool would wait its whole
    timeout for a connection, and while the pool is busy it says nothing of
    the database.
    """
    probe = connections.create_connection(DEFAULT_DB_ALIAS).copy()
    options = probe.settings_dict["OPTIONS"]
    options.pop("pool", None)
    if probe.vendor == "postgresql":
        options["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        probe.close()


async def ping_cache() -> None:
    """PING the widget cache's Redis, if there is one, on a connection of the check's own."""
    url = settings.WIDGETS_REDIS_URL
    if not url:
        return  # in-process only: nothing to reach
    # No retries: a refused connection is an answer. No socket timeouts: the check's deadline is the one.
    client = Redis.from_url(url, retry=Retry(NoBackoff(), 0))
    try:
        await client.ping()
    finally:
        await client.aclose()


async def failure_of(part: str, check: Callable[[], Awaitable[None]]) -> str | None:
    """None when ``check`` passes within its deadline; else what callers may be told."""
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            await check()
    except TimeoutError:
        logger.warning("Readiness: %s did not answer within %g s", part, CHECK_SECONDS)
        return "timed out"
    except Exception as exc:
        logger.warning("Readiness: %s unreachable (%s: %s)", part, type(exc).__name__, exc)
        return "unreachable"
    return None


async def readyz(request: HttpRequest) -> JsonResponse:
    """200 ``ok``; 200 ``degraded`` naming the cache when Redis is down; 503 when the database is."""
    checks = {
        # Not thread-sensitive: a hanging connect holds a thread of its own, not the one ORM calls share.
        "database": sync_to_async(ping_database, thread_sensitive=False),
        "cache": ping_cache,
    }
    outcomes = await asyncio.gather(*(failure_of(part, check) for part, check in checks.items()))
    failing = {part: failure for part, failure in zip(checks, outcomes, strict=True) if failure is not None}
    if "database" in failing:
        return JsonResponse({"status": "unavailable", **failing}, status=503)
    if failing:
        return JsonResponse({"status": "degraded", **failing})
    return JsonResponse({"status": "ok"})
