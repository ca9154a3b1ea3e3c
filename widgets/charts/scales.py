"""Scales: where a value or a time bucket goes on a chart, and which ticks label the axes.

A value axis always shows zero and steps of 1, 2 or 5 times a power of ten; a
time axis labels buckets on calendar boundaries (whole hours, midnights,
Mondays, the first of a month) in the active time zone.

Labels are text in the active language: numbers with its separators ("1.5k",
German "1,5k"; the k, M and G of short numbers are the same in every
language), days and months in its words ("01 Dec", German "1. Dez."). Only
labels: a chart's coordinates are plain numbers, and its templates render
them with localisation off.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.utils import dateformat, formats, timezone
from django.utils.translation import pgettext

type Interval = Literal["hour", "day"]

NICE_MANTISSAS = (1, 2, 5)
TINY = 1e-9  # values nearer zero than this are drawn as zero: their ticks would need dozens of decimals


@dataclass(frozen=True)
class Tick:
    """A label on an axis at ``position`` (SVG user units); ``is_alternate`` ones hide on narrow charts."""

    position: float
    label: str
    is_alternate: bool = False
    anchor: str = "middle"


@dataclass(frozen=True)
class ValueTicks:
    """Evenly spaced tick values from ``low`` to ``high``, ``step`` apart: 1, 2 or 5 times a power of ten.

    ``mantissa`` is that 1, 2 or 5, ``exponent`` the power.
    """

    values: tuple[float, ...]
    mantissa: int
    exponent: int

    @property
    def step(self) -> float:
        return self.values[1] - self.values[0]

    @property
    def low(self) -> float:
        return self.values[0]

    @property
    def high(self) -> float:
        return self.values[-1]


def nice_ticks(values: Sequence[float], max_ticks: int = 6) -> ValueTicks:
    """Ticks covering ``values`` and zero, at most ``max_ticks`` of them (at least 2).

    The step is the smallest of 1, 2, 5, 10, 20, 50, … (or 0.5, 0.2, 0.1, …)
    that needs no more than ``max_ticks`` ticks (3 when the values are on both
    sides of zero); no data, or only zeros, gives 0 to 1. Values that are not
    finite are ignored.
    """
    finite = [value if abs(value) >= TINY else 0.0 for value in values if math.isfinite(value)]
    low, high = min([0.0, *finite]), max([0.0, *finite])
    if low == high:
        high = 1.0
    max_ticks = max(max_ticks, 3 if low < 0 < high else 2)  # below zero, zero, above zero
    span = high - low
    exponent = math.floor(math.log10(span / (max_ticks - 1)))
    while True:
        for mantissa in NICE_MANTISSAS:
            step = mantissa * 10.0**exponent
            first, last = math.floor(low / step), math.ceil(high / step)
            # Float division can put a value a hair past a multiple of the step.
            if first * step > low:
                first -= 1
            if last * step < high:
                last += 1
            if last - first + 1 <= max_ticks:
                digits = max(0, -exponent)
                ticks = tuple(round(index * step, digits) + 0.0 for index in range(first, last + 1))
                return ValueTicks(ticks, mantissa, exponent)
        exponent += 1


def format_decimal(value: float | Decimal, decimals: int) -> str:
    """``value`` rounded to ``decimals`` places, in the active language: "1,234.50", German "1.234,50"."""
    # Rounded here: Django's number_format cuts the digits past decimal_pos off.
    rounded = Decimal(f"{value:.{decimals}f}")
    return formats.number_format(rounded, decimals, use_l10n=True, force_grouping=True)


def localised_digits(text: str) -> str:
    """A plain number's text ("-1234.5") in the active language's separators, keeping its decimals."""
    if not math.isfinite(float(text)) or "e" in text.lower():
        return text
    decimals = len(text.partition(".")[2])
    return formats.number_format(Decimal(text), decimals, use_l10n=True, force_grouping=True)


def tick_label(value: float, ticks: ValueTicks) -> str:
    """``value`` as short text for an axis: 1,500 is "1.5k" beside 1,000 and 2,000, 2,000,000 "2M"."""
    largest = max(abs(ticks.low), abs(ticks.high))
    exponent = ticks.exponent
    suffix = ""
    for power, name in ((9, "G"), (6, "M"), (3, "k")):
        if largest >= 10**power:
            value, exponent, suffix = value / 10**power, exponent - power, name
            break
    text = f"{value:.{max(0, -exponent)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("0", "-0") else localised_digits(text) + suffix


def compact_number(value: float) -> str:
    """``value`` in three significant digits at most: 17,534 is "17.5k", 1,063,362 "1.06M", 12.5 "12.5"."""
    rounded = float(f"{value:.3g}")  # first: 999,600 is "1M", not "1e+03k"
    for power, suffix in ((9, "G"), (6, "M"), (3, "k")):
        if abs(rounded) >= 10**power:
            return localised_digits(f"{rounded / 10**power:.3g}") + suffix
    return localised_digits(f"{rounded:.3g}")


@dataclass(frozen=True)
class LinearScale:
    """Values from ``ticks.low`` to ``ticks.high`` onto ``start`` to ``end`` (``end`` < ``start`` for y)."""

    ticks: ValueTicks
    start: float
    end: float

    def __call__(self, value: float) -> float:
        low, high = self.ticks.low, self.ticks.high
        return round(self.start + (value - low) / (high - low) * (self.end - self.start), 2)


def linear_scale(values: Sequence[float], start: float, end: float, max_ticks: int = 6) -> LinearScale:
    return LinearScale(nice_ticks(values, max_ticks), start, end)


# Time: buckets (hours or days) as bands of equal width, labelled on calendar boundaries.

HOUR_STEPS = (1, 2, 3, 6, 12)  # hours; then whole days
DAY_STEPS = (1, 2)  # days; then weeks and months
WEEK_STEPS = (1, 2)  # Mondays
MONTH_STEPS = (1, 2, 3, 6, 12)  # first days of months


def local_times(moments: Sequence[datetime]) -> list[datetime]:
    """``moments`` in the active time zone (naive ones as they are)."""
    zone = timezone.get_current_timezone()
    return [moment.astimezone(zone) if moment.utcoffset() is not None else moment for moment in moments]


def bucket_labels(moments: Sequence[datetime], interval: Interval) -> list[str]:
    """Each bucket in full, for hover titles and tables: "01 Dec 14:00", "01 Dec" (active time zone).

    In the active language: German "1. Dez. 14:00", "1. Dez.".
    """
    if interval == "hour":
        pattern = pgettext("an hour on a chart, as a Django date format", "d M H:00")
    else:
        pattern = pgettext("a day on a chart, as a Django date format", "d M")
    return [dateformat.format(local, pattern) for local in local_times(moments)]


def bucket_label(moment: datetime, interval: Interval) -> str:
    """One bucket in full, as ``bucket_labels`` writes it."""
    return bucket_labels([moment], interval)[0]


def _is_boundary(local: datetime, interval: Interval, unit: str, count: int) -> bool:
    """Whether the bucket starting at ``local`` starts a ``count``-``unit`` step on the calendar."""
    if unit == "hour":
        return local.hour % count == 0
    if interval == "hour" and local.hour != 0:
        return False
    if unit == "day":
        return (local.toordinal() - 1) % count == 0  # 1 Jan 0001 was a Monday
    if unit == "week":
        return local.weekday() == 0 and ((local.toordinal() - 1) // 7) % count == 0
    return local.day == 1 and (local.year * 12 + local.month - 1) % count == 0


def _steps(interval: Interval) -> list[tuple[str, int]]:
    hours = [("hour", count) for count in HOUR_STEPS] if interval == "hour" else []
    days = [("day", count) for count in DAY_STEPS] + [("week", count) for count in WEEK_STEPS]
    return hours + days + [("month", count) for count in MONTH_STEPS]


def _time_label(local: datetime, interval: Interval, unit: str, spans_years: bool) -> str:
    if unit == "hour" and local.hour != 0:
        return dateformat.format(local, "H:00")
    if unit == "month":
        if spans_years or local.month == 1:
            pattern = pgettext("a month and its year on a chart axis, as a Django date format", "M Y")
        else:
            pattern = pgettext("a month on a chart axis, as a Django date format", "M")
    elif spans_years and local.month == 1 and local.day == 1:
        pattern = pgettext("a day and its year on a chart axis, as a Django date format", "d M Y")
    else:
        pattern = pgettext("a day on a chart, as a Django date format", "d M")
    return dateformat.format(local, pattern)


def time_ticks(buckets: Sequence[datetime], interval: Interval, max_ticks: int) -> list[tuple[int, str]]:
    """``(bucket index, label)`` for the buckets that start a calendar step, at most ``max_ticks``.

    The step is the smallest of 1, 2, 3, 6, 12 hours (hourly buckets), 1 or 2
    days, 1 or 2 weeks (Mondays), 1, 2, 3, 6 or 12 months that labels at least
    one bucket and no more than ``max_ticks``. Hours read "14:00", midnights
    and days "02 Dec", months "Jan 2027" (the year when the range spans two),
    in the active language (German "2. Dez.", "Jan. 2027").
    Buckets are read in the active time zone (``timezone.localtime``).
    """
    if not buckets:
        return []
    local = local_times(buckets)
    spans_years = local[0].year != local[-1].year
    for unit, count in _steps(interval):
        indexes = [index for index, moment in enumerate(local) if _is_boundary(moment, interval, unit, count)]
        if 1 <= len(indexes) <= max(max_ticks, 1):
            return [(index, _time_label(local[index], interval, unit, spans_years)) for index in indexes]
    return [(0, bucket_label(buckets[0], interval))]


@dataclass(frozen=True)
class BandScale:
    """``count`` equal bands from ``start`` to ``end``: where bucket ``index`` starts, and its centre."""

    count: int
    start: float
    end: float

    @property
    def width(self) -> float:
        return (self.end - self.start) / self.count if self.count else 0.0

    def left(self, index: int) -> float:
        return round(self.start + index * self.width, 2)

    def centre(self, index: int) -> float:
        return round(self.start + (index + 0.5) * self.width, 2)
