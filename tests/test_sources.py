import asyncio
import logging
import re
import socket
import sqlite3

import httpx
import psycopg
import pytest
from django.db import InterfaceError, OperationalError
from django.db.utils import ConnectionHandler
from django.test import override_settings

from widgets.sources import (
    Source,
    SourceError,
    SourcesFailed,
    UpstreamError,
    gather_sources,
    http_json,
    run_source,
    settle_sources,
)
from widgets.sources.shapes import NUMBER, obj
from widgets.sources.timing import collect_timings, server_timing_header

URL = "https://upstream.example/latest"


def returning(value):
    async def load():
        return value

    return load


def raising(exception):
    async def load():
        raise exception

    return load


async def never_finishes():
    await asyncio.sleep(5)  # bounded, so a broken deadline fails the test instead of hanging it


async def reason_of(source):
    result = await run_source(source)
    assert result.error is not None
    assert result.error.source == source.name
    return result.error.reason


async def test_gather_returns_values_by_name():
    values = await gather_sources(Source("a", returning(1)), Source("b", returning("two")))
    assert values == {"a": 1, "b": "two"}


async def test_sources_run_concurrently():
    started = asyncio.Event()

    async def wait_for_partner():
        await started.wait()
        return "waited"

    async def start_partner():
        started.set()
        return "started"

    # Run one after the other, the first source would wait forever and time out.
    values = await gather_sources(
        Source("waiter", wait_for_partner, deadline=1), Source("starter", start_partner)
    )
    assert values == {"waiter": "waited", "starter": "started"}


async def test_source_past_its_deadline_times_out():
    reason = await reason_of(Source("slow", never_finishes, deadline=0.05))
    assert reason == "timed out after 0.05 s"


@override_settings(WIDGETS_SOURCE_TIMEOUT=0.05)
async def test_default_deadline_comes_from_settings():
    assert Source("any", returning(1)).timeout == 0.05
    assert await reason_of(Source("slow", never_finishes)) == "timed out after 0.05 s"


async def test_slow_source_does_not_hold_back_the_others():
    results = await settle_sources(
        Source("fast", returning(42)), Source("slow", never_finishes, deadline=0.05)
    )
    assert results["fast"].is_ok
    assert results["fast"].value == 42
    assert not results["slow"].is_ok
    assert results["slow"].error.reason.startswith("timed out after")


async def test_gather_raises_sources_failed_naming_every_failed_source():
    with pytest.raises(SourcesFailed) as failed:
        await gather_sources(
            Source("ok", returning(1)),
            Source("rates", raising(UpstreamError("no rate for XYZ"))),
            Source("slow", never_finishes, deadline=0.01),
        )
    errors = {error.source: error.reason for error in failed.value.errors}
    assert errors == {"rates": "no rate for XYZ", "slow": "timed out after 0.01 s"}


def test_error_names_source_and_reason():
    error = SourceError("rates", "upstream answered HTTP 500")
    assert str(error) == "rates: upstream answered HTTP 500"


async def test_duplicate_source_names_are_rejected():
    with pytest.raises(ValueError, match="source names must be unique"):
        await settle_sources(Source("a", returning(1)), Source("a", returning(2)))


async def test_http_json_returns_the_answer(respx_mock):
    respx_mock.get(URL, params={"from": "EUR"}).respond(json={"rates": {"USD": 1.08}})
    source = http_json("rates", URL, params={"from": "EUR"}, shape=obj({"rates": obj(values=NUMBER)}))
    assert (await run_source(source)).value == {"rates": {"USD": 1.08}}


async def test_http_error_status_is_reported(respx_mock):
    respx_mock.get(URL).respond(500)
    assert await reason_of(http_json("rates", URL)) == "upstream answered HTTP 500"


async def test_answer_that_is_not_json_is_reported(respx_mock):
    respx_mock.get(URL).respond(200, html="<html>Maintenance</html>")
    assert await reason_of(http_json("rates", URL)) == "upstream answered something that is not JSON"


async def test_answer_of_the_wrong_shape_is_reported_with_its_path(respx_mock):
    respx_mock.get(URL).respond(json={"rates": {"USD": "1.08"}})
    reason = await reason_of(http_json("rates", URL, shape=obj({"rates": obj(values=NUMBER)})))
    assert reason == "unexpected response shape: $.rates.USD should be number, got string"


async def test_connection_error_is_reported(respx_mock):
    respx_mock.get(URL).mock(side_effect=httpx.ConnectError("refused"))
    assert await reason_of(http_json("rates", URL)) == "could not reach upstream (ConnectError)"


