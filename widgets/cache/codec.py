"""The bytes a cached value is kept as in Redis: JSON, with tagged objects for what JSON lacks.

Whoever can write to the cache's Redis database chooses the bytes a worker
reads back, so reading them must not run code (unpickling would). Values are
JSON; the types JSON has no word for are objects under a tag::

    {"$tuple": [...]}         {"$frozenset": [...]}     {"$dict": [[key, value], ...]}
    {"$decimal": "1.10"}      {"$date": "2026-11-20"}   {"$datetime": "2026-11-20T09:30:00+01:00"}
    {"$dataclass": "widgets.builtin.kpi.Kpi", "fields": {"label": ..., ...}}

``$dict`` is a dict with a key that is not a string or that starts with ``$``.
Decoding imports nothing and calls nothing the data names: a dataclass is
built, by its own ``__init__``, only if its name is in this module's registry.
The registry holds the cache's own types and the stock widgets' dataclasses,
every dataclass this process has encoded (as ``module.qualname``), and what a
project adds with ``register``.

Types are matched exactly: a subclass (an enum member, a ``SafeString``, a
``defaultdict``), a set, or an instance of a class that is not a dataclass
cannot be encoded. An aware datetime comes back with a fixed UTC offset: the
same instant and offset, without a ``zoneinfo`` zone's name.
"""

import dataclasses
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from widgets.builtin.kpi import Kpi
from widgets.builtin.rates import Rates
from widgets.builtin.statuspage import Component
from widgets.builtin.table import Share, Table
from widgets.builtin.uptime import Check
from widgets.cache.results import CacheEntry, LoadFailure
from widgets.charts import CHART_TYPES


class CodecError(ValueError):
    """A value the codec cannot encode, or bytes it cannot decode: the message names why, never the data."""


# Each registered dataclass's name and the fields its __init__ takes, by type (to encode) and by name.
_by_type: dict[type, tuple[str, tuple[str, ...]]] = {}
_by_name: dict[str, tuple[type, frozenset[str]]] = {}


