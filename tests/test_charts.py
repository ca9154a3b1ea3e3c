"""widgets/charts: scales and ticks (property-based), layouts, rendering, partial intervals, tables, cache."""

import dataclasses
import itertools
import math
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pathlib import Path
from pkgutil import iter_modules
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.test import override_settings
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

import widgets.charts
from widgets.builtin.kpi import Kpi
from widgets.cache import CacheEntry
from widgets.cache.codec import dumps, loads
from widgets.charts import (
    CHART_TYPES,
    BarChart,
    Series,
    area_chart,
    bar_chart,
    bucket_labels,
    compact_number,
    donut_chart,
    line_chart,
    nice_ticks,
    partial_buckets,
    sparkline,
    stacked_bar_chart,
    tick_label,
    time_ticks,
)
from widgets.tabular import DataTable, HasDataTable

SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2026, 11, 1, tzinfo=UTC)
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]

values = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
counts = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


def days(count, start=START, value=1.0):
    return [(start + timedelta(days=index), value) for index in range(count)]


def hours(count, start=START, value=1.0):
    return [(start + timedelta(hours=index), value) for index in range(count)]


def window(start, end):
    return SimpleNamespace(start=start, end=end)


def floats_in(value):
    """Every float in a laid-out chart, all the way down."""
    if isinstance(value, float):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from floats_in(getattr(value, field.name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from floats_in(item)


def numbers_in_paths(chart):
    paths = [series.line_path + series.partial_path + series.area_path for series in chart.series]
    return [float(number) for number in re.findall(r"-?\d+(?:\.\d+)?", "".join(paths))]


def render(chart, **context):
    return render_to_string(chart.template_name, {"chart": chart, **context})


def svg_of(html):
    """The chart's <svg>, parsed as XML: it must be well formed."""
    [svg] = re.findall(r"<svg\b.*?</svg>", html, flags=re.DOTALL)
    return ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def marks(svg, css_class):
    return [element for element in svg.iter() if css_class in element.get("class", "").split()]


# Value ticks


@given(st.lists(values, max_size=50), st.integers(min_value=2, max_value=12))
def test_value_ticks_include_zero_are_nice_even_and_cover_the_data(data, max_ticks):
    ticks = nice_ticks(data, max_ticks)
    assert 0.0 in ticks.values
    both_signs = min(data, default=0) <= -1e-9 and max(data, default=0) >= 1e-9
    assert 2 <= len(ticks.values) <= max(max_ticks, 3 if both_signs else 2)
    assert ticks.mantissa in (1, 2, 5)
    step = ticks.mantissa * 10.0**ticks.exponent
    for low, high in zip(ticks.values, ticks.values[1:], strict=False):
        assert high - low == pytest.approx(step, rel=1e-9)
    assert ticks.low <= min([0.0, *data]) + 1e-9
    assert ticks.high >= max([0.0, *data]) - 1e-9


readable = values.filter(lambda value: value == 0 or abs(value) >= 0.01)


@given(st.lists(readable, max_size=50), st.integers(min_value=2, max_value=12))
def test_value_tick_labels_are_short_and_tell_every_tick_apart(data, max_ticks):
    ticks = nice_ticks(data, max_ticks)
    labels = [tick_label(value, ticks) for value in ticks.values]
    assert len(set(labels)) == len(labels)
    assert "0" in labels
    assert all(re.fullmatch(r"-?[\d,]+(\.\d+)?[kMG]?", label) for label in labels)
    assert max(map(len, labels)) <= 6


@pytest.mark.parametrize(
    ("data", "labels"),
    [
        ([], ["0", "0.2", "0.4", "0.6", "0.8", "1"]),
        ([0, 0], ["0", "0.2", "0.4", "0.6", "0.8", "1"]),
        ([3, 17], ["0", "5", "10", "15", "20"]),
        ([1500], ["0", "0.5k", "1k", "1.5k"]),
        ([-5, 1234], ["-0.5k", "0", "0.5k", "1k", "1.5k"]),
        ([-1, 1], ["-1", "0", "1"]),  # with max_ticks 2 below: zero needs a third
        ([2_400_000], ["0", "0.5M", "1M", "1.5M", "2M", "2.5M"]),
        ([0.03], ["0", "0.01", "0.02", "0.03"]),
    ],
)
def test_value_tick_examples(data, labels):
    ticks = nice_ticks(data, 2 if data == [-1, 1] else 6)
    assert [tick_label(value, ticks) for value in ticks.values] == labels


def test_values_that_are_not_finite_are_left_out_of_the_ticks():
    assert nice_ticks([float("nan"), float("inf"), 3.0]).values == (0.0, 1.0, 2.0, 3.0)


# Time ticks

LABEL = re.compile(r"\d\d:00|\d\d [A-Z][a-z]{2}( \d{4})?|[A-Z][a-z]{2}( \d{4})?")


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)),
    st.sampled_from(["hour", "day"]),
    st.integers(min_value=1, max_value=400),
    st.integers(min_value=1, max_value=12),
    st.sampled_from(ZONES),
)
def test_time_ticks_are_ordered_inside_the_range_few_and_readable(start, interval, count, max_ticks, zone):
    step = timedelta(hours=1) if interval == "hour" else timedelta(days=1)
    start = start.replace(minute=0, second=0, microsecond=0)
    buckets = [start + index * step for index in range(count)]
    with timezone.override(ZoneInfo(zone)):
        ticks = time_ticks(buckets, interval, max_ticks)
    indexes = [index for index, _ in ticks]
    assert indexes == sorted(set(indexes))
    assert all(0 <= index < count for index in indexes)
    assert 1 <= len(ticks) <= max_ticks
    assert all(LABEL.fullmatch(label) for _, label in ticks)


