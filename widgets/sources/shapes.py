"""Small declarative checks that external JSON has the shape a widget expects."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext


class ShapeError(ValueError):
    """The JSON does not have the expected shape; the message says where and how."""


def _type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), "number" if isinstance(value, int | float) else "null"
    )


@dataclass(frozen=True)
class Shape:
    """Expected JSON: ``kind`` is object, array, string, number or boolean.

    For objects, ``fields`` maps required keys to their shapes, ``optional``
    the keys that may be missing, and ``values`` is the shape of every value
    (for maps like ``rates``); for arrays, ``items``.
    """

    kind: str
    fields: Mapping[str, "Shape"] | None = None
    optional: Mapping[str, "Shape"] | None = None
    values: "Shape | None" = None
    items: "Shape | None" = None

    def check(self, data: Any, path: str = "$") -> None:
        actual = _type_name(data)
        if actual != self.kind:
            message = gettext("%(path)s should be %(kind)s, got %(actual)s")
            raise ShapeError(message % {"path": path, "kind": self.kind, "actual": actual})
        if isinstance(data, dict):
            for key, shape in (self.fields or {}).items():
                if key not in data:
                    message = gettext("%(path)s is missing %(key)s")
                    raise ShapeError(message % {"path": path, "key": repr(key)})
                shape.check(data[key], f"{path}.{key}")
            for key, shape in (self.optional or {}).items():
                if key in data:
                    shape.check(data[key], f"{path}.{key}")
            if self.values is not None:
                for key, value in data.items():
                    self.values.check(value, f"{path}.{key}")
        if isinstance(data, list) and self.items is not None:
            for index, item in enumerate(data):
                self.items.check(item, f"{path}[{index}]")


STRING = Shape("string")
NUMBER = Shape("number")
BOOLEAN = Shape("boolean")


def obj(
    fields: Mapping[str, Shape] | None = None,
    *,
    optional: Mapping[str, Shape] | None = None,
    values: Shape | None = None,
) -> Shape:
    return Shape("object", fields=fields, optional=optional, values=values)


def array(items: Shape | None = None) -> Shape:
    return Shape("array", items=items)
