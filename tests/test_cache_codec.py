"""The cache's codec: values in Redis as JSON that runs no code when read; what cannot be read or stored."""

import enum
import json
import logging
import pickle
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field, is_dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from pkgutil import iter_modules
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import widgets.builtin
from widgets.builtin.chart import (
    Series,
    area_chart,
    build_bar_chart,
    donut_chart,
    line_chart,
    sparkline,
    stacked_bar_chart,
)
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.builtin.rates import Rates
from widgets.builtin.statuspage import Component
from widgets.builtin.table import Share, Table, shares_of
from widgets.builtin.uptime import Check
from widgets.cache import (
    CacheEntry,
    LoadFailure,
    cache_key,
    get_or_load,
    register_cached_type,
    widget_cache,
)
from widgets.cache.codec import CodecError, dumps, loads, register
from widgets.tabular import DataTable

ROOT = Path(__file__).resolve().parent.parent

# What each stock widget kind's load returns, built with the real dataclasses.
STOCK_VALUES = {
    "kpi": {
        "kpis": [
            Kpi("Revenue, last 7 days", "€1,234.56", 0.125, "Previous period: €1,097.39"),
            Kpi("Refund rate", "2.0 %"),
        ]
    },
    "chart": {"chart": build_bar_chart("Orders per day", [("01 Nov", 3.0), ("02 Nov", 5.0)], "orders")},
    "charts": {
        "line": line_chart("Sales", [Series("Mugs", [("Mon", 1.0), ("Tue", 2.5)])], unit="mugs"),
        "area": area_chart("Sales", [Series("Mugs", [("Mon", 1.0)]), Series("Tees", [("Mon", 0.0)])]),
        "stacked": stacked_bar_chart(
            "Orders", [Series("Paid", [("Mon", 3.0)]), Series("Refunded", [("Mon", 1.0)])]
        ),
        "donut": donut_chart("Countries", [("DE", 3.0), ("FR", 1.0), ("US", 0.0)], shown_slices=1),
        "kpi": Kpi("Revenue", "€1.00", sparkline=sparkline("Revenue per day", [], unit="EUR")),
    },
    "table": {"table": Table(["#", "Product"], [["1", "Mug"], ["2", "Tee"]], "Top", frozenset({0}))},
    "shares": {
        "shares": shares_of([("DE", 3.0, "3"), ("FR", 1.0, "1")]),
        "caption": "Share of orders by country",
    },
    "rates": {
        "base": "EUR",
        "date": "2026-11-20",
        "rates": [("GBP", Decimal("0.8612")), ("USD", Decimal("1.0870"))],
    },
    "rates_source": {
        "rates": Rates("EUR", "2026-11-20", {"USD": Decimal("1.0870"), "JPY": Decimal("162.5")})
    },
    "statuspage": {
        "page_name": "Shop",
        "indicator": "minor",
        "description": "Partially degraded service",
        "components": [Component("API", "operational"), Component("Checkout", "partial_outage")],
        "incidents": [{"name": "Slow checkout", "status": "investigating"}],
    },
    "uptime": {
        "checks": [
            Check("http://127.0.0.1:8001/health/api", True, "HTTP 200", 12.5),
            Check("http://127.0.0.1:8001/health/db", False, "timed out after 3 s", None),
        ],
        "up_count": 1,
    },
}


