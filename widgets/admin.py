"""The app's admin, where the admin's autodiscovery looks for it: embed links."""

from widgets.embed.admin import EmbedLinkAdmin

__all__ = ["EmbedLinkAdmin"]
