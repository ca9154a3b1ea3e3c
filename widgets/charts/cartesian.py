"""Charts on a time (or label) axis and a value axis: line, area, bar and stacked bar.

Build one with ``line_chart``, ``area_chart``, ``bar_chart`` or
``stacked_bar_chart``; it comes back laid out in SVG user units (a 600 by 240
viewBox), with its ticks, legend, hover titles and data-table rows written.
Given the ``window`` its buckets cover, the first bucket (when it starts
before the window) and the last (when it ends after it: the current hour or
day so far) are marked partial, so a short interval does not read as a drop.
Its words (summary, notes, hover titles) are in the language active when it is
built: a widget's load, whose value is cached per language.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, Protocol

from django.utils import timezone
from django.utils.translation import gettext, ngettext

from widgets.charts.marks import Band, Bar, LegendEntry, Point, SeriesMarks, TableRow, colour_of
from widgets.charts.scales import (
    BandScale,
    Interval,
    LinearScale,
    Tick,
    bucket_labels,
    format_decimal,
    nice_ticks,
    tick_label,
    time_ticks,
)
from widgets.tabular import DataTable

WIDTH, HEIGHT = 600, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 14, 30  # room for the value labels on the left, the time labels below
MIN_TICK_SPACING = 66  # user units between time labels: "30 Nov" fits at every size the CSS gives
MAX_VALUE_TICKS = 6
EDGE = 34  # a time label this near the chart's edge is aligned to its end, not centred

type FormatValue = Callable[[float], str]


class Window(Protocol):
    """The span of time a chart's buckets should cover (``widgets.TimeWindow`` is one)."""

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


@dataclass(frozen=True)
class Series:
    """A named series: ``(bucket, value)`` points, buckets as datetimes (one per hour or day) or labels."""

    name: str
    points: Sequence[tuple[datetime | str, float]]


@dataclass(frozen=True)
class CartesianChart:
    """What line, area, bar and stacked bar charts share: axes, legend, partial intervals, table rows."""

    title: str
    unit: str
    summary: str
    x_name: str  # the first column's heading in the data table: "Time", "Day", "Product"
    labels: list[str]  # each bucket in full: "01 Dec 14:00"
    times: list[datetime]  # each bucket's start; empty when the buckets are labels
    names: list[str]  # each series' name
    values: list[list[float]]  # values[series][bucket]
    series: list[SeriesMarks]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    zero_y: float
    partial: tuple[int, ...]  # indexes of the partial buckets
    partial_bands: list[Band]
    legend: list[LegendEntry]
    rows: list[TableRow]
    width: int = WIDTH
    height: int = HEIGHT

    kind: ClassVar[str] = ""
    template_name: ClassVar[str] = ""
    plot_left: ClassVar[int] = LEFT
    plot_right: ClassVar[int] = WIDTH - RIGHT
    plot_top: ClassVar[int] = TOP
    plot_bottom: ClassVar[int] = HEIGHT - BOTTOM

    @property
    def is_empty(self) -> bool:
        return not self.labels

    @property
    def plot_height(self) -> int:
        return self.plot_bottom - self.plot_top

    @property
    def middle_x(self) -> float:
        return (self.plot_left + self.plot_right) / 2

    @property
    def middle_y(self) -> float:
        return (self.plot_top + self.plot_bottom) / 2

    @property
    def dot_radius(self) -> float:
        """Dots shrink as points crowd: 3.5 units apart from a few, 1.5 at 180 points."""
        spacing = (self.plot_right - self.plot_left) / max(len(self.labels), 1)
        return round(max(1.5, min(3.5, spacing / 3)), 1)

    @property
    def table_columns(self) -> list[str]:
        return [self.x_name, *self.names]

    @property
    def x_label_y(self) -> int:
        return self.plot_bottom + 7

    @property
    def y_label_x(self) -> int:
        return self.plot_left - 6

    def as_data_table(self) -> DataTable:
        """A row per bucket (its start time, or its label) with each series' value, as numbers."""
        keys: Sequence[datetime | str] = self.times or self.labels
        rows = [[key, *(values[index] for values in self.values)] for index, key in enumerate(keys)]
        return DataTable([self.x_name, *self.names], rows, self.title)


@dataclass(frozen=True)
class BarChart(CartesianChart):
    """One series as bars; partial intervals lighter, with a dashed outline."""

    kind: ClassVar[str] = "bar"
    template_name: ClassVar[str] = "widgets/charts/bar.html"

    @property
    def bars(self) -> list[Bar]:
        return self.series[0].bars if self.series else []