def register[T: type](cls: T) -> T:
    """Let this process decode instances of the dataclass ``cls`` that another process stored in Redis.

    A process registers each dataclass it encodes by itself; until then, a
    value holding one is a miss there (loaded again, with a warning). So
    register the dataclasses your widgets return, at import, next to them (it
    is a decorator; ``widgets.cache.register_cached_type`` is the same)::

        from widgets.cache import register_cached_type

        @register_cached_type
        @dataclass(frozen=True)
        class Forecast:
            day: date
            amount: Decimal

    Its name in the cache is ``module.qualname``. The fields its ``__init__``
    takes are stored, and it is built again by calling it with them.
    """
    if not _is_dataclass_of_its_own(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    _describe(cls)
    return cls


def dumps(value: object) -> bytes:
    """``value`` as JSON bytes; ``CodecError`` names a type in it the codec cannot encode."""
    try:
        return _encoder.encode(_encode(value)).encode()
    except CodecError:
        raise
    except RecursionError:
        raise CodecError("a value nested too deeply, or that contains itself") from None
    except ValueError:  # an int of more digits than Python converts to text
        raise CodecError("an int too long to write") from None


def loads[T](data: bytes, kind: type[T]) -> T:
    """The ``kind`` that ``dumps`` turned into ``data``; ``CodecError`` if ``data`` is anything else."""
    try:
        value = _decoder.decode(data.decode())
    except CodecError:
        raise
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise CodecError("not JSON, or nested too deeply") from None
    if not isinstance(value, kind):
        raise CodecError(f"not a {kind.__qualname__}")
    return value


# Encoding


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is list:
        return [_encode(item) for item in value]
    if kind is dict:
        if all(type(key) is str and not key.startswith("$") for key in value):
            return {key: _encode(item) for key, item in value.items()}
        return {"$dict": [[_encode(key), _encode(item)] for key, item in value.items()]}
    if (encode := _ENCODERS.get(kind)) is not None:
        return encode(value)
    described = _by_type.get(kind)
    if described is None:
        if not _is_dataclass_of_its_own(kind):
            raise CodecError(f"cannot encode a {_type_name(kind)}")
        described = _describe(kind)
    name, field_names = described
    return {"$dataclass": name, "fields": {field: _encode(getattr(value, field)) for field in field_names}}


_ENCODERS: dict[type, Callable[[Any], Any]] = {
    tuple: lambda value: {"$tuple": [_encode(item) for item in value]},
    frozenset: lambda value: {"$frozenset": [_encode(item) for item in value]},
    Decimal: lambda value: {"$decimal": str(value)},
    datetime: lambda value: {"$datetime": value.isoformat()},
    date: lambda value: {"$date": value.isoformat()},
}


def _is_dataclass_of_its_own(kind: object) -> bool:
    # Not a plain subclass of a dataclass: what the subclass adds would be lost.
    return isinstance(kind, type) and "__dataclass_fields__" in vars(kind)


def _describe(kind: type) -> tuple[str, tuple[str, ...]]:
    """Register the dataclass ``kind`` under its name; its name and the fields its ``__init__`` takes."""
    name = f"{kind.__module__}.{kind.__qualname__}"
    field_names = tuple(field.name for field in dataclasses.fields(kind) if field.init)
    _by_type[kind] = name, field_names
    _by_name[name] = kind, frozenset(field_names)
    return name, field_names


def _type_name(kind: type) -> str:
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


# Decoding: the hook sees each JSON object after what it contains has been decoded.


def _decode_object(obj: dict[str, Any]) -> Any:
    for key in obj:
        if key.startswith("$"):
            return _decode_tagged(key, obj)
    return obj


def _decode_tagged(tag: str, obj: dict[str, Any]) -> Any:
    decode = _DECODERS.get(tag)
    if decode is None or len(obj) != (2 if tag == "$dataclass" else 1):
        raise CodecError(f"an unknown tag, or a tag with other keys: {tag[:40]!r}")
    try:
        return decode(obj[tag], obj)
    except CodecError:
        raise
    except (ValueError, TypeError, ArithmeticError) as error:  # InvalidOperation is an ArithmeticError
        raise CodecError(f"a {tag} that cannot be read ({type(error).__name__})") from None


def _checked[T](payload: object, kind: type[T]) -> T:
    if not isinstance(payload, kind):
        raise CodecError(f"a tag whose content is not a {kind.__name__}")
    return payload


def _decode_dict(content: object) -> dict[Any, Any]:
    pairs: list[Any] = _checked(content, list)
    if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
        raise CodecError("a $dict that is not a list of pairs")
    return dict(pairs)


def _decode_dataclass(content: object, obj: dict[str, Any]) -> object:
    name = _checked(content, str)
    registered = _by_name.get(name)
    if registered is None:
        raise CodecError(f"a type that is not registered: {name[:200]!r}")
    cls, field_names = registered
    fields = obj.get("fields")
    if type(fields) is not dict or fields.keys() != field_names:
        raise CodecError(f"other fields than {name}'s")
    try:
        return cls(**fields)
    except Exception as error:  # its __init__ or __post_init__ refused them
        raise CodecError(f"fields {name} refuses ({type(error).__name__})") from None


# Each decoder is given the tag's content and the whole object.
_DECODERS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "$tuple": lambda items, _: tuple(_checked(items, list)),
    "$frozenset": lambda items, _: frozenset(_checked(items, list)),
    "$dict": lambda pairs, _: _decode_dict(pairs),
    "$decimal": lambda text, _: Decimal(_checked(text, str)),
    "$datetime": lambda text, _: datetime.fromisoformat(_checked(text, str)),
    "$date": lambda text, _: date.fromisoformat(_checked(text, str)),
    "$dataclass": _decode_dataclass,
}
_encoder = json.JSONEncoder(separators=(",", ":"))
_decoder = json.JSONDecoder(object_hook=_decode_object)

# What the cache stores, and the stock widgets' values: readable before this process has encoded one.
for _cls in (CacheEntry, LoadFailure, Check, Component, Kpi, Rates, Share, Table, *CHART_TYPES):
    register(_cls)
