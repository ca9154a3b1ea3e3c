"""The app's models, where Django looks for them: embed links (``widgets.embed.models``)."""

# widget_choices: the first migration names it here.
from widgets.embed.models import EmbedLink, widget_choices

__all__ = ["EmbedLink", "widget_choices"]
