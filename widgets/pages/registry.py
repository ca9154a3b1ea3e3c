"""Dashboards by slug, and ``register``: one decorator for widgets and dashboards alike."""

from typing import overload

from widgets.base import Widget
from widgets.pages.declarations import Dashboard
from widgets.registry import Registry, registry


class DashboardRegistry(Registry[Dashboard]):
    """Dashboards by ``slug``."""

    def __init__(self) -> None:
        super().__init__("slug", "dashboard")


dashboards = DashboardRegistry()


@overload
def register[W: Widget](item_class: type[W]) -> type[W]: ...
@overload
def register[D: Dashboard](item_class: type[D]) -> type[D]: ...
def register(item_class: type[Widget] | type[Dashboard]) -> type[Widget] | type[Dashboard]:
    """Register a ``Widget`` (by its ``name``) or a ``Dashboard`` (by its ``slug``); a class decorator."""
    if issubclass(item_class, Dashboard):
        return dashboards.register(item_class)
    if issubclass(item_class, Widget):
        return registry.register(item_class)
    raise TypeError(f"register() takes a Widget or Dashboard subclass, not {item_class!r}")
