"""The bench dashboards, declared through the framework's public API like any project's.

- ``s1``: the twelve S1 widgets (S1 (a)).
- ``s5``: the six S5 widgets, one PostgreSQL aggregate each.

They take the demo shop's filters, so each filter combination is a cold cache.
"""

from bench.benchapp.names import S1_WIDGET_NAMES, S5_WIDGET_NAMES
from dashboard.filters import ShopFilters
from widgets import Dashboard, Tile, register


@register
class S1Dashboard(Dashboard):
    slug = "s1"
    title = "S1: twelve widgets, each an upstream request and an aggregate"
    filters_form = ShopFilters
    layout = tuple(Tile(name) for name in S1_WIDGET_NAMES)


@register
class S5Dashboard(Dashboard):
    slug = "s5"
    title = "S5: six widgets, one PostgreSQL aggregate each"
    filters_form = ShopFilters
    layout = tuple(Tile(name) for name in S5_WIDGET_NAMES)
