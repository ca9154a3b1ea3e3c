"""Time ranges: the built-in ``period`` filter, kept in the URL, and the window it stands for.

A ``PeriodField`` reads three query keys: ``range`` (a preset such as ``7d``,
or ``custom``), and for ``custom`` the calendar days ``from`` and ``to``
(``YYYY-MM-DD``, what ``<input type="date">`` sends). It cleans them to one
``Period``; a widget asks it for its ``TimeWindow`` with ``window()``.
Calendar days are read in the current Django time zone.
"""

import contextlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import dateformat, timezone
from django.utils.translation import gettext_lazy, ngettext_lazy, pgettext

from widgets.conf import widget_settings

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

RANGE_KEY = "range"
FROM_KEY = "from"
TO_KEY = "to"
QUERY_KEYS = (RANGE_KEY, FROM_KEY, TO_KEY)
CUSTOM = "custom"
CUSTOM_LABEL = gettext_lazy("Custom dates")
# Labels are lazy: translated when a request shows them, in its language.
DEFAULT_PRESETS: Mapping[str, tuple["StrOrPromise", timedelta]] = {
    "24h": (gettext_lazy("Last 24 hours"), timedelta(hours=24)),
    "7d": (gettext_lazy("Last 7 days"), timedelta(days=7)),
    "30d": (gettext_lazy("Last 30 days"), timedelta(days=30)),
    "90d": (gettext_lazy("Last 90 days"), timedelta(days=90)),
}
DEFAULT_RANGE_LABEL = gettext_lazy("Time range")
# Exactly what <input type="date"> sends; date.fromisoformat alone would also take 20261101 or 2026-W44.
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class TimeWindow:
    """A half-open span of time ``[start, end)`` between two aware datetimes.

    Python subtracts datetimes of one time zone by the clock on the wall: the
    window before a week of local days is the previous week of local days,
    whether or not daylight saving time changed in between.
    """

    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def previous(self) -> "TimeWindow":
        """The window of the same length just before this one, to compare against."""
        return TimeWindow(self.start - self.duration, self.start)

    @property
    def is_hourly(self) -> bool:
        """Short enough (two days at most) to show per hour rather than per day."""
        return self.duration <= timedelta(days=2)


@dataclass(frozen=True)
class Period:
    """What a time-range filter chose: a preset (the last 7 days) or calendar days (1 to 20 Nov).

    Build one with ``Period.from_preset`` or ``Period.between``. It is a value:
    equal periods are equal and hash alike, and ``str()`` gives a stable key.
    """

    preset: str | None = None
    first_day: date | None = None
    last_day: date | None = None
    length: timedelta | None = None
    preset_label: str = ""

    def __post_init__(self) -> None:
        if self.preset is not None:
            if self.length is None or self.first_day is not None or self.last_day is not None:
                raise ValueError("A preset period has a length and no days.")
        elif self.first_day is None or self.last_day is None:
            raise ValueError("A period is a preset or both a first and a last day.")
        elif self.first_day > self.last_day:
            raise ValueError(f"A period's first day ({self.first_day}) is after its last ({self.last_day}).")

    @classmethod
    def from_preset(cls, key: str, label: "StrOrPromise", length: timedelta) -> "Period":
        """The last ``length`` up to now, chosen as the preset ``key``; ``label`` in the active language."""
        return cls(preset=key, length=length, preset_label=str(label))

    @classmethod
    def between(cls, first_day: date, last_day: date) -> "Period":
        """The calendar days ``first_day`` to ``last_day``, both included."""
        return cls(first_day=first_day, last_day=last_day)

    @property
    def is_custom(self) -> bool:
        return self.preset is None

    def window(self, now: datetime | None = None) -> TimeWindow:
        """The time this period covers: up to ``now`` for a preset; whole local days otherwise."""
        if self.preset is not None and self.length is not None:
            end = now or timezone.now()
            return TimeWindow(end - self.length, end)
        assert self.first_day is not None  # __post_init__ made sure
        assert self.last_day is not None
        zone = timezone.get_current_timezone()
        return TimeWindow(
            datetime.combine(self.first_day, time.min, tzinfo=zone),
            datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=zone),
        )

    @property
    def label(self) -> str:
        """In words: the preset's label (``Last 7 days``), or the days (``1 Nov 2026 - 20 Nov 2026``).

        The first and last day are joined by an en dash; one day is shown alone (``20 Nov 2026``).
        Days are written in the active language (German: ``1. Nov. 2026``).
        """
        if self.preset is not None:
            return self.preset_label or self.preset
        assert self.first_day is not None
        assert self.last_day is not None
        day_format = pgettext("a day in a period's label, as a Django date format", "j M Y")
        first = dateformat.format(self.first_day, day_format)
        last = dateformat.format(self.last_day, day_format)
        return first if first == last else f"{first} – {last}"

    def as_query(self) -> dict[str, str]:
        """The query values that select this period again: ``{"range": "7d"}`` or custom days."""
        if self.preset is not None:
            return {RANGE_KEY: self.preset}
        assert self.first_day is not None
        assert self.last_day is not None
        return {RANGE_KEY: CUSTOM, FROM_KEY: self.first_day.isoformat(), TO_KEY: self.last_day.isoformat()}

    def __str__(self) -> str:
        if self.preset is not None:
            return self.preset
        return f"{self.first_day}/{self.last_day}"


