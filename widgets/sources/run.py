"""Sources: the async loads a widget runs concurrently, each under its own deadline.

A source is a name, an async callable and a deadline. ``gather_sources`` runs
several at once and returns their values by name, or raises ``SourcesFailed``
naming every source that timed out, failed or answered something unexpected.
Nothing here renders: the view turns a failure into the widget's error state.

A failure's reason is shown on the page and logged: it is our own words (an
``UpstreamError``'s or a ``ShapeError``'s message, ``database unavailable``) or
an exception's type name, never another exception's message, which can hold an
upstream URL and a token in its query, or a database's host. Sources are named
by their declared names, never by URLs.
"""

import asyncio
import logging
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.db import DatabaseError, Error
from django.utils import formats
from django.utils.translation import gettext

from widgets.conf import widget_settings
from widgets.sources.send_first import load_prepared
from widgets.sources.shapes import ShapeError
from widgets.sources.timing import SourceTiming, record_timing

logger = logging.getLogger(__name__)


class SourceError(Exception):
    """One source could not deliver: ``source`` names it, ``reason`` says why in plain words."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class SourcesFailed(Exception):
    """Some sources of a widget failed; ``errors`` lists each one."""

    def __init__(self, errors: list[SourceError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors


class UpstreamError(Exception):
    """Raised inside a fetch to report a reason that is safe to show."""


@dataclass(frozen=True)
class Source[T]:
    """A named async load with a deadline in seconds (default: ``WIDGETS_SOURCE_TIMEOUT``)."""

    name: str
    load: Callable[[], Awaitable[T]]
    deadline: float | None = None

    @property
    def timeout(self) -> float:
        return self.deadline if self.deadline is not None else widget_settings.SOURCE_TIMEOUT


@dataclass(frozen=True)
class SourceResult:
    """What one source delivered: a value, or an error."""

    name: str
    value: Any = None
    error: SourceError | None = None
    duration_ms: float = field(default=0.0)

    @property
    def is_ok(self) -> bool:
        return self.error is None


async def run_source(source: Source[Any]) -> SourceResult:
    """Run one source under its deadline and turn any failure into a ``SourceError``."""
    started = time.perf_counter()
    error: SourceError | None = None
    value: Any = None
    try:
        async with asyncio.timeout(source.timeout):
            value = await source.load()
    except TimeoutError:
        seconds = f"{source.timeout:g}".replace(".", formats.get_format("DECIMAL_SEPARATOR"))
        reason = gettext("timed out after %(seconds)s s") % {"seconds": seconds}
        error = SourceError(source.name, reason)
    except UpstreamError as exc:
        error = SourceError(source.name, str(exc))
    except ShapeError as exc:
        error = SourceError(source.name, gettext("unexpected response shape: %(detail)s") % {"detail": exc})
    except httpx.TimeoutException:
        error = SourceError(source.name, gettext("upstream timed out"))
    except httpx.HTTPError as exc:
        # Only the type: httpx's messages and exceptions can hold the URL, and its query a token.
        reason = gettext("could not reach upstream (%(error)s)") % {"error": type(exc).__name__}
        error = SourceError(source.name, reason)
    except httpx.InvalidURL:
        error = SourceError(source.name, gettext("invalid upstream URL"))
    except Exception as exc:
        error = unexpected_error(source.name, exc)
    duration_ms = (time.perf_counter() - started) * 1000
    record_timing(SourceTiming(source.name, duration_ms, is_ok=error is None))
    if error is not None:
        logger.warning("Source %s failed: %s", source.name, error.reason)
    return SourceResult(source.name, value, error, duration_ms)


def unexpected_error(source: str, exc: Exception) -> SourceError:
    """A failure none of our own exceptions describes: the database's, or a bug; details go to the log."""
    if is_database_unavailable(exc):
        # No traceback: it would say nothing the message does not, once per source of every widget.
        logger.warning("Source %s: database unavailable (%s: %s)", source, type(exc).__name__, exc)
        return SourceError(source, gettext("database unavailable"))
    if isinstance(exc, DatabaseError):
        logger.exception("Source %s failed in the database", source)
        return SourceError(source, gettext("database error (%(error)s)") % {"error": type(exc).__name__})
    logger.exception("Source %s failed", source)
    return SourceError(source, gettext("internal error while loading"))


# PostgreSQL error codes of a server that takes no queries: class 08 (connection exception),
# too many connections, and shutting down, crashed or starting up.
POSTGRES_UNAVAILABLE_CODES = ("08", "53300", "57P01", "57P02", "57P03")


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached, rather than that a query failed.

    Django raises its ``OperationalError`` or ``InterfaceError`` from the
    driver's exception, which tells the two apart: for psycopg, an
    ``InterfaceError`` (the connection is closed) or an ``OperationalError``
    without a query's error code (the connection failed or broke, the pool had
    none within its ``timeout``) or with one of ``POSTGRES_UNAVAILABLE_CODES``;
    for SQLite, a database file that cannot be opened. Any other database
    error, "database is locked" or a cancelled statement among them, is not.
    """
    driver_error = exc.__cause__ if isinstance(exc, Error) and exc.__cause__ is not None else exc
    if isinstance(driver_error, sqlite3.OperationalError):
        return str(getattr(driver_error, "sqlite_errorname", "")).startswith("SQLITE_CANTOPEN")
    # Looked up, not imported: psycopg is optional, and its errors can only come once Django has imported it.
    psycopg = sys.modules.get("psycopg")
    if psycopg is None:
        return False
    if isinstance(driver_error, psycopg.InterfaceError):
        return True
    if isinstance(driver_error, psycopg.OperationalError):
        code: str | None = driver_error.sqlstate
        return code is None or code.startswith(POSTGRES_UNAVAILABLE_CODES)
    return False


async def settle_sources(*sources: Source[Any]) -> dict[str, SourceResult]:
    """Run sources concurrently; return every result by name, failures included."""
    names = [source.name for source in sources]
    if len(set(names)) != len(names):
        raise ValueError(f"source names must be unique, got {names}")
    gathered = asyncio.gather(*(run_source(source) for source in sources))
    try:
        await asyncio.sleep(0)  # each source takes its first step: an HTTP fetch counts its request
    except BaseException:
        gathered.cancel()
        raise
    load_prepared()
    results = await gathered
    return {result.name: result for result in results}


async def gather_sources(*sources: Source[Any]) -> dict[str, Any]:
    """Run sources concurrently; return their values by name or raise ``SourcesFailed``."""
    results = await settle_sources(*sources)
    errors = [result.error for result in results.values() if result.error is not None]
    if errors:
        raise SourcesFailed(errors)
    return {name: result.value for name, result in results.items()}
