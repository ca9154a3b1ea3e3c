"""What a dashboard declares: a slug, a title, a layout of tiles and a filters form."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

from django import forms
from django.utils.functional import Promise

from widgets.auth import AccessRules

MAX_SPAN = 3


class NoFilters(forms.Form):
    """The filters form of a dashboard that has none."""


@dataclass(frozen=True)
class Tile:
    """One widget in a dashboard's layout.

    ``span`` is how many of the grid's columns it takes on wide screens (1 to
    3); ``params`` are fixed parameters, as they would stand in the widget's
    URL (``{"currency": "USD"}``, ``{"range": "30d"}``): a page filter of the
    same name does not change them.
    """

    widget: str
    span: int = 1
    params: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.span <= MAX_SPAN:
            raise ValueError(f"Tile({self.widget!r}): span must be 1 to {MAX_SPAN}, got {self.span}")
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        # Tiles are part of the keys a page view looks its shell and tiles up by.
        object.__setattr__(self, "_hash", hash((self.widget, self.span, tuple(sorted(self.params.items())))))

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined,no-any-return]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tile):
            return NotImplemented
        return (self.widget, self.span, dict(self.params)) == (other.widget, other.span, dict(other.params))


class Dashboard(AccessRules):
    """A page of widgets: declare it, register it, and it is served at ``/dashboards/<slug>/``::

        @register
        class ShopDashboard(Dashboard):
            slug = "shop"
            title = "Shop"
            description = "Revenue, orders and products."
            filters_form = ShopFilters
            layout = (Tile("revenue"), Tile("orders_over_time", span=2), Tile("fx", params={"base": "USD"}))

    The page is one streamed response: the shell with a loading placeholder
    per tile first, then each widget as soon as it has loaded. Filters are
    page variables: each field of ``filters_form`` flows, by name, into the
    parameters of every widget whose form has a field of that name, unless the
    tile fixes it. They live in the page URL.

    Its ``public``, ``permissions`` and ``can_view`` say who may open it, as a
    widget's do; on the page, each tile shows only to those who may see its
    widget: the others' tiles are neither loaded nor placed.
    """

    slug: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str] = ""
    layout: ClassVar[Sequence[Tile]] = ()
    filters_form: ClassVar[type[forms.Form]] = NoFilters
    template_name: ClassVar[str] = "widgets/dashboard.html"
    # Links in the page's header: (text, URL), e.g. ("Reports", reverse_lazy("reports")).
    links: ClassVar[Sequence[tuple[str, str | Promise]]] = ()

    def __repr__(self) -> str:
        return f"<{type(self).__qualname__} {getattr(self, 'slug', '?')!r}>"