class PeriodInput(forms.Widget):
    """A preset ``<select name="range">`` with a custom option, and two date inputs shown for it.

    It reads and renders the query keys ``range``, ``from`` and ``to``
    whatever the field's name, so one period filter fits a page (form
    prefixes do not apply). Without JavaScript: the date inputs are hidden
    and disabled (so not sent) unless the period is custom.
    """

    template_name = "widgets/forms/period_input.html"
    query_keys: ClassVar[tuple[str, ...]] = QUERY_KEYS
    use_fieldset = True

    def __init__(
        self,
        attrs: dict[str, Any] | None = None,
        presets: Mapping[str, tuple["StrOrPromise", timedelta]] | None = None,
        range_label: "StrOrPromise" = DEFAULT_RANGE_LABEL,
    ) -> None:
        super().__init__(attrs)
        self.presets = DEFAULT_PRESETS if presets is None else presets
        self.range_label = range_label

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> dict[str, str | None]:
        return {key: data.get(key) for key in self.query_keys}

    def value_omitted_from_data(self, data: Mapping[str, Any], files: Any, name: str) -> bool:
        return not any(key in data for key in self.query_keys)

    def format_value(self, value: Any) -> dict[str, str]:
        """The raw query values to show: from a ``Period``, a preset key, or the values sent."""
        if isinstance(value, Period):
            return value.as_query()
        if isinstance(value, str):
            return {RANGE_KEY: value}
        if isinstance(value, Mapping):
            return {key: str(value.get(key) or "") for key in self.query_keys}
        return {}

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        shown = context["widget"]["value"]
        select_id = context["widget"]["attrs"].get("id")
        context["widget"].update(
            range_label=self.range_label,
            choices=[(key, label) for key, (label, _) in self.presets.items()] + [(CUSTOM, CUSTOM_LABEL)],
            range=shown.get(RANGE_KEY, ""),
            is_custom=shown.get(RANGE_KEY) == CUSTOM,
            first_day=shown.get(FROM_KEY, ""),
            last_day=shown.get(TO_KEY, ""),
            from_id=f"{select_id}_from" if select_id else "",
            to_id=f"{select_id}_to" if select_id else "",
        )
        return context


