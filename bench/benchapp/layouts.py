"""Bench layouts for the demo's own dashboard page.

S1 (a) and S5 measure "our page": the dashboard view and template at ``/``,
unchanged. Only the tiles differ: ``use_layout`` swaps the contents of
``dashboard.layout.DEMO_LAYOUT`` in place, at start-up of a bench server.
"""

from django.core.exceptions import ImproperlyConfigured

from bench.benchapp.names import S1_WIDGET_NAMES, S5_WIDGET_NAMES
from dashboard import layout

LAYOUTS = {
    "s1": [layout.Tile(name) for name in S1_WIDGET_NAMES],
    "s5": [layout.Tile(name) for name in S5_WIDGET_NAMES],
}


def use_layout(name: str) -> None:
    if name not in LAYOUTS:
        raise ImproperlyConfigured(f"BENCH_LAYOUT must be one of {sorted(LAYOUTS)}, got {name!r}")
    layout.DEMO_LAYOUT[:] = LAYOUTS[name]
