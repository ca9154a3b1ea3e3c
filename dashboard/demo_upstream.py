"""A fake upstream for the demo: FX rates, a status page and health checks.

It speaks Frankfurter's ``/latest`` and Atlassian Statuspage's
``/api/v2/summary.json``, answers ``/health/<name>``, and adds random latency
and occasional failures. Tests and developers switch each endpoint group into a
fault mode through ``/_control/faults``.

Run it with ``uvicorn dashboard.demo_upstream:app --port 8001``. It uses only
the standard library and never imports Django: it runs in its own process,
without Django settings, which is also why it reads its own environment.
"""

import asyncio
import json
import math
import os
import random
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Mid rates against EUR; any of these currencies can be the base of a response.
EUR_MID_RATES = {
    "EUR": 1.0,
    "USD": 1.08,
    "GBP": 0.85,
    "JPY": 162.0,
    "CHF": 0.95,
    "SEK": 11.4,
    "NOK": 11.6,
    "DKK": 7.46,
    "PLN": 4.3,
    "CAD": 1.47,
    "AUD": 1.64,
}
COMPONENT_NAMES = ("API", "Dashboard", "Webhooks", "Payments", "Search", "CDN")
FAULT_GROUPS = ("rates", "status", "health")
STATUS_WINDOW_SECONDS = 300
OUTAGE_CHANCE = 0.25
TIMEOUT_SECONDS = 30.0
XSS_PAYLOAD = '<script>window.__xss = 1</script><img src=x onerror="window.__xss=2">'
# The ``hostile`` mode puts it before every string of an answer; a page where it ran sets window.__pwned.
HOSTILE_TEXT = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'

# Statuspage derives the page indicator from the worst component status.
INDICATORS = {
    "operational": ("none", "All Systems Operational"),
    "degraded_performance": ("minor", "Partially Degraded Service"),
    "partial_outage": ("major", "Partial System Outage"),
    "major_outage": ("critical", "Major System Outage"),
}
INCIDENT_NAMES = {
    "degraded_performance": "Slow responses from {}",
    "partial_outage": "Elevated error rates on {}",
    "major_outage": "{} is unavailable",
}


class FaultMode(StrEnum):
    """How an endpoint group misbehaves, set through ``/_control/faults``."""

    OK = "ok"
    TIMEOUT = "timeout"
    ERROR = "error"
    MALFORMED = "malformed"
    WRONG_SHAPE = "wrong_shape"
    # Markup in the human-readable strings; codes and statuses stay valid.
    HTML = "html"
    # Markup in every string, codes and statuses too, and in a currency code of its own.
    HOSTILE = "hostile"


@dataclass(frozen=True)
class Behaviour:
    """The random side of the upstream: how often it fails, how slowly it answers."""

    failure_rate: float
    latency_ms: tuple[int, int]

    def __post_init__(self) -> None:
        low, high = self.latency_ms
        if not 0.0 <= self.failure_rate <= 1.0 or not 0 <= low <= high:
            message = f"need 0 <= failure_rate <= 1 and 0 <= min <= max, got {self}"
            raise ValueError(message)


@dataclass(frozen=True)
class Outage:
    """A component that is not operational, and how far its incident has got."""

    component: str
    status: str
    incident_status: str


# The outage of the status page's fault modes, which need an incident to put their strings in.
DEMO_OUTAGE = Outage("Payments", "degraded_performance", "identified")


def behaviour_from_env(
    environ: Mapping[str, str],
    failure_rate: float | None = None,
    latency_ms: tuple[int, int] | None = None,
) -> Behaviour:
    """Complete the given behaviour from ``DEMO_UPSTREAM_*`` variables."""
    try:
        if failure_rate is None:
            failure_rate = float(environ.get("DEMO_UPSTREAM_FAILURE_RATE", "0.03"))
        if latency_ms is None:
            latency = environ.get("DEMO_UPSTREAM_LATENCY_MS", "30,250")
            low, _, high = latency.partition(",")
            latency_ms = (int(low), int(high or low))
        return Behaviour(failure_rate, latency_ms)
    except ValueError as error:
        message = f"bad DEMO_UPSTREAM_* setting: {error}"
        raise ValueError(message) from None