class PeriodField(forms.Field):
    """A time range from the query keys ``range``, ``from`` and ``to``, cleaned to a ``Period``.

    ``presets`` maps each preset key to its label and length (default: 24h,
    7d, 30d, 90d); ``initial`` is the preset used when ``range`` is empty;
    ``max_days`` bounds custom ranges (default: ``WIDGETS_PERIOD_MAX_DAYS``,
    read when a value is cleaned); ``label`` also labels the select. Each error names the query key and the
    value given, also in the ``ValidationError``'s ``params`` (``key``, ``value``).
    """

    widget = PeriodInput
    default_error_messages: ClassVar[dict[str, "StrOrPromise"]] = {
        "invalid_range": gettext_lazy("%(key)s: “%(value)s” is not one of %(choices)s."),
        "missing_day": gettext_lazy("%(key)s: a custom range needs both from and to (YYYY-MM-DD)."),
        "invalid_day": gettext_lazy("%(key)s: “%(value)s” is not a date (use YYYY-MM-DD)."),
        "reversed": gettext_lazy("%(key)s: %(value)s is after to (%(last_day)s)."),
        "out_of_bounds": gettext_lazy(
            "%(key)s: %(value)s is too far from today for a period (and the one before it)."
        ),
        "too_long": ngettext_lazy(
            "The range %(first_day)s to %(last_day)s is %(days)s days long; "
            "the longest allowed is %(max_days)s day.",
            "The range %(first_day)s to %(last_day)s is %(days)s days long; "
            "the longest allowed is %(max_days)s days.",
            "max_days",
        ),
    }

    def __init__(
        self,
        *,
        presets: Mapping[str, tuple["StrOrPromise", timedelta]] | None = None,
        initial: str = "7d",
        max_days: int | None = None,
        required: bool = False,
        **kwargs: Any,
    ) -> None:
        self.presets = dict(DEFAULT_PRESETS if presets is None else presets)
        if initial not in self.presets:
            raise ImproperlyConfigured(f"PeriodField's initial {initial!r} is not one of its presets.")
        if CUSTOM in self.presets:
            raise ImproperlyConfigured(f"{CUSTOM!r} is the custom range; a preset cannot be called that.")
        self.max_days = max_days
        range_label = kwargs.get("label") or DEFAULT_RANGE_LABEL  # not str(): lazy labels stay lazy
        kwargs.setdefault("widget", PeriodInput(presets=self.presets, range_label=range_label))
        super().__init__(required=required, initial=initial, **kwargs)

    @property
    def max_days_allowed(self) -> int:
        return widget_settings.PERIOD_MAX_DAYS if self.max_days is None else self.max_days

    def to_python(self, value: Any) -> Period:
        """A ``Period`` from the raw query values (a mapping), a preset key, or a ``Period``."""
        if isinstance(value, Period):
            return value
        raw = value if isinstance(value, Mapping) else {RANGE_KEY: value}
        range_key = self._raw(raw, RANGE_KEY) or str(self.initial)
        if range_key in self.presets:
            return self._preset(range_key)
        if range_key != CUSTOM:
            choices = ", ".join([*self.presets, CUSTOM]).replace("%", "%%")
            raise self._error("invalid_range", RANGE_KEY, range_key, choices=choices)
        return self._days(self._raw(raw, FROM_KEY), self._raw(raw, TO_KEY))

    def bound_data(self, data: Any, initial: Any) -> Any:
        """Show a bound form's period as cleaned (a bare ``custom`` shows its prefilled days)."""
        try:
            return self.to_python(data)
        except ValidationError:
            return data

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(initial) != self.to_python(data)
        except ValidationError:
            return True

    def _preset(self, key: str) -> Period:
        label, length = self.presets[key]
        return Period.from_preset(key, label, length)

    def _days(self, first_text: str, last_text: str) -> Period:
        if not first_text and not last_text:
            return self._initial_days()
        first_day = self._day(FROM_KEY, first_text)
        last_day = self._day(TO_KEY, last_text)
        if first_day > last_day:
            raise self._error("reversed", FROM_KEY, first_text, last_day=last_day.isoformat())
        days = (last_day - first_day).days + 1
        if days > self.max_days_allowed:
            raise self._error(
                "too_long",
                FROM_KEY,
                first_text,
                first_day=first_day.isoformat(),
                last_day=last_day.isoformat(),
                days=days,
                max_days=self.max_days_allowed,
            )
        # The window ends the day after last_day, and widgets compare with the window before it:
        # both must stay within the days a datetime can hold (in any time zone).
        if last_day > date.max - timedelta(days=2):
            raise self._error("out_of_bounds", TO_KEY, last_text)
        if first_day < date.min + timedelta(days=days + 2):
            raise self._error("out_of_bounds", FROM_KEY, first_text)
        return Period.between(first_day, last_day)

    def _day(self, key: str, text: str) -> date:
        if not text:
            raise self._error("missing_day", key, text)
        if ISO_DAY.fullmatch(text):
            with contextlib.suppress(ValueError):  # 2026-13-45 has the shape but is no day
                return date.fromisoformat(text)
        raise self._error("invalid_day", key, text)

    def _initial_days(self) -> Period:
        """The calendar days of the initial preset, ending today: what "Custom dates" starts from."""
        length = self.presets[str(self.initial)][1]
        days = min(max(1, math.ceil(length / timedelta(days=1))), self.max_days_allowed)
        today = timezone.localdate()
        return Period.between(today - timedelta(days=days - 1), today)

    def _error(self, code: str, key: str, value: str, **details: Any) -> ValidationError:
        return ValidationError(
            self.error_messages[code], code=code, params={"key": key, "value": value, **details}
        )

    @staticmethod
    def _raw(raw: Mapping[str, Any], key: str) -> str:
        value = raw.get(key)
        return "" if value is None else str(value).strip()
