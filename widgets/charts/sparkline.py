"""A word-sized line without axes, for a key figure: how it moved, zero at the bottom."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from django.utils.translation import gettext

from widgets.charts.cartesian import (
    FormatValue,
    Window,
    capitalised,
    no_data_summary,
    partial_buckets,
    partial_title,
    path_through,
    value_formatter,
)
from widgets.charts.marks import Point
from widgets.charts.scales import Interval, LinearScale, bucket_labels, nice_ticks
from widgets.tabular import DataTable

WIDTH, HEIGHT = 120, 32
PAD = 3  # room for the last point's dot


@dataclass(frozen=True)
class Sparkline:
    """A line through ``points``; the last one's dot drawn, hollow (and its segment dashed) when partial."""

    title: str
    unit: str
    summary: str
    labels: list[str]
    times: list[datetime]
    values: list[float]
    points: list[Point]
    line_path: str
    partial_path: str
    area_path: str
    hit_radius: float  # each point's hover target: a transparent circle half as wide as the gap to the next
    width: int = WIDTH
    height: int = HEIGHT

    kind: ClassVar[str] = "sparkline"
    template_name: ClassVar[str] = "widgets/charts/sparkline.html"

    @property
    def last(self) -> Point | None:
        return self.points[-1] if self.points else None

    def as_data_table(self) -> DataTable:
        keys: Sequence[datetime | str] = self.times or self.labels
        column = capitalised(self.unit) or gettext("Value")
        rows = [[key, value] for key, value in zip(keys, self.values, strict=True)]
        return DataTable([gettext("Time"), column], rows, self.title)


def sparkline(
    title: str,
    points: Sequence[tuple[datetime, float]],
    *,
    unit: str = "",
    interval: Interval = "day",
    window: Window | None = None,
    format_value: FormatValue | None = None,
) -> Sparkline:
    """``(bucket start, value)`` points as a sparkline; ``window`` marks a last partial bucket."""
    fmt = format_value or value_formatter(unit)
    times = [moment for moment, _ in points]
    values = [float(value) for _, value in points]
    labels = bucket_labels(times, interval)
    partial, _ = partial_buckets(times, interval, window)
    y = LinearScale(nice_ticks(values, 2), HEIGHT - PAD, PAD)
    count = len(values)
    step = (WIDTH - 2 * PAD) / (count - 1) if count > 1 else 0.0
    marks = [
        Point(
            label,
            value,
            round(PAD + index * step if count > 1 else WIDTH / 2, 2),
            y(value),
            partial_title(f"{label}: {fmt(value)}") if index in partial else f"{label}: {fmt(value)}",
            index in partial,
        )
        for index, (label, value) in enumerate(zip(labels, values, strict=True))
    ]
    first = 1 if 0 in partial else 0
    last = count - 1 if count - 1 in partial else count
    partial_path = ""
    if count > 1 and 0 in partial:
        partial_path += path_through(marks[:2])
    if count > 1 and count - 1 in partial:
        partial_path += path_through(marks[-2:])
    area_path = ""
    if count > 1:
        bottom = y(0.0)
        area_path = f"M{marks[0].x:g},{bottom:g}L" + path_through(marks)[1:] + f"L{marks[-1].x:g},{bottom:g}Z"
    if values:
        summary = gettext(
            "%(title)s: from %(first)s (%(first_label)s) to %(last)s (%(last_label)s), "
            "lowest %(lowest)s, highest %(highest)s."
        ) % {
            "title": title,
            "first": fmt(values[0]),
            "first_label": labels[0],
            "last": fmt(values[-1]),
            "last_label": labels[-1],
            "lowest": fmt(min(values)),
            "highest": fmt(max(values)),
        }
    else:
        summary = no_data_summary(title)
    return Sparkline(
        title,
        unit,
        summary,
        labels,
        times,
        values,
        marks,
        path_through(marks[first:last]),
        partial_path,
        area_path,
        round(max(step / 2, 2.0) if count > 1 else HEIGHT / 2, 2),
    )