def round_trip(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` stored as a cache entry and read back."""
    return dict(loads(dumps(CacheEntry(value, 1_700_000_000.25)), CacheEntry).value)


def assert_same(decoded: object, original: object) -> None:
    """Equal, and of the same types all the way down: a tuple is no list, Decimal("1.10") not "1.1"."""
    assert decoded == original
    assert repr(decoded) == repr(original)


# Round trips


@pytest.mark.parametrize("kind", STOCK_VALUES)
def test_every_stock_widget_value_comes_back_equal_and_of_the_same_types(kind):
    assert_same(round_trip(STOCK_VALUES[kind]), STOCK_VALUES[kind])


def test_the_stock_values_above_hold_every_dataclass_of_the_stock_widgets():
    modules = [
        import_module(f"widgets.builtin.{info.name}") for info in iter_modules(widgets.builtin.__path__)
    ]
    stock = {
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and is_dataclass(value) and value.__module__ == module.__name__
    }
    # A new one: add it to STOCK_VALUES, and to the codec's registrations at import. The charts' are in
    # widgets.charts.CHART_TYPES; a DataTable is what an export makes of a value, never a value.
    assert stock - {DataTable} == {Check, Component, Kpi, Rates, Share, Table}


def test_a_process_that_never_stored_a_stock_widget_value_reads_every_kind():
    stored = dumps(CacheEntry(STOCK_VALUES, 1_700_000_000.25))
    reader = (
        "import sys\n"
        "from widgets.cache import CacheEntry\n"
        "from widgets.cache.codec import loads\n"
        "print(repr(loads(sys.stdin.buffer.read(), CacheEntry).value))\n"
    )
    read = subprocess.run(
        [sys.executable, "-c", reader], input=stored, capture_output=True, cwd=ROOT, timeout=60, check=True
    )
    assert read.stdout.decode().strip() == repr(STOCK_VALUES)


@pytest.mark.parametrize(
    "number", ["1.10", "0.1", "-0", "1E+3", "123456789012345678901234567890.123456789", "NaN", "-Infinity"]
)
def test_decimals_come_back_exactly(number):
    amount = round_trip({"amount": Decimal(number)})["amount"]
    assert (type(amount), str(amount)) == (Decimal, number)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=UTC),
        datetime(2026, 11, 20, 9, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 11, 20, 9, 30, tzinfo=timezone(-timedelta(hours=3))),
        datetime(2026, 11, 20, 9, 30),
    ],
    ids=["utc", "plus-5-30", "minus-3", "naive"],
)
def test_datetimes_come_back_with_their_offset_or_naive(moment):
    assert_same(round_trip({"at": moment})["at"], moment)


def test_a_datetime_in_a_named_zone_comes_back_as_the_same_instant_and_offset():
    moment = datetime(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))
    at = round_trip({"at": moment})["at"]
    assert at == moment
    assert (at.utcoffset(), at.isoformat()) == (timedelta(hours=2), "2026-07-01T12:00:00+02:00")


def test_a_date_comes_back_as_a_date():
    day = round_trip({"day": date(2026, 11, 20)})["day"]
    assert (type(day), day) == (date, date(2026, 11, 20))


def test_tuples_come_back_as_tuples_and_lists_as_lists():
    value = {
        "pairs": [("EUR", 1), ("USD", 2)],
        "lists": [1, [2, 3]],
        "tuple": (1, [2, (3,)], ()),
        "set": frozenset({1, 2}),
    }
    assert_same(round_trip(value), value)


def test_keys_that_are_not_strings_or_start_with_a_dollar_come_back_as_they_were():
    value = {
        "counts": {1: "one", (2, "b"): "pair", Decimal("1.5"): "one and a half", None: "none"},
        "lookalike": {"$tuple": [1, 2]},
        "$dataclass": "os.system",
    }
    assert_same(round_trip(value), value)


@dataclass(frozen=True)
class Forecast:
    """A project's dataclass, nesting others: registered by being stored."""

    day: date
    amount: Decimal
    headline: Kpi
    history: tuple[Kpi, ...]
    notes: dict[int, str] = field(default_factory=dict)


def test_nested_dataclasses_come_back_as_their_own_classes():
    value = {
        "forecast": Forecast(
            date(2026, 11, 21),
            Decimal("10.50"),
            Kpi("Tomorrow", "€10.50"),
            (Kpi("Today", "€9", -0.5),),
            {1: "a"},
        ),
        "forecasts": [Forecast(date(2026, 11, 22), Decimal("0"), Kpi("Later", "€0"), ())],
    }
    decoded = round_trip(value)
    assert_same(decoded, value)
    assert type(decoded["forecast"].history[0]) is Kpi


@dataclass(frozen=True)
class Total:
    parts: tuple[int, ...]
    total: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", sum(self.parts))


def test_a_frozen_dataclass_is_built_by_its_own_init_from_the_fields_it_takes():
    stored = dumps(Total((1, 2, 3)))
    assert b"total" not in stored
    assert loads(stored, Total).total == 6


def test_a_project_dataclass_stored_by_another_process_is_read_once_registered():
    @dataclass(frozen=True)
    class Reading:
        day: date
        amount: Decimal

    stored = json.dumps(
        {
            "$dataclass": f"{__name__}.{Reading.__qualname__}",
            "fields": {"day": {"$date": "2026-11-21"}, "amount": {"$decimal": "10.50"}},
        }
    ).encode()
    with pytest.raises(CodecError, match="not registered"):
        loads(stored, Reading)
    assert register_cached_type(Reading) is Reading
    assert loads(stored, Reading) == Reading(date(2026, 11, 21), Decimal("10.50"))


def test_only_a_dataclass_can_be_registered():
    class Plain:
        pass

    with pytest.raises(TypeError, match="not a dataclass"):
        register(Plain)


# What cannot be read: a miss, never code run


class Point:
    """A plain class: JSON cannot carry it."""

    def __init__(self, x: int) -> None:
        self.x = x


class Colour(enum.StrEnum):
    RED = "red"


class LabelledKpi(Kpi):
    """A plain subclass of a dataclass: what it adds would be lost."""


def self_containing() -> list[object]:
    items: list[object] = []
    items.append(items)
    return items


def entry_json(value: str) -> bytes:
    """A cache entry as ``dumps`` writes it, around ``value`` (JSON text)."""
    return (
        '{"$dataclass":"widgets.cache.results.CacheEntry",'
        f'"fields":{{"value":{value},"stored_at":{time.time()}}}}}'
    ).encode()


KPI_FIELDS = '"label":"a","value":"b","change":null,"detail":""'

UNREADABLE = {
    "invalid UTF-8": b"\x80\x04\x95garbage",
    "not JSON": b"not JSON",
    "empty": b"",
    "nested too deeply": b"[" * 100_000,
    "a list": b"[1, 2]",
    "a Kpi, not an entry": f'{{"$dataclass":"widgets.builtin.kpi.Kpi","fields":{{{KPI_FIELDS}}}}}'.encode(),
    "a type no module defines": entry_json('{"k":{"$dataclass":"tests.not_a_module.Evil","fields":{}}}'),
    "a type never registered": entry_json(
        '{"k":{"$dataclass":"subprocess.Popen","fields":{"args":"echo ran"}}}'
    ),
    "a type name that is no string": entry_json('{"k":{"$dataclass":5,"fields":{}}}'),
    "an unknown tag": entry_json('{"k":{"$eval":"1 + 1"}}'),
    "a tag with other keys": entry_json('{"k":{"$tuple":[1],"extra":2}}'),
    "a tuple that is a string": entry_json('{"k":{"$tuple":"abc"}}'),
    "a decimal that is no number": entry_json('{"k":{"$decimal":"one"}}'),
    "a datetime that is no date": entry_json('{"k":{"$datetime":"yesterday"}}'),
    "an unhashable frozenset item": entry_json('{"k":{"$frozenset":[[1]]}}'),
    "an unhashable dict key": entry_json('{"k":{"$dict":[[[1],2]]}}'),
    "a dict that is not pairs": entry_json('{"k":{"$dict":[1,2]}}'),
    "missing fields": entry_json('{"k":{"$dataclass":"widgets.builtin.kpi.Kpi","fields":{"label":"a"}}}'),
    "extra fields": entry_json(
        f'{{"k":{{"$dataclass":"widgets.builtin.kpi.Kpi","fields":{{{KPI_FIELDS},"evil":1}}}}}}'
    ),
    "fields that are a list": entry_json('{"k":{"$dataclass":"widgets.builtin.kpi.Kpi","fields":[1]}}'),
}


@pytest.mark.parametrize("data", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_what_dumps_could_not_have_written_cannot_be_loaded(data):
    with pytest.raises(CodecError):
        loads(data, CacheEntry)
    assert "tests.not_a_module" not in sys.modules


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ({"a", "b"}, "set"),
        (Point(1), "tests.test_cache_codec.Point"),
        (Colour.RED, "tests.test_cache_codec.Colour"),
        (defaultdict(int), "collections.defaultdict"),
        (LabelledKpi("a", "b"), "tests.test_cache_codec.LabelledKpi"),
        (timedelta(seconds=1), "datetime.timedelta"),
    ],
    ids=["set", "plain-class", "str-enum", "defaultdict", "dataclass-subclass", "timedelta"],
)
def test_a_value_holding_a_type_the_codec_does_not_know_cannot_be_dumped(value, named):
    with pytest.raises(CodecError, match=f"cannot encode a {named}$"):
        dumps({"kpis": [], "extra": [value]})


def test_a_value_that_contains_itself_cannot_be_dumped():
    with pytest.raises(CodecError, match="contains itself"):
        dumps({"items": self_containing()})


class CountingWidget(KpiWidget):
    """Counts its loads; returns ``extra`` besides its one KPI."""

    name = "codec_counting"
    title = "Counting"
    refresh_seconds = 30

    def __init__(self, extra: object = None) -> None:
        self.loads = 0
        self.extra = extra

    async def load(self, params):
        self.loads += 1
        return {"kpis": [Kpi("Load", f"#{self.loads}")], "extra": self.extra}


# What a pickle would run when read: record_call, in place of os.system.
CALLS: list[tuple[str, ...]] = []


def record_call(*args: str) -> None:
    CALLS.append(args)


class RunsCodeWhenUnpickled:
    def __reduce__(self) -> tuple[Any, tuple[str, ...]]:
        return record_call, ("os.system('…') would have run here",)


async def test_a_pickle_that_would_run_code_is_not_run_and_reads_as_a_miss(redis_db, caplog):
    widget = CountingWidget()
    key = cache_key(widget, {})
    payload = pickle.dumps(CacheEntry({"kpis": [RunsCodeWhenUnpickled()]}, time.time()))
    CALLS.clear()
    pickle.loads(payload)  # what reading Redis used to do
    assert CALLS == [("os.system('…') would have run here",)]
    CALLS.clear()
    await redis_db.set(key, payload, px=60_000)
    await redis_db.set(f"{key}:failure", payload, px=60_000)

    with caplog.at_level(logging.WARNING, logger="widgets.cache"):
        result = await get_or_load(widget, {})

    assert CALLS == []
    assert (widget.loads, result.state, result.value["kpis"][0].value) == (1, "ready", "#1")
    assert "cannot be read (not JSON" in caplog.text


BAD_IN_REDIS = {
    "garbage": b"\x00\x01 garbage",
    "unknown type": UNREADABLE["a type never registered"],
    "stored_at not a time": (
        b'{"$dataclass":"widgets.cache.results.CacheEntry","fields":{"value":{},"stored_at":"yesterday"}}'
    ),
    "value not a dict": dumps(CacheEntry([1, 2], time.time())),  # type: ignore[arg-type]
    "a failure, not an entry": dumps(LoadFailure((("fx", "down"),), time.time())),
}


@pytest.mark.parametrize("data", BAD_IN_REDIS.values(), ids=BAD_IN_REDIS.keys())
async def test_an_unreadable_value_in_redis_is_a_miss_and_the_load_stores_a_good_one(redis_db, data, caplog):
    widget = CountingWidget()
    key = cache_key(widget, {})
    await redis_db.set(key, data, px=60_000)
    with caplog.at_level(logging.WARNING, logger="widgets.cache"):
        result = await get_or_load(widget, {})
        await widget_cache.wait_for_loads()
    assert (widget.loads, result.state) == (1, "ready")
    assert "cannot be read" in caplog.text
    assert loads(await redis_db.get(key), CacheEntry).value["kpis"] == [Kpi("Load", "#1")]


async def test_a_failure_of_another_shape_in_redis_is_a_miss(redis_db):
    widget = CountingWidget()
    key = cache_key(widget, {})
    await redis_db.set(f"{key}:failure", dumps(LoadFailure(((1, 2),), time.time())), px=60_000)
    result = await get_or_load(widget, {})
    assert (widget.loads, result.state, result.errors) == (1, "ready", [])


async def test_unreadable_values_warn_once_per_cause_without_their_content(redis_db, caplog):
    widget = CountingWidget()
    for range_ in ("7d", "30d", "90d"):
        await redis_db.set(cache_key(widget, {"range": range_}), b"SECRET-CONTENT, not JSON", px=60_000)
    await redis_db.set(cache_key(widget, {"range": "1y"}), UNREADABLE["an unknown tag"], px=60_000)
    with caplog.at_level(logging.WARNING, logger="widgets.cache"):
        for range_ in ("7d", "30d", "90d", "1y"):
            await get_or_load(widget, {"range": range_})
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert widget.loads == 4
    assert len(warnings) == 2
    assert "not JSON" in warnings[0]
    assert "'$eval'" in warnings[1]
    assert "SECRET-CONTENT" not in caplog.text


# What cannot be stored: kept in the process


async def test_a_value_the_codec_cannot_store_is_served_from_the_process_but_not_stored_in_redis(
    redis_db, caplog
):
    widget = CountingWidget(extra={"a", "b"})
    with caplog.at_level(logging.WARNING, logger="widgets.cache"):
        first = await get_or_load(widget, {"range": "7d"})
        await widget_cache.wait_for_loads()
        again = await get_or_load(widget, {"range": "7d"})
        other = await get_or_load(widget, {"range": "30d"})
        await widget_cache.wait_for_loads()

    assert widget.loads == 2  # 7d, then 30d: the second 7d is a hit in the process
    assert (first.state, first.value["extra"], again.value is first.value) == ("ready", {"a", "b"}, True)
    assert other.state == "ready"
    for range_ in ("7d", "30d"):
        key = cache_key(widget, {"range": range_})
        # Nothing stored, and the lock given back for another process to load.
        assert (await redis_db.exists(key), await redis_db.exists(f"{key}:lock")) == (0, 0)
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings == [
        "Widget cache: the value of widget codec_counting holds what Redis cannot store "
        "(cannot encode a set); it is cached in each process only"
    ]
