"""The counting upstream: a raw ASGI app that answers after a fixed delay and counts requests per path.

It speaks Frankfurter's ``/latest`` and Statuspage's ``/api/v2/summary.json``
under any path prefix (each bench widget has its own, so each source is
counted on its own), and ``/health/<name>``. ``GET /_counts`` returns the
counts; ``DELETE /_counts`` resets them. ``BENCH_UPSTREAM_DELAY_MS`` (default
200) is the delay of every counted answer.

Run it with ``uvicorn bench.upstream:app``. Standard library only, no Django.
"""

import asyncio
import json
import os
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

EUR_RATES = {"USD": 1.08, "GBP": 0.85, "JPY": 162.0, "CHF": 0.95}
COMPONENTS = ("API", "Dashboard", "Webhooks")


def rates_answer() -> dict[str, Any]:
    return {"amount": 1.0, "base": "EUR", "date": datetime.now(UTC).date().isoformat(), "rates": EUR_RATES}


def status_answer() -> dict[str, Any]:
    return {
        "page": {"id": "bench", "name": "Bench Cloud"},
        "status": {"indicator": "none", "description": "All Systems Operational"},
        "components": [{"name": name, "status": "operational", "group": False} for name in COMPONENTS],
        "incidents": [],
    }


def answer_for(path: str) -> dict[str, Any] | None:
    if path.endswith("/latest"):
        return rates_answer()
    if path.endswith("/api/v2/summary.json"):
        return status_answer()
    if "/health/" in path:
        return {"status": "ok"}
    return None


class CountingUpstream:
    """Counts every answerable request by path, then answers it after ``delay_seconds``."""

    def __init__(self, delay_seconds: float) -> None:
        self.delay_seconds = delay_seconds
        self.counts: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/_counts":
            if scope["method"] == "DELETE":
                self.counts.clear()
            await send_json(send, 200, {"counts": dict(self.counts), "total": self.counts.total()})
            return
        payload = answer_for(path)
        if payload is None:
            await send_json(send, 404, {"message": "not found"})
            return
        self.counts[path] += 1
        await asyncio.sleep(self.delay_seconds)
        await send_json(send, 200, payload)


async def send_json(send: Send, status: int, payload: object) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


app = CountingUpstream(int(os.environ.get("BENCH_UPSTREAM_DELAY_MS", "200")) / 1000)