@dataclass(frozen=True)
class StackedBarChart(CartesianChart):
    """Series stacked in one bar per bucket (positive values up, negative down)."""

    kind: ClassVar[str] = "stacked_bar"
    template_name: ClassVar[str] = "widgets/charts/bar.html"


@dataclass(frozen=True)
class LineChart(CartesianChart):
    """A line per series; the segments to partial intervals dashed, their dots hollow."""

    kind: ClassVar[str] = "line"
    template_name: ClassVar[str] = "widgets/charts/line.html"


@dataclass(frozen=True)
class AreaChart(CartesianChart):
    """A line chart filled down to zero."""

    kind: ClassVar[str] = "area"
    template_name: ClassVar[str] = "widgets/charts/line.html"


# Building


def format_number(value: float) -> str:
    """1234 → "1,234"; 12.5 → "12.50" (German: "1.234", "12,50")."""
    return format_decimal(value, 0 if float(value).is_integer() else 2)


def capitalised(text: str) -> str:
    """The first letter upper case, the rest as it is: "orders" → "Orders", "EUR" stays."""
    return text[:1].upper() + text[1:]


def value_formatter(unit: str) -> FormatValue:
    """The default text of a value: the number, then the unit ("1,234 orders")."""
    return lambda value: f"{format_number(value)} {unit}".strip()


def bar_chart(
    title: str,
    points: Sequence[tuple[datetime | str, float]],
    *,
    unit: str = "",
    name: str = "",
    interval: Interval = "day",
    window: Window | None = None,
    format_value: FormatValue | None = None,
    x_name: str = "",
) -> BarChart:
    """``(bucket, value)`` points as bars; the series is called ``name`` (default: the unit, capitalised)."""
    series = [Series(name or capitalised(unit) or gettext("Value"), points)]
    return _layout(BarChart, title, series, unit, interval, window, format_value, x_name, "bar")


def stacked_bar_chart(
    title: str,
    series: Sequence[Series],
    *,
    unit: str = "",
    interval: Interval = "day",
    window: Window | None = None,
    format_value: FormatValue | None = None,
    x_name: str = "",
) -> StackedBarChart:
    """``series`` (over the same buckets) stacked, the first at the bottom."""
    return _layout(StackedBarChart, title, series, unit, interval, window, format_value, x_name, "stacked")


def line_chart(
    title: str,
    series: Sequence[Series],
    *,
    unit: str = "",
    interval: Interval = "day",
    window: Window | None = None,
    format_value: FormatValue | None = None,
    x_name: str = "",
) -> LineChart:
    """A line per series (over the same buckets), with a dot and hover title per point."""
    return _layout(LineChart, title, series, unit, interval, window, format_value, x_name, "line")


def area_chart(
    title: str,
    series: Sequence[Series],
    *,
    unit: str = "",
    interval: Interval = "day",
    window: Window | None = None,
    format_value: FormatValue | None = None,
    x_name: str = "",
) -> AreaChart:
    """Like ``line_chart``, each line filled down to zero."""
    return _layout(AreaChart, title, series, unit, interval, window, format_value, x_name, "area")


def partial_buckets(
    times: Sequence[datetime], interval: Interval, window: Window | None, now: datetime | None = None
) -> tuple[frozenset[int], list[str]]:
    """The indexes of the buckets ``window`` covers only in part, and what to say about each."""
    if not times or window is None:
        return frozenset(), []
    now = now or timezone.now()
    indexes, notes = set(), []
    is_hourly = interval == "hour"
    if times[0] < window.start:
        indexes.add(0)
        notes.append(
            gettext("the first hour starts before the range")
            if is_hourly
            else gettext("the first day starts before the range")
        )
    last = len(times) - 1
    end = bucket_end(times[last], interval)
    if end > window.end:
        indexes.add(last)
        if times[last] <= now < end:
            current = gettext("the current hour so far") if is_hourly else gettext("the current day so far")
            notes.append(current)
        else:
            notes.append(
                gettext("the last hour ends after the range")
                if is_hourly
                else gettext("the last day ends after the range")
            )
    return frozenset(indexes), notes


