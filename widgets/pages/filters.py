"""A dashboard's filters: read from the page URL, with defaults where a value is missing or invalid.

Filters are page variables. Their valid values, as query values
(``PageFilters.query``), flow by name into the parameters of the page's
widgets (``widgets.pages.layout``) and stay in the page URL.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.forms.utils import pretty_name
from django.utils.translation import gettext

from widgets.base import field_query_keys, query_keys, query_values
from widgets.i18n import rendering_variant
from widgets.memo import MAX_KEY_TEXT, OBJECT_BYTES, LruMemo
from widgets.pages.declarations import Dashboard
from widgets.render import ParamError, param_errors

type Query = tuple[tuple[str, str], ...]


def query_length(query: Query) -> int:
    """The length of a query's keys and values."""
    return sum(len(key) + len(value) for key, value in query)


@dataclass(frozen=True)
class PageFilters:
    """The filters of one page view: valid values, the same as query values, and what was wrong."""

    values: Mapping[str, Any]
    query: Query
    errors: list[ParamError] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def is_memoisable(self) -> bool:
        """Whether the page's memos (placements, shells) may keep what these filters give."""
        return query_length(self.query) <= MAX_KEY_TEXT


def read_filters(dashboard: Dashboard, query: Mapping[str, str]) -> PageFilters:
    """The dashboard's filters from ``query``: valid ones kept, defaults for the others, errors named."""
    form_class = dashboard.filters_form
    raw = tuple((key, query[key]) for key in query_keys(form_class) if query.get(key))
    memo_key = (dashboard.slug, form_class, raw, rendering_variant())  # a period's words and days
    is_memoisable = query_length(raw) <= MAX_KEY_TEXT
    valid = _valid_filters.get(memo_key) if is_memoisable else None
    if valid is not None:
        return valid
    form = form_class(data=dict(raw))
    if form.is_valid():
        filters = PageFilters(form.cleaned_data, as_query(form.cleaned_data))
        return _valid_filters.put(memo_key, filters) if is_memoisable else filters
    errors = param_errors(form, dict(raw))
    values = defaults_for_invalid(form_class, dict(raw), set(form.errors))
    return PageFilters(values, as_query(values), errors)


def defaults_for_invalid(
    form_class: type[forms.Form], data: Mapping[str, str], invalid: set[str]
) -> dict[str, Any]:
    """The form's values with the query keys of its invalid fields left out, so those take their defaults."""
    fields = form_class.base_fields
    dropped = {key for name in invalid if name in fields for key in field_query_keys(name, fields[name])}
    form = form_class(data={key: value for key, value in data.items() if key not in dropped})
    form.is_valid()
    return dict(form.cleaned_data)


def as_query(values: Mapping[str, Any]) -> Query:
    """Cleaned filter values as the query items that give them back, in a stable order."""
    return tuple(sorted((key, str(value)) for key, value in query_values(values).items()))


def filters_in_words(form_class: type[forms.Form], values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Each filter that has a value, as a person reads it: ``[("Time range", "Last 7 days"), …]``.

    For the header of a printed page. A value with a ``label`` (a ``Period``) gives that; a choice, the
    text of its option; anything else, ``str``. Model choices show ``str`` of the object: no query.
    """
    words = []
    for name, form_field in form_class.base_fields.items():
        value = values.get(name)
        if value is None or value == "" or value == []:
            continue
        label = str(form_field.label) if form_field.label is not None else pretty_name(name)
        words.append((label, value_in_words(form_field, value)))
    return words


def value_in_words(form_field: forms.Field, value: Any) -> str:
    """One filter's value in words (see ``filters_in_words``)."""
    label = getattr(value, "label", None)
    if isinstance(label, str):
        return label
    if isinstance(form_field, forms.ChoiceField) and not isinstance(form_field, forms.ModelChoiceField):
        options = dict(choice_texts(form_field.choices))
        chosen = value if isinstance(value, list | tuple) else [value]
        return ", ".join(options.get(str(item), str(item)) for item in chosen)
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    return str(value)


def choice_texts(choices: Any) -> list[tuple[str, str]]:
    """A choice field's (value, text) pairs as strings, option groups flattened."""
    pairs = []
    for key, text in choices:
        if isinstance(text, list | tuple):
            pairs.extend(choice_texts(text))
        else:
            pairs.append((str(key), str(text)))
    return pairs


# Valid filters per dashboard and raw query: validating the form would be much of a warm page view (S2).
_valid_filters: LruMemo[tuple[str, type[forms.Form], Query, tuple[str, str]], PageFilters] = LruMemo(
    name="pages.valid_filters",
    max_entries=256,
    max_bytes=512 * 1024,
    value_size=lambda filters: query_length(filters.query) + OBJECT_BYTES * (1 + len(filters.values)),
)