def test_hourly_ticks_fall_on_whole_hours_and_name_the_day_at_midnight():
    buckets = [moment for moment, _ in hours(25)]
    assert time_ticks(buckets, "hour", 8) == [
        (0, "01 Nov"),
        (6, "06:00"),
        (12, "12:00"),
        (18, "18:00"),
        (24, "02 Nov"),
    ]


def test_daily_ticks_fall_on_mondays_or_first_days_of_months_when_days_would_crowd():
    week_ticks = time_ticks([moment for moment, _ in days(30)], "day", 8)
    assert {datetime(2026, 11, 1 + index).strftime("%a") for index, _ in week_ticks} == {"Mon"}
    month_ticks = time_ticks([moment for moment, _ in days(366)], "day", 8)
    assert [label for _, label in month_ticks] == [
        "Nov 2026",
        "Jan 2027",
        "Mar 2027",
        "May 2027",
        "Jul 2027",
        "Sep 2027",
        "Nov 2027",
    ]


def test_time_ticks_and_labels_are_in_the_active_time_zone():
    buckets = [moment for moment, _ in hours(3, start=datetime(2026, 11, 1, 22, tzinfo=UTC))]
    with timezone.override(ZoneInfo("Europe/Berlin")):  # UTC+1 in November
        assert bucket_labels(buckets, "hour") == ["01 Nov 23:00", "02 Nov 00:00", "02 Nov 01:00"]
        assert time_ticks(buckets, "hour", 8) == [(0, "23:00"), (1, "02 Nov"), (2, "01:00")]


# Layouts

cartesian_builders = {
    "line": lambda title, series, **kw: line_chart(title, series, **kw),
    "area": lambda title, series, **kw: area_chart(title, series, **kw),
    "bar": lambda title, series, **kw: bar_chart(title, series[0].points, **kw),
    "stacked": lambda title, series, **kw: stacked_bar_chart(title, series, **kw),
}


