"""A widget's ``DataTable`` as the files its export URLs answer: CSV and JSON.

CSV is opened in spreadsheets, which run a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula (OWASP's CSV injection; tab and carriage return
too). Such a text cell gets a ``'`` in front, which spreadsheets read as
"this is text" and do not show. Numbers, dates and empty cells are written
as they are: ``-5`` the number stays ``-5``, while ``"-5"`` the text (a
display string) becomes ``'-5``.
"""

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeGuard

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from widgets.base import query_values
from widgets.render import EXPORT_FORMATS, ExportFormat
from widgets.tabular import Cell, DataTable


def is_export_format(name: str) -> TypeGuard[ExportFormat]:
    return name in EXPORT_FORMATS


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_FILENAME_PARAMS = 60  # characters of the parameters' part of a file name


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it without running it: a ``'`` before a formula's first character."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def is_number(cell: object) -> bool:
    """A finite number (not a bool): written as it is. ``-inf`` and ``NaN`` are text to a spreadsheet."""
    if isinstance(cell, bool) or not isinstance(cell, int | float | Decimal):
        return False
    return cell.is_finite() if isinstance(cell, Decimal) else math.isfinite(cell)


def csv_value(cell: Cell) -> str:
    """One cell as CSV text: numbers unformatted, dates ISO 8601, ``None`` empty, text neutralised."""
    if cell is None:
        return ""
    if isinstance(cell, date):  # a datetime too
        return cell.isoformat()
    if is_number(cell):
        return str(cell)
    return neutralise(str(cell))


def csv_text(table: DataTable) -> str:
    """A header row, then a row per table row (RFC 4180: CRLF line ends, quotes where needed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(str(column)) for column in table.columns])
    writer.writerows([csv_value(cell) for cell in row] for row in table.rows)
    return buffer.getvalue()


def json_value(cell: Cell) -> Cell:
    """One cell for JSON: what JSON cannot say (``NaN``, infinities) is ``null``."""
    if isinstance(cell, float) and not math.isfinite(cell):
        return None
    return cell


def export_query(params: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """A widget's cleaned parameters as the query values that select them again (a period as its keys)."""
    query: dict[str, str | list[str]] = {}
    for key, value in query_values(params).items():
        if isinstance(value, list | tuple):
            query[key] = [str(item) for item in value]
        elif value not in (None, ""):
            query[key] = str(value)
    return query


def export_filename(widget_name: str, query: Mapping[str, str | list[str]], day: date, extension: str) -> str:
    """``<widget>-<parameter values>-<day>.<extension>``: ASCII letters, digits, ``-`` and ``_`` only."""
    values = (item for value in query.values() for item in ([value] if isinstance(value, str) else value))
    described = slugify("-".join(values))[:MAX_FILENAME_PARAMS].strip("-_")
    parts = [slugify(widget_name) or "widget", described, day.isoformat()]
    return f"{'-'.join(part for part in parts if part)}.{extension}"


@dataclass(frozen=True)
class Export:
    """One export: a widget's values as a table, as one load left them, and the query that selected them."""

    widget_name: str
    title: str
    query: Mapping[str, str | list[str]]
    state: str  # ready or stale
    loaded_at: datetime
    table: DataTable

    def filename(self, export_format: ExportFormat) -> str:
        day = timezone.localdate(self.loaded_at)
        return export_filename(self.widget_name, self.query, day, export_format)

    def as_json(self) -> dict[str, Any]:
        return {
            "widget": self.widget_name,
            "title": self.title,
            "caption": self.table.title,
            "params": dict(self.query),
            "loaded_at": self.loaded_at,
            "state": self.state,
            "columns": [str(column) for column in self.table.columns],
            "rows": [[json_value(cell) for cell in row] for row in self.table.rows],
        }


def export_response(export: Export, export_format: ExportFormat) -> HttpResponse:
    """The export as a download: CSV, or JSON (``Decimal`` as an exact string, dates as ISO 8601 text)."""
    if export_format == "csv":
        response = HttpResponse(csv_text(export.table), content_type="text/csv; charset=utf-8")
    else:
        response = JsonResponse(export.as_json(), encoder=DjangoJSONEncoder)
    response["Content-Disposition"] = content_disposition_header(True, export.filename(export_format))
    return response
