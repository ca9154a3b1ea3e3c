"""The widget registry: registration by name and autodiscovery from installed apps."""

from collections.abc import Iterator

from django.utils.module_loading import autodiscover_modules

from widgets.base import Widget
from widgets.conf import widget_settings


class AlreadyRegistered(Exception):
    """Two widgets were registered under one name."""


class WidgetRegistry:
    """Maps unique names to widget instances, in registration order."""

    def __init__(self) -> None:
        self._widgets: dict[str, Widget] = {}

    def register[W: type[Widget]](self, widget_class: W) -> W:
        """Register a widget class under its ``name``; usable as a class decorator."""
        name = getattr(widget_class, "name", "")
        if not name:
            raise ValueError(f"{widget_class.__name__} has no name")
        existing = self._widgets.get(name)
        if existing is not None and type(existing) is not widget_class:
            raise AlreadyRegistered(
                f"A widget named {name!r} is already registered ({type(existing).__qualname__})"
            )
        self._widgets[name] = widget_class()
        return widget_class

    def unregister(self, name: str) -> None:
        self._widgets.pop(name, None)

    def get(self, name: str) -> Widget | None:
        return self._widgets.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._widgets

    def __iter__(self) -> Iterator[Widget]:
        return iter(list(self._widgets.values()))

    def names(self) -> list[str]:
        return list(self._widgets)


registry = WidgetRegistry()
register = registry.register


def autodiscover() -> None:
    """Import the ``widgets`` module of every installed app, registering its widgets."""
    autodiscover_modules(widget_settings.AUTODISCOVER_MODULE)
