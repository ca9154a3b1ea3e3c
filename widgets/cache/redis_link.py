"""The cache's optional Redis client, and how it steps aside when Redis fails."""

import asyncio
import logging

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from widgets.conf import widget_settings

logger = logging.getLogger("widgets.cache")

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
