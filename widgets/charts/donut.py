"""Shares of a whole as a donut: a ring of slices, the total in its middle, a legend beside it."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from django.utils.translation import gettext

from widgets.charts.cartesian import FormatValue, capitalised, no_data_summary, value_formatter
from widgets.charts.marks import TableRow, colour_of
from widgets.charts.scales import compact_number, format_decimal
from widgets.tabular import DataTable

SIZE = 200
CENTRE = SIZE / 2
OUTER = 96.0
INNER = 60.0
FULL_CIRCLE = 360.0


@dataclass(frozen=True)
class Slice:
    """One share: ``fraction`` of the total, from ``start_angle`` to ``end_angle`` (degrees, from noon)."""

    label: str
    value: float
    value_text: str
    fraction: float
    start_angle: float
    end_angle: float
    path: str  # empty for a slice of nothing
    title: str
    colour: str

    @property
    def percent(self) -> str:
        return percent_text(self.fraction)


def percent_text(fraction: float) -> str:
    """A fraction as a percentage with one decimal: "12.5 %" (German "12,5 %")."""
    return f"{format_decimal(fraction * 100, 1)} %"


@dataclass(frozen=True)
class DonutChart:
    """Slices clockwise from 12 o'clock, largest first as given; the rest past ``shown_slices`` as one."""

    title: str
    unit: str
    summary: str
    category: str  # the first column's heading in the data table: "Country"
    slices: list[Slice]
    total: float
    total_text: str  # the total in full, as the legend writes values
    total_label: str  # the total in short, in the ring: "17.5k"
    rows: list[TableRow]
    size: int = SIZE

    kind: ClassVar[str] = "donut"
    template_name: ClassVar[str] = "widgets/charts/donut.html"
    centre: ClassVar[float] = CENTRE
    total_y: ClassVar[float] = CENTRE - 8  # the total above the middle, its unit below
    unit_y: ClassVar[float] = CENTRE + 18
    outer_radius: ClassVar[float] = OUTER
    inner_radius: ClassVar[float] = INNER

    @property
    def is_empty(self) -> bool:
        return not any(one.path for one in self.slices)

    @property
    def table_columns(self) -> list[str]:
        return [self.category, capitalised(self.unit) or gettext("Value"), gettext("Share")]

    def as_data_table(self) -> DataTable:
        """A row per slice: its label, value and share (a fraction, 4 decimals)."""
        rows: list[list[str | float]] = [
            [one.label, one.value, round(one.fraction, 4)] for one in self.slices
        ]
        return DataTable(self.table_columns, rows, self.title)


def donut_chart(
    title: str,
    slices: Sequence[tuple[str, float]],
    *,
    unit: str = "",
    category: str = "",
    shown_slices: int | None = None,
    rest_label: str = "",
    format_value: FormatValue | None = None,
) -> DonutChart:
    """``(label, value)`` shares as a donut; past ``shown_slices``, the rest is one ``rest_label`` slice.

    Negative and non-finite values count as zero. A slice's hover title and
    the legend give its value and percentage. ``category`` (the table's first
    heading) defaults to "Label", ``rest_label`` to "Other", in the active language.
    """
    fmt = format_value or value_formatter(unit)
    category = category or gettext("Label")
    rest_label = rest_label or gettext("Other")
    pairs = [(str(label), _share(value)) for label, value in slices]
    colours = [colour_of(index) for index in range(len(pairs))]
    if shown_slices is not None and len(pairs) > shown_slices:
        rest = sum(value for _, value in pairs[shown_slices:])
        pairs = [*pairs[:shown_slices], (rest_label, rest)]
        colours = [*colours[:shown_slices], "other"]
    total = sum(value for _, value in pairs)
    last = _last_nonzero(pairs) if total else len(pairs)  # the slice that closes the circle
    built, angle = [], 0.0
    for index, ((label, value), colour) in enumerate(zip(pairs, colours, strict=True)):
        fraction = value / total if total else 0.0
        end = FULL_CIRCLE if index >= last else min(round(angle + fraction * 360, 4), FULL_CIRCLE)
        text = fmt(value)
        built.append(
            Slice(
                label,
                value,
                text,
                fraction,
                angle,
                end,
                ring_path(angle, end) if value else "",
                f"{label}: {text} ({percent_text(fraction)})",
                colour,
            )
        )
        angle = end
    if total:
        largest = max(built, key=lambda one: one.value)
        others = [f"{one.label} {one.percent}" for one in built if one is not largest and one.value]
        named = {"title": title, "total": fmt(total), "label": largest.label, "percent": largest.percent}
        if others:
            summary = gettext(
                "%(title)s: %(total)s in all; the largest share %(label)s, %(percent)s, then %(others)s."
            ) % {**named, "others": ", ".join(others)}
        else:
            summary = gettext("%(title)s: %(total)s in all; the largest share %(label)s, %(percent)s.")
            summary %= named
    else:
        summary = no_data_summary(title)
    rows = [TableRow(one.label, [one.value_text, one.percent]) for one in built]
    return DonutChart(title, unit, summary, category, built, total, fmt(total), compact_number(total), rows)


def ring_path(start: float, end: float) -> str:
    """The outline of the ring's part from ``start`` to ``end`` degrees (clockwise from 12 o'clock)."""
    if end - start >= FULL_CIRCLE - 0.01:
        # An arc's ends cannot meet: a whole ring is two half rings, its hole cut out (fill-rule: evenodd).
        return (
            f"M{CENTRE:g},{CENTRE - OUTER:g}A{OUTER:g},{OUTER:g} 0 1 1 {CENTRE:g},{CENTRE + OUTER:g}"
            f"A{OUTER:g},{OUTER:g} 0 1 1 {CENTRE:g},{CENTRE - OUTER:g}Z"
            f"M{CENTRE:g},{CENTRE - INNER:g}A{INNER:g},{INNER:g} 0 1 0 {CENTRE:g},{CENTRE + INNER:g}"
            f"A{INNER:g},{INNER:g} 0 1 0 {CENTRE:g},{CENTRE - INNER:g}Z"
        )
    large = 1 if end - start > 180 else 0
    outer_start, outer_end = _polar(OUTER, start), _polar(OUTER, end)
    inner_end, inner_start = _polar(INNER, end), _polar(INNER, start)
    return (
        f"M{outer_start}A{OUTER:g},{OUTER:g} 0 {large} 1 {outer_end}"
        f"L{inner_end}A{INNER:g},{INNER:g} 0 {large} 0 {inner_start}Z"
    )


def _polar(radius: float, degrees: float) -> str:
    radians = math.radians(degrees)
    return (
        f"{round(CENTRE + radius * math.sin(radians), 2):g},{round(CENTRE - radius * math.cos(radians), 2):g}"
    )


def _share(value: float) -> float:
    number = float(value)
    return number if math.isfinite(number) and number > 0 else 0.0


def _last_nonzero(pairs: Sequence[tuple[str, float]]) -> int:
    return max((index for index, (_, value) in enumerate(pairs) if value), default=-1)