@given(st.lists(values, min_size=1, max_size=120))
def test_bars_lie_inside_the_plot_and_stand_on_zero(data):
    chart = bar_chart("Values", days(len(data)), unit="")
    chart = bar_chart(
        "Values", [(moment, value) for (moment, _), value in zip(days(len(data)), data, strict=True)]
    )
    for bar in chart.bars:
        assert chart.plot_left <= bar.x
        assert bar.x + bar.width <= chart.plot_right + 0.01
        assert chart.plot_top - 0.01 <= bar.y
        assert bar.y + bar.height <= chart.plot_bottom + 0.01
        assert bar.height >= 0
        assert chart.zero_y in (pytest.approx(bar.y), pytest.approx(bar.y + bar.height))


@given(st.lists(st.tuples(values, values, values), min_size=1, max_size=60))
def test_stacked_segments_add_up_to_each_bucket_total(rows):
    buckets = [moment for moment, _ in days(len(rows))]
    series = [
        Series(name, [(moment, row[number]) for moment, row in zip(buckets, rows, strict=True)])
        for number, name in enumerate(["a", "b", "c"])
    ]
    chart = stacked_bar_chart("Stacked", series)
    scale = (chart.plot_bottom - chart.plot_top) / (nice_ticks_of(chart)[-1] - nice_ticks_of(chart)[0])
    for index, row in enumerate(rows):
        segments = [one.bars[index] for one in chart.series]
        up = sum(bar.height for bar, value in zip(segments, row, strict=True) if value >= 0)
        down = sum(bar.height for bar, value in zip(segments, row, strict=True) if value < 0)
        assert up == pytest.approx(sum(value for value in row if value >= 0) * scale, abs=0.05 * len(row))
        assert down == pytest.approx(-sum(value for value in row if value < 0) * scale, abs=0.05 * len(row))
        for bar in segments:
            assert chart.plot_top - 0.01 <= bar.y
            assert bar.y + bar.height <= chart.plot_bottom + 0.01


def nice_ticks_of(chart):
    return nice_ticks([value for row in stacked_extent(chart) for value in row], 6).values


def stacked_extent(chart):
    count = len(chart.labels)
    return [
        [sum(max(column[index], 0.0) for column in chart.values) for index in range(count)],
        [sum(min(column[index], 0.0) for column in chart.values) for index in range(count)],
    ]


@given(st.lists(st.tuples(st.text(max_size=8), counts), max_size=20), st.integers(min_value=1, max_value=12))
def test_donut_angles_sum_to_a_full_circle(shares, shown):
    chart = donut_chart("Shares", shares, shown_slices=shown)
    assert len(chart.slices) <= shown + 1
    if chart.total:
        assert sum(one.end_angle - one.start_angle for one in chart.slices) == pytest.approx(360)
        assert sum(one.fraction for one in chart.slices) == pytest.approx(1)
        assert chart.slices[-1].end_angle == 360.0 or not chart.slices[-1].value
    else:
        assert chart.is_empty
        assert chart.summary == "Shares: no data."
    angles = [angle for one in chart.slices for angle in (one.start_angle, one.end_angle)]
    assert angles == sorted(angles)
    assert all(math.isfinite(number) for number in floats_in(chart))


@pytest.mark.parametrize("kind", cartesian_builders)
@pytest.mark.parametrize("data", [[], [0.0], [0.0, 0.0, 0.0], [5.0], [float("nan"), 2.0]], ids=str)
def test_no_data_all_zeros_one_point_or_nan_lay_out_without_nan(kind, data):
    series = [
        Series("Orders", [(moment, value) for (moment, _), value in zip(days(len(data)), data, strict=True)])
    ]
    chart = cartesian_builders[kind]("Orders", series, unit="orders")
    assert all(math.isfinite(number) for number in floats_in(chart))
    assert all(math.isfinite(number) for number in numbers_in_paths(chart))
    assert next(tick.label for tick in chart.y_ticks) == "0"
    assert chart.summary.startswith("Orders")
    assert svg_of(render(chart)) is not None


