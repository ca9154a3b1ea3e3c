"""The framework's settings, with their defaults, read lazily from Django's settings."""

from django.conf import settings


class WidgetSettings:
    """Typed access to the ``WIDGETS_*`` settings; each is read when used."""

    @property
    def SOURCE_TIMEOUT(self) -> float:
        """Default deadline in seconds for one source of one widget."""
        return float(getattr(settings, "WIDGETS_SOURCE_TIMEOUT", 3.0))

    @property
    def HTTP_CONNECT_TIMEOUT(self) -> float:
        """Connect timeout of the shared HTTP client."""
        return float(getattr(settings, "WIDGETS_HTTP_CONNECT_TIMEOUT", 2.0))

    @property
    def HTTP_MAX_CONNECTIONS(self) -> int:
        """Size of the shared HTTP client's connection pool."""
        return int(getattr(settings, "WIDGETS_HTTP_MAX_CONNECTIONS", 100))

    @property
    def HTTP_USER_AGENT(self) -> str:
        return str(getattr(settings, "WIDGETS_HTTP_USER_AGENT", "django-widgets"))

    @property
    def AUTODISCOVER_MODULE(self) -> str:
        """The module looked for in each installed app, like the admin's ``admin``."""
        return str(getattr(settings, "WIDGETS_AUTODISCOVER_MODULE", "widgets"))

    @property
    def ORM_THREADS(self) -> int:
        """Threads per process for ORM sources: how many run in parallel (keep <= the DB pool size)."""
        return int(getattr(settings, "WIDGETS_ORM_THREADS", 8))


widget_settings = WidgetSettings()
