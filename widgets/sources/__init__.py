"""Sources: the async loads a widget runs concurrently, each under its own deadline.

- ``run``: ``Source``, ``gather_sources``/``settle_sources`` and the errors they report;
- ``http``: the process's one ``httpx.AsyncClient``, ``fetch_json`` and ``http_json``;
- ``orm``: ORM sources, each on a thread of its own;
- ``shapes``: the expected shape of upstream JSON;
- ``timing``: source durations for ``Server-Timing``;
- ``send_first``: upstream requests go out before ORM threads start.
"""

from widgets.sources.http import aclose_client, fetch_json, get_client, http_json
from widgets.sources.orm import orm
from widgets.sources.run import (
    Source,
    SourceError,
    SourceResult,
    SourcesFailed,
    UpstreamError,
    gather_sources,
    run_source,
    settle_sources,
)
from widgets.sources.send_first import load_prepared, pending_sends
from widgets.sources.shapes import BOOLEAN, NUMBER, STRING, Shape, ShapeError, array, obj
from widgets.sources.timing import SourceTiming, collect_timings, record_timing, server_timing_header

__all__ = [
    "BOOLEAN",
    "NUMBER",
    "STRING",
    "Shape",
    "ShapeError",
    "Source",
    "SourceError",
    "SourceResult",
    "SourceTiming",
    "SourcesFailed",
    "UpstreamError",
    "aclose_client",
    "array",
    "collect_timings",
    "fetch_json",
    "gather_sources",
    "get_client",
    "http_json",
    "load_prepared",
    "obj",
    "orm",
    "pending_sends",
    "record_timing",
    "run_source",
    "server_timing_header",
    "settle_sources",
]
