"""``DataTable``: a widget's values as rows, the one shape its table fallback and its exports share.

A value in a widget's loaded context that has ``as_data_table()`` (a ``Table``,
every chart) can be shown as a table and downloaded as CSV or JSON.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

type Cell = str | int | float | Decimal | date | datetime | None


@dataclass(frozen=True)
class DataTable:
    """Named columns and rows of plain values (numbers stay numbers, dates stay dates)."""

    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    title: str = ""


@runtime_checkable
class HasDataTable(Protocol):
    def as_data_table(self) -> DataTable: ...
