"""Registries: widgets by name (and dashboards by slug, ``widgets.pages``), filled by autodiscovery."""

from collections.abc import Iterator

from django.utils.module_loading import autodiscover_modules

from widgets.base import Widget
from widgets.conf import widget_settings


class AlreadyRegistered(Exception):
    """Two classes were registered under one key."""


class Registry[T]:
    """Maps unique keys (a class attribute, ``key_attribute``) to instances, in registration order."""

    def __init__(self, key_attribute: str, kind: str) -> None:
        self.key_attribute = key_attribute
        self.kind = kind
        self._items: dict[str, T] = {}

    def register[C: type](self, item_class: C) -> C:
        """Register an instance of ``item_class`` under its key; usable as a class decorator."""
        key = getattr(item_class, self.key_attribute, "")
        if not key:
            raise ValueError(f"{item_class.__name__} has no {self.key_attribute}")
        existing = self._items.get(key)
        if existing is not None and type(existing) is not item_class:
            raise AlreadyRegistered(
                f"A {self.kind} named {key!r} is already registered ({type(existing).__qualname__})"
            )
        self._items[key] = item_class()
        return item_class

    def unregister(self, key: str) -> None:
        self._items.pop(key, None)

    def get(self, key: str) -> T | None:
        return self._items.get(key)

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items.values()))

    def names(self) -> list[str]:
        return list(self._items)


class WidgetRegistry(Registry[Widget]):
    """Widgets by ``name``."""

    def __init__(self) -> None:
        super().__init__("name", "widget")


registry = WidgetRegistry()


def autodiscover() -> None:
    """Import the ``widgets`` and ``dashboards`` modules of every installed app: they register themselves."""
    autodiscover_modules(widget_settings.AUTODISCOVER_MODULE, "dashboards")
