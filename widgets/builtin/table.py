"""Tables, and tables of shares with a bar per row."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from django.utils.translation import gettext

from widgets.base import Widget
from widgets.charts import format_decimal
from widgets.tabular import Cell, DataTable


@dataclass(frozen=True)
class Table:
    """Cells are display strings; ``numeric`` lists the right-aligned columns.

    ``values`` are the plain values behind the rows (numbers, dates), one row
    each, for exports: without them an export has the display strings.
    """

    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    numeric: frozenset[int] = frozenset()
    # In the language active when the table is made: a widget's load, cached per language.
    empty_message: str = field(default_factory=lambda: gettext("Nothing to show yet."))
    values: Sequence[Sequence[Cell]] | None = None

    def as_data_table(self) -> DataTable:
        return DataTable(self.columns, self.rows if self.values is None else self.values, self.caption)


class TableWidget(Widget):
    """Renders ``{"table": Table}``."""

    template_name: ClassVar[str] = "widgets/builtin/table.html"


@dataclass(frozen=True)
class Share:
    """One row of a share breakdown; ``fraction`` is between 0 and 1."""

    label: str
    value: str
    fraction: float

    @property
    def percent(self) -> str:
        return f"{format_decimal(self.fraction * 100, 1)} %"


class ShareWidget(Widget):
    """Renders ``{"shares": [Share, ...], "caption": str}`` as labelled meters."""

    template_name: ClassVar[str] = "widgets/builtin/shares.html"


def shares_of(rows: list[tuple[str, float, str]]) -> list[Share]:
    """Turn ``(label, amount, display)`` rows into shares of their total."""
    total = sum(amount for _, amount, _ in rows)
    return [Share(label, display, amount / total if total else 0.0) for label, amount, display in rows]
