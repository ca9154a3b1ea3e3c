"""System checks of the registered dashboards: every tile names a widget, with parameters it accepts."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, register

from widgets.pages.registry import dashboards
from widgets.registry import registry


@register()
def check_dashboards(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for dashboard in dashboards:
        label = f"Dashboard {dashboard.slug!r} ({type(dashboard).__qualname__})"
        if not getattr(dashboard, "title", ""):
            messages.append(Error(f"{label} has no title.", id="widgets.E006"))
        for slot, tile in enumerate(dashboard.layout, start=1):
            widget = registry.get(tile.widget)
            if widget is None:
                known = ", ".join(registry.names()) or "none"
                messages.append(
                    Error(
                        f"{label}: tile {slot} names the widget {tile.widget!r}, which is not registered.",
                        hint=f"Registered widgets: {known}.",
                        id="widgets.E007",
                    )
                )
                continue
            form = widget.bind_params(dict(tile.params))
            if tile.params and not form.is_valid():
                problems = "; ".join(
                    f"{field}: {message}" for field, errors in form.errors.items() for message in errors
                )
                messages.append(
                    Error(
                        f"{label}: tile {slot} fixes parameters {dict(tile.params)} that {tile.widget!r} "
                        f"does not accept: {problems}",
                        id="widgets.E008",
                    )
                )
    return messages
