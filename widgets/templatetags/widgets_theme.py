"""The viewer's colour theme in templates: ``{% current_theme as theme %}`` and ``{% theme_toggle %}``.

::

    {% load widgets_theme %}{% current_theme as theme %}
    <html lang="en"{% if theme %} data-theme="{{ theme }}"{% endif %}>
"""

from typing import Any

from django import template
from django.template.context import Context

from widgets.theme import THEME_COOKIE, chosen_theme

register = template.Library()


@register.simple_tag(takes_context=True)
def current_theme(context: Context) -> str:
    """The page's theme: ``theme`` in the context (a page rendered without its request), else the cookie's."""
    if "theme" in context:
        return str(context["theme"])
    request = getattr(context, "request", None)
    return chosen_theme(request.COOKIES) if request is not None else ""


@register.inclusion_tag("widgets/theme_toggle.html", takes_context=True)
def theme_toggle(context: Context) -> dict[str, Any]:
    """Light, dark and system buttons for the top bar, the current one pressed; ``theme.js`` runs them."""
    return {"theme": current_theme(context), "cookie": THEME_COOKIE}