def test_a_single_point_is_a_dot_without_a_line():
    chart = line_chart("One", [Series("One", days(1, value=4.0))])
    [series] = chart.series
    assert (series.line_path, series.partial_path, len(series.points)) == ("", "", 1)
    assert len(marks(svg_of(render(chart)), "chart__dot")) == 1


def test_empty_charts_say_so():
    html = render(bar_chart("Orders", []))
    assert "No data" in html
    assert render(donut_chart("Countries", [])).count("No data") == 1
    assert sparkline("Revenue", []).summary == "Revenue: no data."


def test_series_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="same buckets"):
        line_chart("Mixed", [Series("a", days(3)), Series("b", days(2))])


def test_time_labels_do_not_crowd_even_at_90_points():
    chart = bar_chart("Orders", days(90))
    positions = [tick.position for tick in chart.x_ticks]
    assert all(later - earlier >= 60 for earlier, later in itertools.pairwise(positions))
    assert [tick.is_alternate for tick in chart.x_ticks] == [
        number % 2 == 1 for number in range(len(positions))
    ]
    assert chart.x_ticks[-1].position <= chart.width


# Partial intervals


def test_the_first_and_current_intervals_are_partial_when_the_window_cuts_them():
    now = START + timedelta(days=6, hours=5)
    covered = window(START + timedelta(hours=5), now)
    indexes, notes = partial_buckets([moment for moment, _ in days(7)], "day", covered, now=now)
    assert indexes == {0, 6}
    assert notes == ["the first day starts before the range", "the current day so far"]


def test_whole_days_are_not_partial():
    covered = window(START, START + timedelta(days=7))
    assert partial_buckets([moment for moment, _ in days(7)], "day", covered) == (frozenset(), [])


def test_a_past_window_ending_inside_an_interval_says_so_without_so_far():
    covered = window(START, START + timedelta(hours=2, minutes=30))
    indexes, notes = partial_buckets(
        [moment for moment, _ in hours(3)], "hour", covered, now=START + timedelta(days=9)
    )
    assert (indexes, notes) == ({2}, ["the last hour ends after the range"])


def test_partial_bars_are_drawn_lighter_and_named_in_legend_title_and_table():
    covered = window(START + timedelta(hours=5), timezone.now())
    chart = bar_chart("Orders", days(7), unit="orders", window=covered)
    svg = svg_of(html := render(chart))
    partial = marks(svg, "chart__bar--partial")
    assert len(partial) == 1  # the last day ends after START + 7 days: the window is far past it
    assert partial[0].find(f"{SVG}title").text == "01 Nov: 1 orders (partial)"
    assert len(marks(svg, "chart__partial-band")) == 1
    assert "Partial: the first day starts before the range" in html
    assert html.count("<small>(partial)</small>") == 1


def test_a_partial_last_point_has_a_dashed_segment_and_a_hollow_dot():
    now = START + timedelta(days=4, hours=3)
    chart = line_chart("Revenue", [Series("Revenue", days(5))], window=window(START, now))
    assert chart.partial == (4,)
    svg = svg_of(render(chart))
    [dashed] = marks(svg, "chart__line--partial")
    assert dashed.get("d").count("L") == 1
    assert [dot.get("class") for dot in marks(svg, "chart__dot")][-1] == "chart__dot chart__dot--partial"


# Rendering