def bucket_end(start: datetime, interval: Interval) -> datetime:
    """Where the bucket starting at ``start`` ends: an hour later, or the next local midnight."""
    if interval == "hour":
        return start + timedelta(hours=1)
    local = timezone.localtime(start) if timezone.is_aware(start) else start
    return local + timedelta(days=1)  # wall-clock arithmetic: a day of 23 or 25 hours across DST


def _finite(value: float) -> float:
    number = float(value)
    return number if math.isfinite(number) else 0.0


def _count(number: int, interval: Interval, is_time: bool) -> str:
    if not is_time:
        text = ngettext("%(count)d interval", "%(count)d intervals", number)
    elif interval == "hour":
        text = ngettext("%(count)d hour", "%(count)d hours", number)
    else:
        text = ngettext("%(count)d day", "%(count)d days", number)
    return text % {"count": number}


def partial_title(text: str) -> str:
    """A mark's hover title, said to be of a partial interval: "01 Dec: 12 orders (partial)"."""
    return gettext("%(title)s (partial)") % {"title": text}


def path_through(points: Sequence[Point]) -> str:
    """An SVG path through ``points`` ("M1,2L3,4"), or "" for fewer than two."""
    return "M" + "L".join(f"{point.x:g},{point.y:g}" for point in points) if len(points) > 1 else ""


