"""Key figures: a value, an optional change against a previous period."""

from dataclasses import dataclass
from typing import ClassVar

from widgets.base import Widget
from widgets.charts import Sparkline, format_decimal


@dataclass(frozen=True)
class Kpi:
    """One key figure; ``change`` is a fraction (0.12 for +12 %) or None; ``sparkline`` how it moved."""

    label: str
    value: str
    change: float | None = None
    detail: str = ""
    sparkline: Sparkline | None = None

    @property
    def change_percent(self) -> str:
        """The change with its sign, in the active language: "+12.5 %" (German "+12,5 %")."""
        if self.change is None:
            return ""
        signed = f"{self.change * 100:+.1f}"  # rounded first: -0.04 % reads "-0.0 %", as it always did
        return f"{signed[0]}{format_decimal(float(signed[1:]), 1)} %"

    @property
    def trend(self) -> str:
        if self.change is None or abs(self.change) < 0.0005:
            return "flat"
        return "up" if self.change > 0 else "down"


class KpiWidget(Widget):
    """Renders ``{"kpis": [Kpi, ...]}``."""

    template_name: ClassVar[str] = "widgets/builtin/kpi.html"


def relative_change(current: float, previous: float) -> float | None:
    """The change from ``previous`` to ``current`` as a fraction; None when undefined."""
    if previous == 0:
        return None
    return (current - previous) / previous