@pytest.mark.parametrize(
    "chart",
    [
        bar_chart("Orders", days(90), unit="orders"),
        line_chart("Revenue", [Series("Shop", days(24)), Series("Market", days(24, value=2.0))]),
        area_chart("Revenue", [Series("Shop", hours(48))], interval="hour"),
        stacked_bar_chart("Orders", [Series("Paid", days(30)), Series("Refunded", days(30, value=0.5))]),
    ],
    ids=["bar", "line", "area", "stacked"],
)
def test_cartesian_charts_render_valid_svg_with_a_title_per_mark_and_every_point_in_the_table(chart):
    html = render(chart, chart_id="orders")
    svg = svg_of(html)
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "chart-orders-title chart-orders-desc"
    assert svg.get("viewBox") == "0 0 600 240"
    assert svg.get("width") == "100%"
    assert "preserveAspectRatio" not in html
    assert svg.find(f"{SVG}title").text == chart.title
    assert svg.find(f"{SVG}desc").text == chart.summary
    drawn = marks(svg, "chart__bar") + marks(svg, "chart__dot")
    assert len(drawn) == len(chart.labels) * len(chart.series)
    assert all(mark.find(f"{SVG}title") is not None for mark in drawn)
    assert len(marks(svg, "chart__gridline")) == len(chart.y_ticks)
    assert html.count('<th scope="row">') == len(chart.labels)
    assert 'style="' not in html
    assert 'fill="#' not in html


def test_several_series_have_a_legend_entry_each():
    chart = stacked_bar_chart("Orders", [Series("Paid", days(3)), Series("Refunded", days(3))])
    assert [(entry.label, entry.colour) for entry in chart.legend] == [("Paid", "1"), ("Refunded", "2")]
    assert render(chart).count("chart__swatch chart__series--") == 2


def test_the_donut_renders_a_titled_slice_each_and_a_legend_and_table():
    chart = donut_chart("By country", [("DE", 3.0), ("FR", 1.0)], unit="orders", category="Country")
    html = render(chart)
    svg = svg_of(html)
    titles = [slice_.find(f"{SVG}title").text for slice_ in marks(svg, "chart__slice")]
    assert titles == ["DE: 3 orders (75.0 %)", "FR: 1 orders (25.0 %)"]
    assert "4 orders" in html
    assert html.count('<th scope="row">') == 2


def test_a_donut_of_one_share_is_a_whole_ring():
    [whole] = donut_chart("All", [("DE", 5.0)]).slices
    assert (whole.start_angle, whole.end_angle, whole.path.count("A")) == (0.0, 360.0, 4)


def test_a_sparkline_in_a_key_figure_renders_inside_its_list():
    trend = sparkline("Revenue per day", days(7, value=2.0), unit="EUR")
    html = render_to_string(
        "widgets/builtin/kpi.html#ready",
        {"kpis": [Kpi("Revenue", "€14.00", sparkline=trend)], "frame": SimpleNamespace(name="revenue")},
    )
    svg = svg_of(html)
    assert svg.get("aria-labelledby") == "chart-revenue-kpi-1-title chart-revenue-kpi-1-desc"
    assert len(marks(svg, "chart__hit")) == 7


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30))
def test_hostile_labels_are_escaped(label):
    hostile = f'<script>alert(1)</script>"{label}'
    charts = [
        bar_chart(hostile, [(hostile, 1.0)], unit=hostile),
        line_chart(hostile, [Series(hostile, [(hostile, 1.0), ("b", 2.0)])]),
        donut_chart(hostile, [(hostile, 1.0)], category=hostile),
    ]
    for chart in charts:
        html = render(chart)
        assert "<script>" not in html
        assert svg_of(html).find(f"{SVG}title").text == hostile


@override_settings(USE_THOUSAND_SEPARATOR=True)
def test_coordinates_are_never_localised():
    chart = bar_chart("Orders", days(7, value=1234.5))
    with translation.override("de"):
        html = render(chart)
    coordinates = re.findall(r' (?:x|y|width|height|x1|x2|y1|y2)="([^"%]*)"', html)
    assert coordinates
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", number) for number in coordinates)


# Tables


def test_a_cartesian_chart_table_has_a_column_per_series_and_numbers_as_numbers():
    chart = stacked_bar_chart("Orders", [Series("Paid", days(2, value=3.0)), Series("Refunded", days(2))])
    table = chart.as_data_table()
    assert isinstance(chart, HasDataTable)
    assert table == DataTable(
        ["Time", "Paid", "Refunded"], [[START, 3.0, 1.0], [START + timedelta(days=1), 3.0, 1.0]], "Orders"
    )


