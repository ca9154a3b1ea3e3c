"""Charts as widgets: ``ChartWidget`` renders any chart of ``widgets.charts``; ``TimeSeriesWidget``, bars.

The chart builders are re-exported here for projects (the demo among them)
that import only ``widgets`` and ``widgets.builtin``.
"""

from collections.abc import Sequence
from typing import ClassVar

from django.utils.translation import gettext

from widgets.base import Widget
from widgets.charts import (
    AreaChart,
    BarChart,
    DonutChart,
    LineChart,
    Series,
    Sparkline,
    StackedBarChart,
    area_chart,
    bar_chart,
    donut_chart,
    line_chart,
    sparkline,
    stacked_bar_chart,
)

__all__ = [
    "AreaChart",
    "BarChart",
    "ChartWidget",
    "DonutChart",
    "LineChart",
    "Series",
    "Sparkline",
    "StackedBarChart",
    "TimeSeriesWidget",
    "area_chart",
    "bar_chart",
    "build_bar_chart",
    "donut_chart",
    "line_chart",
    "sparkline",
    "stacked_bar_chart",
]


class ChartWidget(Widget):
    """Renders ``{"chart": chart}``, any chart of ``widgets.charts``, with its kind's template."""

    template_name: ClassVar[str] = "widgets/builtin/chart.html"


class TimeSeriesWidget(ChartWidget):
    """Renders ``{"chart": BarChart}``."""

    template_name: ClassVar[str] = "widgets/builtin/timeseries.html"


def build_bar_chart(title: str, points: Sequence[tuple[str, float]], unit: str) -> BarChart:
    """``(label, value)`` points as a bar chart: ``bar_chart`` without a time axis or partial intervals."""
    return bar_chart(title, points, unit=unit, x_name=gettext("Time"))