async def test_httpx_timeout_is_reported(respx_mock):
    respx_mock.get(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    assert await reason_of(http_json("rates", URL)) == "upstream timed out"


async def test_unexpected_exception_is_an_internal_error_and_logged(caplog):
    with caplog.at_level(logging.ERROR, logger="widgets.sources"):
        reason = await reason_of(Source("broken", raising(KeyError("secret detail"))))
    assert reason == "internal error while loading"
    assert "secret detail" not in reason
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == "Source broken failed"
    assert record.exc_info[0] is KeyError


async def test_database_error_is_reported():
    reason = await reason_of(Source("orders", raising(OperationalError("database is locked"))))
    assert reason == "database error (OperationalError)"


async def test_timings_are_recorded_for_every_source():
    with collect_timings() as timings:
        await settle_sources(Source("fast", returning(1)), Source("broken", raising(UpstreamError("no"))))
    by_name = {timing.name: timing for timing in timings}
    assert set(by_name) == {"fast", "broken"}
    assert by_name["fast"].is_ok
    assert not by_name["broken"].is_ok
    assert all(timing.duration_ms >= 0 for timing in timings)


async def test_timed_out_source_is_recorded_as_failed():
    with collect_timings() as timings:
        await run_source(Source("slow", never_finishes, deadline=0.01))
    [timing] = timings
    assert (timing.name, timing.is_ok) == ("slow", False)


# Sources are named by their names, never by their URLs, which may hold tokens.

SECRET_URL = "http://127.0.0.1:9/x?token=secret"


def shows_no_url(text):
    return "secret" not in text and "token" not in text and "127.0.0.1" not in text and "/x" not in text


@pytest.mark.parametrize(
    ("exception", "reason"),
    [
        (httpx.ConnectError, "could not reach upstream (ConnectError)"),
        (httpx.UnsupportedProtocol, "could not reach upstream (UnsupportedProtocol)"),
        (httpx.RemoteProtocolError, "could not reach upstream (RemoteProtocolError)"),
        (httpx.ReadTimeout, "upstream timed out"),
    ],
)
async def test_reason_and_log_never_show_the_url_an_httpx_error_names(respx_mock, caplog, exception, reason):
    respx_mock.get(SECRET_URL).mock(side_effect=exception(f"failed on {SECRET_URL}"))
    with caplog.at_level(logging.DEBUG, logger="widgets"):
        assert await reason_of(http_json("rates", SECRET_URL)) == reason
    assert caplog.records
    assert all(shows_no_url(record.getMessage()) and record.exc_info is None for record in caplog.records)


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_a_refused_connection_is_reported_by_name_without_the_url(caplog):
    url = f"http://127.0.0.1:{closed_port()}/x?token=secret"
    with collect_timings() as timings, caplog.at_level(logging.DEBUG, logger="widgets"):
        result = await run_source(http_json("rates", url))
    assert (result.error.source, result.error.reason) == ("rates", "could not reach upstream (ConnectError)")
    assert shows_no_url(str(result.error))
    assert re.fullmatch(r'rates;dur=[0-9.]+;desc="failed"', server_timing_header(timings))
    assert all(shows_no_url(record.getMessage()) for record in caplog.records)


async def test_an_invalid_url_is_reported_without_it_and_without_a_traceback(caplog):
    with caplog.at_level(logging.DEBUG, logger="widgets"):
        reason = await reason_of(http_json("rates", "http://127.0.0.1:9/x?token=secret\n"))
    assert reason == "invalid upstream URL"
    assert all(shows_no_url(record.getMessage()) and record.exc_info is None for record in caplog.records)


# A database that cannot be reached, told apart from a query that failed

POSTGRES = {
    "ENGINE": "django.db.backends.postgresql",
    "HOST": "127.0.0.1",
    "NAME": "test",
    "USER": "postgres",
}


def connecting_to(settings_dict, django_db_blocker):
    """A source that connects to the database ``settings_dict`` describes, on a thread as the ORM would."""

    def connect():
        # Under an alias of its own: a pool is kept per alias, and "default" may have one already.
        handler = ConnectionHandler({"default": {}, "probed": settings_dict})
        try:
            with django_db_blocker.unblock():
                handler["probed"].ensure_connection()
        finally:
            if handler["probed"].vendor == "postgresql":
                handler["probed"].close_pool()
            handler.close_all()

    return Source("orders", lambda: asyncio.to_thread(connect))


@pytest.mark.parametrize(
    "settings_dict",
    [
        pytest.param(lambda port, tmp_path: {**POSTGRES, "PORT": port}, id="postgresql-refused"),
        pytest.param(
            lambda port, tmp_path: {**POSTGRES, "PORT": port, "OPTIONS": {"pool": {"timeout": 0.2}}},
            id="postgresql-pool-timeout",
        ),
        pytest.param(
            lambda port, tmp_path: {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(tmp_path / "missing" / "db.sqlite3"),
            },
            id="sqlite-missing-directory",
        ),
    ],
)
async def test_a_database_that_cannot_be_reached_is_reported_as_unavailable_the_details_logged(
    settings_dict, django_db_blocker, tmp_path, caplog
):
    port = closed_port()
    with caplog.at_level(logging.WARNING, logger="widgets.sources"):
        result = await run_source(connecting_to(settings_dict(port, tmp_path), django_db_blocker))
    assert result.error.reason == "database unavailable"
    assert result.duration_ms < 2000  # the driver's answer, not the source's deadline
    [detail] = [record for record in caplog.records if "database unavailable (" in record.getMessage()]
    assert "OperationalError" in detail.getMessage()
    assert detail.exc_info is None
    assert str(port) not in str(result.error)


@pytest.mark.parametrize(
    ("django_error", "cause", "reason"),
    [
        (InterfaceError, psycopg.InterfaceError("the connection is closed"), "database unavailable"),
        (OperationalError, psycopg.errors.AdminShutdown("terminating connection"), "database unavailable"),
        (
            OperationalError,
            psycopg.errors.QueryCanceled("statement timeout"),
            "database error (OperationalError)",
        ),
        (
            OperationalError,
            sqlite3.OperationalError("database is locked"),
            "database error (OperationalError)",
        ),
    ],
    ids=["closed", "server-shutting-down", "statement-cancelled", "sqlite-locked"],
)
async def test_the_drivers_exception_tells_an_unreachable_database_from_a_failed_query(
    django_error, cause, reason
):
    async def load():
        raise django_error(*cause.args) from cause  # as Django's DatabaseErrorWrapper does

    assert await reason_of(Source("orders", load)) == reason
