"""The ``Widget`` class: what a dashboard widget declares and how it loads."""

from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms


class NoParams(forms.Form):
    """The parameters form of a widget that takes none."""


class Widget:
    """A dashboard widget: a name, a partial template, parameters and an async ``load``.

    Subclass it, set the class attributes, implement ``load`` and register it
    with ``@register``::

        @register
        class SignupsWidget(Widget):
            name = "signups"
            title = "Sign-ups today"
            template_name = "widgets/builtin/kpi.html"
            refresh_seconds = 30

            async def load(self, params):
                count = await User.objects.filter(date_joined__date=today()).acount()
                return {"items": [Kpi("Sign-ups", str(count))]}

    ``load`` receives the validated ``params_form`` data and returns the
    template context of the ``ready`` partial in ``template_name``. It runs
    its sources concurrently with ``widgets.sources.gather_sources``; a failed
    source raises ``SourcesFailed`` and the widget renders its error state.

    What ``load`` returns is cached per parameters (``widgets.cache``): it is
    fresh for ``cache_seconds`` (default: ``refresh_seconds``; 0 turns caching
    off for the widget), then may be served as stale for ``stale_seconds``
    more (default: 10 times ``cache_seconds``, at least 300) while it is refreshed
    or while refreshing fails. Return plain, picklable data: with Redis the
    value is shared by every worker.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    template_name: ClassVar[str]
    params_form: ClassVar[type[forms.Form]] = NoParams
    refresh_seconds: ClassVar[int] = 60
    cache_seconds: ClassVar[int | None] = None
    stale_seconds: ClassVar[int | None] = None
    description: ClassVar[str] = ""

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement async def load()")

    def bind_params(self, data: Mapping[str, Any]) -> forms.Form:
        """Bind raw query values to the parameters form, keeping only its fields."""
        fields = self.params_form.base_fields
        return self.params_form(data={key: data[key] for key in fields if key in data})

    @property
    def ready_template(self) -> str:
        return f"{self.template_name}#ready"