def test_labelled_bars_and_donuts_and_sparklines_as_tables():
    assert bar_chart("Sales", [("Mug", 2.0)], unit="EUR").as_data_table() == DataTable(
        ["Label", "EUR"], [["Mug", 2.0]], "Sales"
    )
    assert donut_chart(
        "Shares", [("DE", 3.0), ("FR", 1.0)], unit="orders", category="Country"
    ).as_data_table() == (
        DataTable(["Country", "Orders", "Share"], [["DE", 3.0, 0.75], ["FR", 1.0, 0.25]], "Shares")
    )
    assert sparkline("Revenue", days(2), unit="EUR").as_data_table() == DataTable(
        ["Time", "EUR"], [[START, 1.0], [START + timedelta(days=1), 1.0]], "Revenue"
    )


# The cache


def test_every_dataclass_of_the_charts_is_registered_with_the_codec():
    modules = [import_module(f"widgets.charts.{info.name}") for info in iter_modules(widgets.charts.__path__)]
    defined = {
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module.__name__
    }
    never_in_a_value = {  # scales used while laying out, and the base class of the cartesian kinds
        widgets.charts.ValueTicks,
        widgets.charts.LinearScale,
        widgets.charts.BandScale,
        widgets.charts.CartesianChart,
    }
    assert defined - never_in_a_value == set(CHART_TYPES)


@pytest.mark.parametrize(
    "chart",
    [
        bar_chart("Orders", days(3), window=window(START + timedelta(hours=1), START + timedelta(days=3))),
        line_chart("Revenue", [Series("A", days(3)), Series("B", days(3))]),
        area_chart("Revenue", [Series("A", hours(5))], interval="hour"),
        stacked_bar_chart("Orders", [Series("Paid", days(2)), Series("Refunded", days(2))]),
        donut_chart("Countries", [("DE", 3.0), ("FR", 1.0), ("US", 1.0)], shown_slices=2),
        sparkline("Revenue", days(4)),
        Kpi("Revenue", "€4.00", sparkline=sparkline("Revenue", days(4))),
    ],
    ids=["bar", "line", "area", "stacked", "donut", "sparkline", "kpi"],
)
def test_charts_come_back_from_the_cache_equal(chart):
    stored = loads(dumps(CacheEntry({"chart": chart}, 1.0)), CacheEntry)
    assert stored.value["chart"] == chart
    assert type(stored.value["chart"]) is type(chart)


def test_a_chart_from_the_cache_renders_as_before():
    chart = bar_chart("Orders", days(5), window=window(START + timedelta(hours=1), START + timedelta(days=5)))
    stored = loads(dumps(CacheEntry({"chart": chart}, 1.0)), CacheEntry).value["chart"]
    assert isinstance(stored, BarChart)
    assert render(stored) == render(chart)


# The docs


def test_the_snippet_in_the_docs_runs():
    docs = (Path(__file__).resolve().parent.parent / "docs" / "widgets.md").read_text()
    section = docs.split("## Charts (`widgets/charts/`)")[1].split("\n## ")[0]
    [snippet] = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    exec(compile(snippet, "docs/widgets.md", "exec"), {})


@given(st.floats(min_value=-1e11, max_value=1e11, allow_nan=False).filter(lambda v: v == 0 or abs(v) >= 1e-3))
def test_compact_numbers_have_three_significant_digits_at_most(value):
    text = compact_number(value)
    match = re.fullmatch(r"-?(\d+(?:\.\d+)?)([kMG]?)", text)
    assert match, text
    assert len(match[1].replace(".", "").lstrip("0")) <= 3
    scale = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}[match[2]]
    assert float(text.rstrip("kMG")) * scale == pytest.approx(value, rel=0.006, abs=0.0006)
