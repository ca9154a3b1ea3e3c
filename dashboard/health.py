"""Liveness (``/healthz``) and readiness (``/readyz``: database and cache reachable)."""

import logging
import uuid

from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)


async def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def ping_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


async def ping_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    await cache.aset(key, "1", timeout=5)
    if await cache.aget(key) != "1":
        raise RuntimeError("value written was not read back")
    await cache.adelete(key)


async def readyz(request: HttpRequest) -> JsonResponse:
    """200 when every dependency answers; 503 naming each one that does not."""
    failures: dict[str, str] = {}
    checks = (("database", sync_to_async(ping_database)), ("cache", ping_cache))
    for part, check in checks:
        try:
            await check()
        except Exception as exc:
            logger.warning("Readiness check failed for %s: %s", part, exc)
            failures[part] = f"{type(exc).__name__}: {exc}".strip()[:200]
    if failures:
        return JsonResponse({"status": "unavailable", "failing": failures}, status=503)
    return JsonResponse({"status": "ok"})
