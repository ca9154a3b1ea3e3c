"""Dashboards: declared layouts of widgets with page filters, served as one streamed response.

- ``declarations``: ``Dashboard`` and ``Tile``, what a project declares;
- ``registry``: dashboards by slug, and ``register`` for widgets and dashboards alike;
- ``periods``: the built-in time-range filter (``PeriodField``, ``Period``, ``TimeWindow``);
- ``filters``: a dashboard's filters, read from the page URL, as page variables;
- ``layout``: each tile's widget with the parameters the filters give it;
- ``stream``: the page as one response, the shell first, then each widget as it loads;
- ``views``: the dashboard page and the index of dashboards.
"""

from widgets.pages.declarations import Dashboard, NoFilters, Tile
from widgets.pages.periods import Period, PeriodField, TimeWindow
from widgets.pages.registry import dashboards, register

__all__ = [
    "Dashboard",
    "NoFilters",
    "Period",
    "PeriodField",
    "Tile",
    "TimeWindow",
    "dashboards",
    "register",
]
