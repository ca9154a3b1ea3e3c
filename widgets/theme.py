"""The colour theme a viewer chose: light, dark, or (no choice) whatever their system prefers.

The choice lives in the ``widgets_theme`` cookie, which ``widgets/theme.js`` sets when the viewer
picks a theme in the top bar. Pages render it on their root element (``<html data-theme="dark">``,
through ``{% current_theme %}``), so a page shows the chosen theme from its first byte: no script
has to run before the first paint, and there is no flash of the other theme.
"""

from collections.abc import Mapping

THEME_COOKIE = "widgets_theme"
THEMES = ("light", "dark")


def chosen_theme(cookies: Mapping[str, str]) -> str:
    """``"light"`` or ``"dark"`` as the viewer chose; ``""``: follow the system (``prefers-color-scheme``)."""
    theme = cookies.get(THEME_COOKIE, "")
    return theme if theme in THEMES else ""
