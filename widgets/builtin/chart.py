"""Time series as a server-rendered SVG bar chart with a data-table fallback."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from widgets.base import Widget
from widgets.builtin.tabular import DataTable

CHART_WIDTH = 600
CHART_HEIGHT = 200
AXIS_GUTTER = 40


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class BarChart:
    """Bars in SVG user units, plus what a screen reader or a table needs."""

    title: str
    bars: list[Bar]
    max_value: float
    total: float
    unit: str
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT

    @property
    def summary(self) -> str:
        if not self.bars:
            return f"{self.title}: no data"
        peak = max(self.bars, key=lambda bar: bar.value)
        return (
            f"{self.title}: {self.total:,.0f} {self.unit} over {len(self.bars)} intervals, "
            f"peak {peak.value:,.0f} at {peak.label}"
        )

    def as_data_table(self) -> DataTable:
        """A row per bar: its label and its value (the table under the chart has the same columns)."""
        return DataTable(
            ["Time", self.unit[:1].upper() + self.unit[1:]],
            [[bar.label, bar.value] for bar in self.bars],
            self.title,
        )


def build_bar_chart(title: str, points: Sequence[tuple[str, float]], unit: str) -> BarChart:
    """Lay out ``(label, value)`` points as bars filling the chart's width."""
    max_value = max((value for _, value in points), default=0.0)
    plot_width = CHART_WIDTH - AXIS_GUTTER
    slot = plot_width / len(points) if points else 0.0
    bars = []
    for index, (label, value) in enumerate(points):
        height = (value / max_value) * (CHART_HEIGHT - 10) if max_value else 0.0
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(AXIS_GUTTER + index * slot, 2),
                y=round(CHART_HEIGHT - height, 2),
                width=round(max(slot * 0.8, 0.5), 2),
                height=round(height, 2),
            )
        )
    return BarChart(title, bars, max_value, sum(value for _, value in points), unit)


class TimeSeriesWidget(Widget):
    """Renders ``{"chart": BarChart}``."""

    template_name: ClassVar[str] = "widgets/builtin/timeseries.html"
