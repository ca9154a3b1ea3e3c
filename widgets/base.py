"""The ``Widget`` class: what a dashboard widget declares and how it loads."""

from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms

from widgets.auth import AccessRules
from widgets.tabular import DataTable, HasDataTable


class NoParams(forms.Form):
    """The parameters form of a widget that takes none."""


def query_keys(form_class: type[forms.Form]) -> list[str]:
    """The query keys a parameters form reads: each field's name, or its widget's ``query_keys``.

    A ``PeriodField`` reads ``range``, ``from`` and ``to``, not ``period``.
    """
    return [key for name, field in form_class.base_fields.items() for key in field_query_keys(name, field)]


def field_query_keys(name: str, field: forms.Field) -> tuple[str, ...]:
    """The query keys one field reads: its widget's ``query_keys``, or its name."""
    return tuple(getattr(field.widget, "query_keys", None) or (name,))


def query_values(params: Mapping[str, Any]) -> dict[str, Any]:
    """Cleaned parameters as query values again, which a parameters form binds back to the same.

    A value with ``as_query()`` (a ``Period``) gives its own query keys and
    values; any other is kept under its name.
    """
    values: dict[str, Any] = {}
    for name, value in params.items():
        as_query = getattr(value, "as_query", None)
        if callable(as_query):
            values.update(as_query())
        else:
            values[name] = value
    return values


class Widget(AccessRules):
    """A dashboard widget: a name, a partial template, parameters and an async ``load``.

    Subclass it, set the class attributes, implement ``load`` and register it
    with ``@register``::

        @register
        class SignupsWidget(KpiWidget):  # template: widgets/builtin/kpi.html
            name = "signups"
            title = "Sign-ups today"
            refresh_seconds = 30

            async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
                signups = User.objects.filter(date_joined__date=date.today())
                values = await gather_sources(orm("signups", signups.acount))
                return {"kpis": [Kpi("Sign-ups", str(values["signups"]))]}

    ``load`` receives the validated ``params_form`` data and returns the
    template context of the ``ready`` partial in ``template_name``. It runs
    its sources concurrently with ``gather_sources``; a failed
    source raises ``SourcesFailed`` and the widget renders its error state.

    What ``load`` returns is cached per parameters (``widgets.cache``): it is
    fresh for ``cache_seconds`` (default: ``refresh_seconds``; 0 turns caching
    off for the widget), then may be served as stale for ``stale_seconds``
    more (default: 10 times ``cache_seconds``, at least 300) while it is refreshed
    or while refreshing fails. Return plain data (dicts, lists, tuples, str,
    int, float, bool, None, ``Decimal``, ``date``/``datetime``, frozensets
    and dataclasses of these): with Redis the value is shared by every worker
    as JSON (``widgets.cache.codec``), and one it cannot encode (a set, an
    instance of a plain class) is cached in each worker only, with a warning.

    Who may see it: a logged-in user (``WIDGETS_LOGIN_REQUIRED``), unless it
    is ``public``; with every one of its ``permissions``; and whom its async
    ``can_view(user, request)`` lets in (``widgets.auth``). Anyone else gets a
    403 from its endpoint and does not find it on dashboards.
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
        """Bind raw query values to the parameters form, keeping only the query keys it reads."""
        keys = query_keys(self.params_form)
        return self.params_form(data={key: data[key] for key in keys if key in data})

    def data_table(self, value: Mapping[str, Any]) -> DataTable | None:
        """What an export of the loaded ``value`` holds: its first value with ``as_data_table()``.

        ``None``: nothing to export (no download menu; the export URLs answer 404).
        Override it to choose another value, or to offer none.
        """
        for item in value.values():
            if isinstance(item, HasDataTable):
                return item.as_data_table()
        return None

    @property
    def ready_template(self) -> str:
        return f"{self.template_name}#ready"