def _layout[Chart: CartesianChart](
    kind: type[Chart],
    title: str,
    series: Sequence[Series],
    unit: str,
    interval: Interval,
    window: Window | None,
    format_value: FormatValue | None,
    x_name: str,
    shape: str,
) -> Chart:
    """A cartesian chart of ``kind`` laid out as ``shape``: "bar", "stacked", "line" or "area"."""
    fmt = format_value or value_formatter(unit)
    keys = [key for key, _ in series[0].points] if series else []
    if any(len(one.points) != len(keys) for one in series):
        raise ValueError("every series of a chart needs the same buckets")
    values = [[_finite(value) for _, value in one.points] for one in series]
    is_time = bool(keys) and all(isinstance(key, datetime) for key in keys)
    times = [key for key in keys if isinstance(key, datetime)] if is_time else []
    labels = bucket_labels(times, interval) if is_time else [str(key) for key in keys]
    partial, notes = partial_buckets(times, interval, window)
    count = len(keys)

    stacked = shape == "stacked"
    if stacked:
        extent = [sum(max(column[i], 0.0) for column in values) for i in range(count)]
        extent += [sum(min(column[i], 0.0) for column in values) for i in range(count)]
    else:
        extent = [value for column in values for value in column]
    ticks = nice_ticks(extent, MAX_VALUE_TICKS)
    y = LinearScale(ticks, HEIGHT - BOTTOM, TOP)
    band = BandScale(count, LEFT, WIDTH - RIGHT)
    zero_y = y(0.0)

    marks = []
    stack_up, stack_down = [0.0] * count, [0.0] * count
    many = len(series) > 1
    for number, (one, column) in enumerate(zip(series, values, strict=True)):
        named = f", {one.name}" if many else ""
        titles = [
            partial_title(f"{label}{named}: {fmt(value)}")
            if index in partial
            else f"{label}{named}: {fmt(value)}"
            for index, (label, value) in enumerate(zip(labels, column, strict=True))
        ]
        if shape in ("bar", "stacked"):
            bars = []
            for index, value in enumerate(column):
                if stacked:
                    if value >= 0:
                        low, high = stack_up[index], stack_up[index] + value
                        stack_up[index] = high
                    else:
                        low, high = stack_down[index] + value, stack_down[index]
                        stack_down[index] = low
                else:
                    low, high = min(value, 0.0), max(value, 0.0)
                top, bottom = y(high), y(low)
                bars.append(
                    Bar(
                        labels[index],
                        value,
                        round(band.left(index) + band.width * 0.1, 2),
                        top,
                        round(max(band.width * 0.8, 0.5), 2),
                        round(bottom - top, 2),
                        titles[index],
                        index in partial,
                    )
                )
            marks.append(SeriesMarks(one.name, colour_of(number), bars, []))
            continue
        points = [
            Point(labels[index], value, band.centre(index), y(value), titles[index], index in partial)
            for index, value in enumerate(column)
        ]
        first = 1 if 0 in partial else 0
        last = count - 1 if count - 1 in partial else count
        partial_path = ""
        if count > 1 and 0 in partial:
            partial_path += path_through(points[:2])
        if count > 1 and count - 1 in partial:
            partial_path += path_through(points[-2:])
        area_path = ""
        if shape == "area" and count > 1:
            area_path = (
                f"M{points[0].x:g},{zero_y:g}L" + path_through(points)[1:] + f"L{points[-1].x:g},{zero_y:g}Z"
            )
        marks.append(
            SeriesMarks(
                one.name,
                colour_of(number),
                [],
                points,
                path_through(points[first:last]),
                partial_path,
                area_path,
            )
        )

    tick_indexes = (
        time_ticks(times, interval, max(1, int(band.end - band.start) // MIN_TICK_SPACING))
        if is_time
        else _label_ticks(labels, int(band.end - band.start) // MIN_TICK_SPACING)
    )
    x_ticks = [
        Tick(band.centre(index), label, number % 2 == 1, _anchor(band.centre(index)))
        for number, (index, label) in enumerate(tick_indexes)
    ]
    y_ticks = [Tick(y(value), tick_label(value, ticks)) for value in ticks.values]
    legend = [LegendEntry(one.name, colour_of(number)) for number, one in enumerate(series)] if many else []
    if notes:
        legend.append(LegendEntry(gettext("Partial: %(notes)s") % {"notes": "; ".join(notes)}, "partial"))
    rows = [
        TableRow(label, [fmt(column[index]) for column in values], index in partial)
        for index, label in enumerate(labels)
    ]
    return kind(
        title=title,
        unit=unit,
        summary=_summary(title, series, labels, values, fmt, shape, _count(count, interval, is_time), notes),
        x_name=x_name or (gettext("Time") if is_time or not keys else gettext("Label")),
        labels=labels,
        times=times,
        names=[one.name for one in series],
        values=values,
        series=marks,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        zero_y=zero_y,
        partial=tuple(sorted(partial)),
        partial_bands=[Band(band.left(index), round(band.width, 2)) for index in sorted(partial)],
        legend=legend,
        rows=rows,
    )


def _label_ticks(labels: Sequence[str], max_ticks: int) -> list[tuple[int, str]]:
    step = max(1, math.ceil(len(labels) / max(max_ticks, 1)))
    return [(index, labels[index]) for index in range(0, len(labels), step)]


def _anchor(position: float) -> str:
    if position > WIDTH - EDGE:
        return "end"
    return "start" if position < EDGE else "middle"


def _summary(
    title: str,
    series: Sequence[Series],
    labels: Sequence[str],
    values: Sequence[Sequence[float]],
    fmt: FormatValue,
    shape: str,
    intervals: str,
    notes: Sequence[str],
) -> str:
    """One sentence a screen reader says instead of the picture."""
    if not labels:
        return no_data_summary(title)
    if shape == "stacked":
        totals = [sum(column[index] for column in values) for index in range(len(labels))]
        peak = max(range(len(labels)), key=lambda index: totals[index])
        parts = ", ".join(
            f"{one.name} {fmt(sum(column))}" for one, column in zip(series, values, strict=True)
        )
        text = gettext("%(title)s: %(parts)s over %(intervals)s; the highest total %(peak)s at %(label)s") % {
            "title": title,
            "parts": parts,
            "intervals": intervals,
            "peak": fmt(totals[peak]),
            "label": labels[peak],
        }
    elif shape == "bar":
        column = values[0]
        peak = max(range(len(labels)), key=lambda index: column[index])
        text = gettext("%(title)s: %(total)s over %(intervals)s, peak %(peak)s at %(label)s") % {
            "title": title,
            "total": fmt(sum(column)),
            "intervals": intervals,
            "peak": fmt(column[peak]),
            "label": labels[peak],
        }
    else:
        described = []
        for one, column in zip(series, values, strict=True):
            peak = max(range(len(labels)), key=lambda index: column[index])
            described.append(
                gettext("%(name)s from %(first)s to %(last)s, peak %(peak)s at %(label)s")
                % {
                    "name": one.name,
                    "first": fmt(column[0]),
                    "last": fmt(column[-1]),
                    "peak": fmt(column[peak]),
                    "label": labels[peak],
                }
            )
        text = gettext("%(title)s, over %(intervals)s: %(series)s") % {
            "title": title,
            "intervals": intervals,
            "series": "; ".join(described),
        }
    if notes:
        return gettext("%(summary)s. Partial: %(notes)s.") % {"summary": text, "notes": "; ".join(notes)}
    return text + "."


def no_data_summary(title: str) -> str:
    """What a screen reader says of a chart without data: "Orders: no data."."""
    return gettext("%(title)s: no data.") % {"title": title}
