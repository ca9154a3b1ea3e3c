"""Server-rendered SVG charts that need no JavaScript: line, area, bar, stacked bar, donut, sparkline.

A builder lays a chart out in SVG user units (``scales``: nice value ticks
that include zero, time ticks on calendar boundaries in the active time zone);
its template (``widgets/charts/<kind>.html``, named by ``chart.template_name``)
only places the marks. Every chart has a hover ``<title>`` per mark, a data
table fallback, and ``as_data_table()`` (a ``widgets.tabular.DataTable``).

- ``scales``: ``nice_ticks``, ``tick_label``, ``time_ticks``, ``LinearScale``, ``BandScale``;
  ``format_decimal``, a number in the active language
- ``marks``: what is drawn (``Bar``, ``Point``, ``SeriesMarks``, ``Band``, ``LegendEntry``, ``TableRow``)
- ``cartesian``: ``line_chart``, ``area_chart``, ``bar_chart``, ``stacked_bar_chart``; partial intervals
- ``donut``: ``donut_chart``; ``sparkline``: ``sparkline``
"""

from widgets.charts.cartesian import (
    AreaChart,
    BarChart,
    CartesianChart,
    LineChart,
    Series,
    StackedBarChart,
    Window,
    area_chart,
    bar_chart,
    bucket_end,
    format_number,
    line_chart,
    partial_buckets,
    stacked_bar_chart,
    value_formatter,
)
from widgets.charts.donut import DonutChart, Slice, donut_chart
from widgets.charts.marks import Band, Bar, LegendEntry, Point, SeriesMarks, TableRow
from widgets.charts.scales import (
    BandScale,
    Interval,
    LinearScale,
    Tick,
    ValueTicks,
    bucket_label,
    bucket_labels,
    compact_number,
    format_decimal,
    local_times,
    nice_ticks,
    tick_label,
    time_ticks,
)
from widgets.charts.sparkline import Sparkline, sparkline

type Chart = LineChart | AreaChart | BarChart | StackedBarChart | DonutChart | Sparkline

# Every dataclass a chart is made of: the cache's codec reads them back from Redis.
CHART_TYPES: tuple[type, ...] = (
    AreaChart,
    Band,
    Bar,
    BarChart,
    DonutChart,
    LegendEntry,
    LineChart,
    Point,
    Series,
    SeriesMarks,
    Slice,
    Sparkline,
    StackedBarChart,
    TableRow,
    Tick,
)

__all__ = [
    "CHART_TYPES",
    "AreaChart",
    "Band",
    "BandScale",
    "Bar",
    "BarChart",
    "CartesianChart",
    "Chart",
    "DonutChart",
    "Interval",
    "LegendEntry",
    "LineChart",
    "LinearScale",
    "Point",
    "Series",
    "SeriesMarks",
    "Slice",
    "Sparkline",
    "StackedBarChart",
    "TableRow",
    "Tick",
    "ValueTicks",
    "Window",
    "area_chart",
    "bar_chart",
    "bucket_end",
    "bucket_label",
    "bucket_labels",
    "compact_number",
    "donut_chart",
    "format_decimal",
    "format_number",
    "line_chart",
    "local_times",
    "nice_ticks",
    "partial_buckets",
    "sparkline",
    "stacked_bar_chart",
    "tick_label",
    "time_ticks",
    "value_formatter",
]
