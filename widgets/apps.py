from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class WidgetsConfig(AppConfig):
    name = "widgets"
    verbose_name = gettext_lazy("Dashboard widgets")

    def ready(self) -> None:
        from widgets import checks  # noqa: F401  (registers the system checks)
        from widgets.asgi import checks as middleware_checks  # noqa: F401
        from widgets.pages import checks as page_checks  # noqa: F401
        from widgets.registry import autodiscover

        autodiscover()
