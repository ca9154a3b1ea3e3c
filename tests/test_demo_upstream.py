"""The demo upstream, driven in-process through httpx's ASGI transport."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from dashboard.demo_upstream import (
    COMPONENT_NAMES,
    EUR_MID_RATES,
    HOSTILE_TEXT,
    INDICATORS,
    STATUS_WINDOW_SECONDS,
    XSS_PAYLOAD,
    ASGIApp,
    Message,
    behaviour_from_env,
    create_app,
    fx_rates,
    outage_at,
    status_summary,
    wait_for_disconnect,
    with_hostile_strings,
)
from widgets.builtin.rates import RATES_SHAPE
from widgets.builtin.statuspage import SUMMARY_SHAPE

COMPONENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "position",
    "description",
    "showcase",
    "group_id",
    "page_id",
    "group",
    "only_show_if_degraded",
}
INCIDENT_KEYS = {
    "id",
    "name",
    "status",
    "impact",
    "created_at",
    "updated_at",
    "shortlink",
    "incident_updates",
}


def upstream_client(
    failure_rate: float | None = 0, latency_ms: tuple[int, int] | None = (0, 0)
) -> httpx.AsyncClient:
    app = create_app(failure_rate=failure_rate, latency_ms=latency_ms, seed=1)
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://upstream")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with upstream_client() as client:
        yield client


async def set_faults(client: httpx.AsyncClient, **modes: str) -> None:
    response = await client.post("/_control/faults", json=modes)
    assert response.status_code == 200


# FX rates


async def test_rates_default_to_eur_and_leave_out_the_base(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/latest")

    assert response.status_code == 200
    body = response.json()
    assert body["amount"] == 1.0
    assert body["base"] == "EUR"
    assert body["date"] == datetime.now(UTC).date().isoformat()
    assert set(body["rates"]) == set(EUR_MID_RATES) - {"EUR"}
    assert body["rates"]["USD"] == pytest.approx(1.08, rel=0.01)


@pytest.mark.parametrize("parameter", ["from", "base"])
async def test_rates_convert_to_another_base(client: httpx.AsyncClient, parameter: str) -> None:
    response = await client.get("/latest", params={parameter: "gbp"})

    body = response.json()
    assert body["base"] == "GBP"
    assert "GBP" not in body["rates"]
    assert body["rates"]["EUR"] == pytest.approx(1 / 0.85, rel=0.01)
    assert body["rates"]["USD"] == pytest.approx(1.08 / 0.85, rel=0.01)


async def test_rates_filtered_by_to(client: httpx.AsyncClient) -> None:
    response = await client.get("/latest", params={"from": "USD", "to": "EUR,gbp"})

    assert set(response.json()["rates"]) == {"EUR", "GBP"}


async def test_unknown_base_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/latest", params={"from": "XYZ"})

    assert response.status_code == 404
    assert response.json() == {"message": "not found"}


def test_rates_drift_from_minute_to_minute_but_not_within_one() -> None:
    start = datetime(2025, 1, 1, 12, 0, 5, tzinfo=UTC)

    assert fx_rates("EUR", start) == fx_rates("EUR", start + timedelta(seconds=50))
    assert fx_rates("EUR", start) != fx_rates("EUR", start + timedelta(minutes=1))


# Status summary


async def test_summary_has_the_statuspage_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v2/summary.json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "page",
        "status",
        "components",
        "incidents",
        "scheduled_maintenances",
    }
    assert set(body["page"]) == {"id", "name", "url", "time_zone", "updated_at"}
    assert body["page"]["name"] == "Demo Cloud"
    assert body["page"]["time_zone"] == "Etc/UTC"
    assert body["page"]["updated_at"].endswith("Z")
    assert [component["name"] for component in body["components"]] == list(COMPONENT_NAMES)
    assert all(set(component) == COMPONENT_KEYS for component in body["components"])
    assert body["scheduled_maintenances"] == []


def test_summary_indicator_follows_the_components_in_every_window() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    windows = [start + timedelta(minutes=5 * n) for n in range(400)]
    quiet = 0

    for at in windows:
        summary = status_summary(at, outage_at(at))
        unwell = [c for c in summary["components"] if c["status"] != "operational"]
        worst = unwell[0]["status"] if unwell else "operational"
        assert len(unwell) <= 1
        assert (
            summary["status"]["indicator"],
            summary["status"]["description"],
        ) == INDICATORS[worst]
        assert len(summary["incidents"]) == len(unwell)
        for incident in summary["incidents"]:
            assert set(incident) == INCIDENT_KEYS
            assert incident["impact"] == summary["status"]["indicator"]
            assert incident["status"] in {"investigating", "identified", "monitoring"}
            assert incident["incident_updates"][0]["body"]
        quiet += not unwell

    assert 0.6 * len(windows) < quiet < len(windows)


def test_outage_keeps_its_component_for_the_whole_window() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    windows = (start + timedelta(minutes=5 * n) for n in range(100))
    first_second = next(at for at in windows if outage_at(at))
    last_second = first_second + timedelta(seconds=STATUS_WINDOW_SECONDS - 1)

    early, late = outage_at(first_second), outage_at(last_second)

    assert early is not None
    assert late is not None
    assert (early.component, early.status) == (late.component, late.status)
    assert (early.incident_status, late.incident_status) == (
        "investigating",
        "monitoring",
    )


# Health checks


async def test_health_answers_ok_with_its_name(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/db")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "name": "db"}


async def test_health_down_is_always_unavailable(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/down")

    assert response.status_code == 503
    assert response.json() == {"status": "down"}


# Headers, 404 and 405


@pytest.mark.parametrize("path", ["/latest", "/api/v2/summary.json", "/health/api", "/nope"])
async def test_every_response_is_uncacheable_cors_json(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("path", ["/", "/latest/", "/health/", "/health/a/b"])
async def test_unknown_path_is_not_found(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert response.json() == {"message": "not found"}


@pytest.mark.parametrize("path", ["/latest", "/api/v2/summary.json", "/health/api"])
async def test_data_endpoints_refuse_other_methods(client: httpx.AsyncClient, path: str) -> None:
    response = await client.post(path)

    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


async def test_control_endpoints_refuse_other_methods(
    client: httpx.AsyncClient,
) -> None:
    response = await client.put("/_control/config")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


# Fault modes


async def test_timeout_fault_hangs_until_the_client_gives_up(
    client: httpx.AsyncClient,
) -> None:
    await set_faults(client, rates="timeout")

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await client.get("/latest")


async def test_hanging_response_ends_when_the_client_disconnects() -> None:
    async def disconnect() -> Message:
        return {"type": "http.disconnect"}

    assert await wait_for_disconnect(disconnect, seconds=5) is True


async def test_hanging_response_answers_after_its_wait() -> None:
    async def stay_connected() -> Message:
        await asyncio.Event().wait()
        raise AssertionError

    assert await wait_for_disconnect(stay_connected, seconds=0.01) is False


async def test_error_fault_answers_500(client: httpx.AsyncClient) -> None:
    await set_faults(client, status="error")

    response = await client.get("/api/v2/summary.json")

    assert response.status_code == 500
    assert response.json() == {"message": "internal error"}


@pytest.mark.parametrize(
    ("group", "path"),
    [("rates", "/latest"), ("status", "/api/v2/summary.json"), ("health", "/health/x")],
)
async def test_malformed_fault_answers_invalid_json(client: httpx.AsyncClient, group: str, path: str) -> None:
    await set_faults(client, **{group: "malformed"})

    response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()


async def test_wrong_shape_fault_answers_valid_json_of_another_shape(
    client: httpx.AsyncClient,
) -> None:
    await set_faults(client, rates="wrong_shape")

    response = await client.get("/latest")

    assert response.status_code == 200
    assert response.json() == [{"unexpected": True}]


async def test_html_fault_puts_script_in_every_summary_string(
    client: httpx.AsyncClient,
) -> None:
    await set_faults(client, status="html")

    body = (await client.get("/api/v2/summary.json")).json()

    assert body["page"]["name"].startswith(XSS_PAYLOAD)
    assert body["status"]["description"].startswith(XSS_PAYLOAD)
    for component in body["components"]:
        assert component["name"].startswith(XSS_PAYLOAD)
        assert component["description"].startswith(XSS_PAYLOAD)
    assert body["incidents"]
    for incident in body["incidents"]:
        assert incident["name"].startswith(XSS_PAYLOAD)
        assert incident["incident_updates"][0]["body"].startswith(XSS_PAYLOAD)
    assert body["status"]["indicator"] == "minor"


async def test_html_fault_puts_markup_in_rates(client: httpx.AsyncClient) -> None:
    await set_faults(client, rates="html")

    body = (await client.get("/latest")).json()

    assert body["base"] == "EUR"
    assert body["date"].startswith(XSS_PAYLOAD)
    assert body["rates"]["<b>XSS</b>"] == 1.0


def strings_in(data: object) -> list[str]:
    """Every string value in JSON ``data``, keys left out."""
    if isinstance(data, str):
        return [data]
    values = data.values() if isinstance(data, dict) else data if isinstance(data, list) else []
    return [string for value in values for string in strings_in(value)]


def test_hostile_strings_go_before_every_string_value_and_leave_the_rest() -> None:
    data = {"name": "API", "tags": ["a", 1, None], "ok": True, "rate": 1.5}

    assert with_hostile_strings(data) == {
        "name": HOSTILE_TEXT + "API",
        "tags": [HOSTILE_TEXT + "a", 1, None],
        "ok": True,
        "rate": 1.5,
    }


async def test_hostile_fault_puts_markup_in_every_summary_string_and_keeps_its_shape(
    client: httpx.AsyncClient,
) -> None:
    await set_faults(client, status="hostile")

    body = (await client.get("/api/v2/summary.json")).json()

    SUMMARY_SHAPE.check(body)
    assert body["incidents"]
    assert body["incidents"][0]["incident_updates"]
    assert body["status"]["indicator"] == HOSTILE_TEXT + "minor"
    assert body["components"][0]["status"] == HOSTILE_TEXT + "operational"
    assert all(string.startswith(HOSTILE_TEXT) for string in strings_in(body))


async def test_hostile_fault_puts_markup_in_rates_and_a_currency_code(client: httpx.AsyncClient) -> None:
    await set_faults(client, rates="hostile")

    body = (await client.get("/latest", params={"from": "USD"})).json()

    RATES_SHAPE.check(body)
    assert body["base"] == HOSTILE_TEXT + "USD"
    assert body["date"] == HOSTILE_TEXT + datetime.now(UTC).date().isoformat()
    assert body["rates"][HOSTILE_TEXT] == 1.0
    assert body["rates"]["EUR"] == pytest.approx(1 / 1.08, rel=0.01)


@pytest.mark.parametrize(("path", "status"), [("/health/api", 200), ("/health/down", 503)])
async def test_hostile_fault_puts_markup_in_health_answers(
    client: httpx.AsyncClient, path: str, status: int
) -> None:
    await set_faults(client, health="hostile")

    response = await client.get(path)

    assert response.status_code == status
    assert strings_in(response.json())
    assert all(string.startswith(HOSTILE_TEXT) for string in strings_in(response.json()))


async def test_fault_touches_only_its_group(client: httpx.AsyncClient) -> None:
    await set_faults(client, health="error")

    assert (await client.get("/health/api")).status_code == 500
    assert (await client.get("/latest")).status_code == 200


# Random failures


async def test_random_failures_answer_503() -> None:
    async with upstream_client(failure_rate=1.0) as client:
        for path in ("/latest", "/api/v2/summary.json", "/health/api"):
            response = await client.get(path)

            assert response.status_code == 503
            assert response.json() == {"message": "service unavailable"}


async def test_fault_modes_win_over_random_failures() -> None:
    async with upstream_client(failure_rate=1.0) as client:
        await set_faults(client, rates="error")

        assert (await client.get("/latest")).status_code == 500


async def test_environment_sets_behaviour_on_first_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with upstream_client(failure_rate=None, latency_ms=None) as client:
        monkeypatch.setenv("DEMO_UPSTREAM_FAILURE_RATE", "1")
        monkeypatch.setenv("DEMO_UPSTREAM_LATENCY_MS", "0,1")

        assert (await client.get("/latest")).status_code == 503
        config = (await client.get("/_control/config")).json()

    assert config == {"failure_rate": 1.0, "latency_ms": [0, 1]}


@pytest.mark.parametrize(
    ("environ", "failure_rate", "latency_ms"),
    [
        ({}, 0.03, (30, 250)),
        ({"DEMO_UPSTREAM_LATENCY_MS": "5"}, 0.03, (5, 5)),
        ({"DEMO_UPSTREAM_FAILURE_RATE": "0.5"}, 0.5, (30, 250)),
    ],
)
def test_behaviour_from_env_reads_defaults_and_overrides(
    environ: dict[str, str], failure_rate: float, latency_ms: tuple[int, int]
) -> None:
    behaviour = behaviour_from_env(environ)

    assert (behaviour.failure_rate, behaviour.latency_ms) == (failure_rate, latency_ms)


@pytest.mark.parametrize(
    "environ",
    [
        {"DEMO_UPSTREAM_FAILURE_RATE": "often"},
        {"DEMO_UPSTREAM_FAILURE_RATE": "2"},
        {"DEMO_UPSTREAM_LATENCY_MS": "250,30"},
    ],
)
def test_behaviour_from_env_rejects_bad_values(environ: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="DEMO_UPSTREAM_"):
        behaviour_from_env(environ)


# Control API


async def test_faults_start_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/_control/faults")

    assert response.json() == {"rates": "ok", "status": "ok", "health": "ok"}


async def test_posting_faults_changes_only_the_named_groups(
    client: httpx.AsyncClient,
) -> None:
    await set_faults(client, rates="timeout")

    response = await client.post("/_control/faults", json={"status": "error"})

    assert response.json() == {"rates": "timeout", "status": "error", "health": "ok"}


async def test_deleting_faults_resets_them(client: httpx.AsyncClient) -> None:
    await set_faults(client, rates="error", health="html")

    response = await client.delete("/_control/faults")

    assert response.json() == {"rates": "ok", "status": "ok", "health": "ok"}
    assert (await client.get("/latest")).status_code == 200


async def test_posting_reset_resets_before_applying(client: httpx.AsyncClient) -> None:
    await set_faults(client, rates="error", health="html")

    response = await client.post("/_control/faults", json={"reset": True, "status": "malformed"})

    assert response.json() == {"rates": "ok", "status": "malformed", "health": "ok"}


@pytest.mark.parametrize(
    "content",
    [
        b'{"rates": "sometimes"}',
        b'{"billing": "error"}',
        b"not json",
        b'["rates"]',
    ],
)
async def test_bad_fault_requests_are_refused_and_change_nothing(
    client: httpx.AsyncClient, content: bytes
) -> None:
    await set_faults(client, status="error")

    response = await client.post("/_control/faults", content=content)

    assert response.status_code == 400
    assert response.json()["message"]
    faults = (await client.get("/_control/faults")).json()
    assert faults == {"rates": "ok", "status": "error", "health": "ok"}


async def test_posting_config_changes_random_behaviour(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/_control/config", json={"failure_rate": 1, "latency_ms": [0, 10]})

    assert response.json() == {"failure_rate": 1.0, "latency_ms": [0, 10]}
    assert (await client.get("/health/api")).status_code == 503


@pytest.mark.parametrize(
    "config",
    [{"failure_rate": 2}, {"latency_ms": [10]}, {"latency_ms": [10, 0]}, {"x": 1}],
)
async def test_bad_config_is_refused(client: httpx.AsyncClient, config: dict[str, Any]) -> None:
    response = await client.post("/_control/config", json=config)

    assert response.status_code == 400
    current = (await client.get("/_control/config")).json()
    assert current == {"failure_rate": 0.0, "latency_ms": [0, 0]}


# Lifespan


async def run_lifespan(app: ASGIApp) -> list[Message]:
    incoming = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[Message] = []

    async def receive() -> Message:
        return next(incoming)

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, receive, send)
    return sent


async def test_lifespan_starts_and_shuts_down() -> None:
    sent = await run_lifespan(create_app(failure_rate=0, latency_ms=(0, 0)))

    assert [message["type"] for message in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]


async def test_lifespan_startup_fails_on_a_bad_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEMO_UPSTREAM_LATENCY_MS", "fast")
    app = create_app()

    sent = await run_lifespan(app)

    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "DEMO_UPSTREAM_" in sent[0]["message"]