def fx_rates(base: str, at: datetime) -> dict[str, float]:
    """Rates against ``base`` at ``at``, wobbling gently from minute to minute."""
    minute = int(at.timestamp() // 60)
    against_eur = {
        code: mid if code == "EUR" else mid * (1 + 0.003 * math.sin(minute / 5 + i))
        for i, (code, mid) in enumerate(EUR_MID_RATES.items())
    }
    return {
        code: float(f"{rate / against_eur[base]:.5g}") for code, rate in against_eur.items() if code != base
    }


def outage_at(at: datetime) -> Outage | None:
    """Say which component, if any, is unwell in the 5-minute window holding ``at``.

    The window number seeds the choice, so every process agrees on it.
    """
    window, elapsed = divmod(int(at.timestamp()), STATUS_WINDOW_SECONDS)
    chooser = random.Random(window)
    if chooser.random() >= OUTAGE_CHANCE:
        return None
    status = chooser.choices(list(INCIDENT_NAMES), weights=(6, 3, 1))[0]
    progress = ("investigating", "identified", "monitoring")
    incident_status = progress[elapsed * len(progress) // STATUS_WINDOW_SECONDS]
    return Outage(chooser.choice(COMPONENT_NAMES), status, incident_status)


def status_summary(at: datetime, outage: Outage | None) -> dict[str, Any]:
    """Build a Statuspage v2 summary where only ``outage``'s component is unwell."""
    window = int(at.timestamp()) // STATUS_WINDOW_SECONDS
    window_start = datetime.fromtimestamp(window * STATUS_WINDOW_SECONDS, UTC)
    components = [
        {
            "id": f"component-{position}",
            "name": name,
            "status": outage.status if outage and outage.component == name else "operational",
            "created_at": "2024-01-01T00:00:00.000Z",
            "updated_at": isoformat(window_start),
            "position": position,
            "description": None,
            "showcase": True,
            "group_id": None,
            "page_id": "demo-cloud",
            "group": False,
            "only_show_if_degraded": False,
        }
        for position, name in enumerate(COMPONENT_NAMES, start=1)
    ]
    indicator, description = INDICATORS[outage.status if outage else "operational"]
    incidents = [incident(outage, indicator, window_start, at)] if outage else []
    return {
        "page": {
            "id": "demo-cloud",
            "name": "Demo Cloud",
            "url": "https://status.demo-cloud.example",
            "time_zone": "Etc/UTC",
            "updated_at": isoformat(at),
        },
        "status": {"indicator": indicator, "description": description},
        "components": components,
        "incidents": incidents,
        "scheduled_maintenances": [],
    }


def incident(outage: Outage, impact: str, since: datetime, at: datetime) -> dict[str, Any]:
    """Build the Statuspage incident that reports ``outage``."""
    incident_id = f"incident-{int(since.timestamp())}"
    return {
        "id": incident_id,
        "name": INCIDENT_NAMES[outage.status].format(outage.component),
        "status": outage.incident_status,
        "impact": impact,
        "created_at": isoformat(since),
        "updated_at": isoformat(at),
        "shortlink": f"https://stspg.io/{incident_id}",
        "incident_updates": [
            {
                "id": f"{incident_id}-update",
                "status": outage.incident_status,
                "body": f"We are looking into problems with {outage.component}.",
                "created_at": isoformat(since),
            }
        ],
    }


def summary_with_markup(at: datetime) -> dict[str, Any]:
    """Build a valid summary whose every human-readable string carries XSS."""
    summary = status_summary(at, DEMO_OUTAGE)
    summary["page"]["name"] = XSS_PAYLOAD + summary["page"]["name"]
    summary["status"]["description"] = XSS_PAYLOAD + summary["status"]["description"]
    for component in summary["components"]:
        component["name"] = XSS_PAYLOAD + component["name"]
        component["description"] = XSS_PAYLOAD + "Description"
    for reported in summary["incidents"]:
        reported["name"] = XSS_PAYLOAD + reported["name"]
        for update in reported["incident_updates"]:
            update["body"] = XSS_PAYLOAD + update["body"]
    return summary


def hostile_answer(path: str, query: dict[str, list[str]]) -> tuple[int, object]:
    """Give a healthy answer for ``path`` with ``HOSTILE_TEXT`` before every string in it.

    The status page has an incident, so that its strings are there too, and
    the rates name one more currency: ``HOSTILE_TEXT`` itself.
    """
    payload: object
    if path == "/api/v2/summary.json":
        status, payload = 200, status_summary(datetime.now(UTC), DEMO_OUTAGE)
    else:
        status, payload = healthy_answer(path, query, has_markup=False)
    hostile = with_hostile_strings(payload)
    if isinstance(hostile, dict) and isinstance(hostile.get("rates"), dict):
        hostile["rates"][HOSTILE_TEXT] = 1.0
    return status, hostile


def with_hostile_strings(data: object) -> object:
    """Copy JSON ``data`` with ``HOSTILE_TEXT`` before every string value (keys stay as they are)."""
    if isinstance(data, str):
        return HOSTILE_TEXT + data
    if isinstance(data, dict):
        return {key: with_hostile_strings(value) for key, value in data.items()}
    if isinstance(data, list):
        return [with_hostile_strings(item) for item in data]
    return data


def isoformat(moment: datetime) -> str:
    """Format ``moment`` like Statuspage: UTC, milliseconds and a ``Z``."""
    utc = moment.astimezone(UTC)
    return utc.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


def endpoint_group(path: str) -> str | None:
    """Say which fault group serves ``path``, or ``None`` if none does."""
    if path == "/latest":
        return "rates"
    if path == "/api/v2/summary.json":
        return "status"
    name = path.removeprefix("/health/")
    if path.startswith("/health/") and name and "/" not in name:
        return "health"
    return None


def healthy_answer(path: str, query: dict[str, list[str]], *, has_markup: bool) -> tuple[int, object]:
    """Give the status code and payload a working upstream sends for ``path``."""
    now = datetime.now(UTC)
    if path == "/api/v2/summary.json":
        if has_markup:
            return 200, summary_with_markup(now)
        return 200, status_summary(now, outage_at(now))
    if path.startswith("/health/"):
        name = path.removeprefix("/health/")
        if name == "down":
            return 503, {"status": "down"}
        return 200, {"status": "ok", "name": XSS_PAYLOAD + name if has_markup else name}
    base = (query.get("from") or query.get("base") or ["EUR"])[0].upper()
    if base not in EUR_MID_RATES:
        return 404, {"message": "not found"}
    rates = fx_rates(base, now)
    if wanted := ",".join(query.get("to") or query.get("symbols") or []):
        codes = {code.strip().upper() for code in wanted.split(",")}
        rates = {code: rate for code, rate in rates.items() if code in codes}
    date = now.date().isoformat()
    if has_markup:
        rates["<b>XSS</b>"] = 1.0
        date = XSS_PAYLOAD + date
    return 200, {"amount": 1.0, "base": base, "date": date, "rates": rates}


class DemoUpstream:
    """The ASGI app; each instance has its own faults, behaviour and randomness."""

    def __init__(
        self,
        failure_rate: float | None,
        latency_ms: tuple[int, int] | None,
        seed: int | None,
    ) -> None:
        self._requested = (failure_rate, latency_ms)
        self._behaviour: Behaviour | None = None
        self._random = random.Random(seed)
        self.faults = dict.fromkeys(FAULT_GROUPS, FaultMode.OK)

    @property
    def behaviour(self) -> Behaviour:
        """Return the current behaviour, completed from the environment once."""
        if self._behaviour is None:
            self._behaviour = behaviour_from_env(os.environ, *self._requested)
        return self._behaviour

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        if scope["type"] == "lifespan":
            await self._run_lifespan(receive, send)
        elif scope["type"] == "http":
            await self._handle_http(scope, receive, send)

    async def _run_lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        # A bad DEMO_UPSTREAM_* value should stop uvicorn now, not fail requests.
        try:
            self.behaviour  # noqa: B018
        except ValueError as error:
            await send({"type": "lifespan.startup.failed", "message": str(error)})
            return
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})

    async def _handle_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        group = endpoint_group(path)
        if path in ("/_control/faults", "/_control/config"):
            await self._handle_control(path, method, receive, send)
        elif group is None:
            await send_json(send, 404, {"message": "not found"})
        elif method != "GET":
            await send_json(send, 405, {"message": "method not allowed"}, allow="GET")
        else:
            low, high = self.behaviour.latency_ms
            await asyncio.sleep(self._random.randint(low, high) / 1000)
            await self._serve(self.faults[group], scope, receive, send)

    async def _serve(self, mode: FaultMode, scope: Scope, receive: Receive, send: Send) -> None:
        if mode is FaultMode.TIMEOUT and await wait_for_disconnect(receive):
            return
        is_unlucky = self._random.random() < self.behaviour.failure_rate
        if mode is FaultMode.ERROR:
            await send_json(send, 500, {"message": "internal error"})
        elif mode is FaultMode.WRONG_SHAPE:
            # A list where an object belongs breaks more parsers than a stray key.
            await send_json(send, 200, [{"unexpected": True}])
        elif mode is FaultMode.OK and is_unlucky:
            await send_json(send, 503, {"message": "service unavailable"})
        else:
            query = parse_qs(scope["query_string"].decode("latin-1"))
            if mode is FaultMode.HOSTILE:
                status, payload = hostile_answer(scope["path"], query)
            else:
                status, payload = healthy_answer(scope["path"], query, has_markup=mode is FaultMode.HTML)
            body = json.dumps(payload).encode()
            if mode is FaultMode.MALFORMED:
                # No strict prefix of a JSON object is valid JSON.
                status, body = 200, body[: len(body) // 2]
            await send_body(send, status, body)

    async def _handle_control(self, path: str, method: str, receive: Receive, send: Send) -> None:
        is_faults = path == "/_control/faults"
        allowed = ("GET", "POST", "DELETE") if is_faults else ("GET", "POST")
        if method not in allowed:
            allow = ", ".join(allowed)
            await send_json(send, 405, {"message": "method not allowed"}, allow=allow)
            return
        try:
            if method == "DELETE":
                self.faults = dict.fromkeys(FAULT_GROUPS, FaultMode.OK)
            elif method == "POST" and is_faults:
                self._set_faults(await read_json(receive))
            elif method == "POST":
                self._set_behaviour(await read_json(receive))
        except (TypeError, ValueError) as error:
            await send_json(send, 400, {"message": str(error)})
            return
        current = self.faults if is_faults else asdict(self.behaviour)
        await send_json(send, 200, current)

    def _set_faults(self, changes: dict[str, Any]) -> None:
        is_reset = changes.pop("reset", False)
        if unknown := changes.keys() - set(FAULT_GROUPS):
            message = f"unknown endpoint groups {sorted(unknown)}"
            raise ValueError(message)
        modes = {group: FaultMode(mode) for group, mode in changes.items()}
        reset = dict.fromkeys(FAULT_GROUPS, FaultMode.OK)
        self.faults = (reset if is_reset else self.faults) | modes

    def _set_behaviour(self, changes: dict[str, Any]) -> None:
        failure_rate = changes.pop("failure_rate", self.behaviour.failure_rate)
        low, high = changes.pop("latency_ms", self.behaviour.latency_ms)
        if changes:
            message = f"unknown settings {sorted(changes)}"
            raise ValueError(message)
        self._behaviour = Behaviour(float(failure_rate), (int(low), int(high)))


async def wait_for_disconnect(receive: Receive, seconds: float = TIMEOUT_SECONDS) -> bool:
    """Wait up to ``seconds`` for the client to leave; say whether it did.

    uvicorn does not cancel an app whose client has gone, so a hanging
    response watches for the disconnect itself instead of holding on.
    """
    try:
        async with asyncio.timeout(seconds):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        return False
    return True


async def read_json(receive: Receive) -> dict[str, Any]:
    """Read the request body as a JSON object; an empty body counts as ``{}``."""
    body = b""
    more_body = True
    while more_body:
        message = await receive()
        body += message.get("body", b"")
        more_body = message.get("more_body", False)
    try:
        payload = json.loads(body or b"{}")
    except json.JSONDecodeError as error:
        reason = f"body is not JSON: {error}"
        raise ValueError(reason) from None
    if not isinstance(payload, dict):
        reason = "body must be a JSON object"
        raise TypeError(reason)
    return payload


async def send_json(send: Send, status: int, payload: object, allow: str | None = None) -> None:
    """Answer with ``payload`` encoded as JSON."""
    await send_body(send, status, json.dumps(payload).encode(), allow)


async def send_body(send: Send, status: int, body: bytes, allow: str | None = None) -> None:
    """Answer with ``body`` as uncacheable JSON, readable from any origin."""
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        (b"access-control-allow-origin", b"*"),
    ]
    if allow:
        headers.append((b"allow", allow.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app(
    failure_rate: float | None = None,
    latency_ms: tuple[int, int] | None = None,
    seed: int | None = None,
) -> ASGIApp:
    """Build a demo upstream with its own faults and randomness.

    Arguments left as ``None`` come from ``DEMO_UPSTREAM_FAILURE_RATE`` (default
    0.03) and ``DEMO_UPSTREAM_LATENCY_MS`` (``"min,max"``, default ``"30,250"``),
    read at startup or on the first request rather than here, so creating the
    app never fails. ``seed`` makes latency and random failures repeatable.
    """
    return DemoUpstream(failure_rate, latency_ms, seed)


app = create_app()
