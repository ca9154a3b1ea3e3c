"""Time ranges (widgets/pages/periods.py): the period a filter chose, its field, its input and its window."""

from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from widgets.base import Widget, query_keys
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.cache.keys import cache_key
from widgets.pages.periods import Period, PeriodField, PeriodInput, TimeWindow
from widgets.registry import registry
from widgets.render.frames import ParamError, param_errors
from widgets.render.loading import frame_for

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NOVEMBER = Period.between(date(2026, 11, 1), date(2026, 11, 20))
LAST_7_DAYS = Period.from_preset("7d", "Last 7 days", timedelta(days=7))


class PeriodForm(forms.Form):
    period = PeriodField()


class ShortPeriodForm(forms.Form):
    period = PeriodField(
        presets={"1h": ("Last hour", timedelta(hours=1)), "30d": ("Last 30 days", timedelta(days=30))},
        initial="30d",
        max_days=31,
    )


class PeriodProbeWidget(KpiWidget):
    """Shows the period it was loaded with and the start of its window."""

    name = "period_probe"
    title = "Period probe"
    params_form = PeriodForm
    refresh_seconds = 30

    async def load(self, params):
        period = params["period"]
        return {"kpis": [Kpi("Period", period.label), Kpi("Start", period.window(NOON).start.isoformat())]}


@pytest.fixture(autouse=True)
def period_probe():
    registry.register(PeriodProbeWidget)
    yield
    registry.unregister(PeriodProbeWidget.name)


@pytest.fixture
def today_is_20_november(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOON)


def clean(query, form_class=PeriodForm):
    form = form_class(data=query)
    assert form.is_valid(), form.errors
    return form.cleaned_data["period"]


def errors_of(query, form_class=PeriodForm):
    form = form_class(data=query)
    assert not form.is_valid()
    return param_errors(form, query)


# Period and TimeWindow


def test_preset_window_is_its_length_up_to_now():
    assert LAST_7_DAYS.window(NOON) == TimeWindow(NOON - timedelta(days=7), NOON)


def test_preset_window_without_now_ends_now(today_is_20_november):
    assert LAST_7_DAYS.window().end == NOON


def test_custom_window_is_whole_days_half_open(settings):
    settings.TIME_ZONE = "UTC"
    window = NOVEMBER.window(NOON)
    assert window == TimeWindow(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))
    assert window.duration == timedelta(days=20)


def test_custom_window_starts_at_local_midnight_in_the_time_zone(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    window = NOVEMBER.window()
    berlin = ZoneInfo("Europe/Berlin")
    assert window.start == datetime(2026, 11, 1, tzinfo=berlin)
    assert window.start.astimezone(UTC) == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert window.end.astimezone(UTC) == datetime(2026, 11, 20, 23, 0, tzinfo=UTC)


def test_previous_window_is_as_long_and_ends_where_the_window_starts(settings):
    settings.TIME_ZONE = "UTC"
    window = NOVEMBER.window()
    assert window.previous == TimeWindow(
        datetime(2026, 10, 12, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    )


@pytest.mark.parametrize(("hours", "is_hourly"), [(24, True), (48, True), (49, False)])
def test_windows_of_two_days_or_less_are_hourly(hours, is_hourly):
    assert TimeWindow(NOON - timedelta(hours=hours), NOON).is_hourly is is_hourly


@pytest.mark.parametrize(
    ("period", "label"),
    [
        (LAST_7_DAYS, "Last 7 days"),
        (NOVEMBER, "1 Nov 2026 – 20 Nov 2026"),
        (Period.between(date(2026, 11, 20), date(2026, 11, 20)), "20 Nov 2026"),
    ],
)
def test_label_says_the_period_in_words(period, label):
    assert period.label == label


@pytest.mark.parametrize(
    ("period", "query", "text"),
    [
        (LAST_7_DAYS, {"range": "7d"}, "7d"),
        (NOVEMBER, {"range": "custom", "from": "2026-11-01", "to": "2026-11-20"}, "2026-11-01/2026-11-20"),
    ],
)
def test_query_and_text_forms(period, query, text):
    assert period.as_query() == query
    assert str(period) == text


def test_equal_periods_are_equal_and_hash_alike():
    again = Period.between(date(2026, 11, 1), date(2026, 11, 20))
    assert again == NOVEMBER
    assert hash(again) == hash(NOVEMBER)
    assert {NOVEMBER: 1}[again] == 1
    assert again != Period.between(date(2026, 11, 2), date(2026, 11, 20))


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"preset": "7d"},
        {"first_day": date(2026, 11, 1)},
        {"first_day": date(2026, 11, 20), "last_day": date(2026, 11, 1)},
        {"preset": "7d", "length": timedelta(days=7), "first_day": date(2026, 11, 1)},
    ],
)
def test_period_is_a_preset_or_ordered_days(fields):
    with pytest.raises(ValueError, match="period"):
        Period(**fields)


# PeriodField


@pytest.mark.parametrize(
    "query", [{}, {"range": ""}, {"range": "", "from": "2026-11-01", "to": "2026-11-20"}]
)
def test_missing_range_is_the_initial_preset(query):
    assert clean(query) == LAST_7_DAYS


@pytest.mark.parametrize(
    ("key", "label", "length"),
    [
        ("24h", "Last 24 hours", timedelta(hours=24)),
        ("7d", "Last 7 days", timedelta(days=7)),
        ("30d", "Last 30 days", timedelta(days=30)),
        ("90d", "Last 90 days", timedelta(days=90)),
    ],
)
def test_each_default_preset(key, label, length):
    period = clean({"range": key})
    assert period == Period.from_preset(key, label, length)
    assert period.window(NOON).duration == length


def test_preset_ignores_from_and_to():
    assert clean({"range": "30d", "from": "nonsense", "to": "2026-11-01"}).preset == "30d"


def test_custom_range_gives_its_days():
    assert clean({"range": "custom", "from": "2026-11-01", "to": "2026-11-20"}) == NOVEMBER


def test_custom_range_of_one_day():
    period = clean({"range": "custom", "from": "2026-11-20", "to": "2026-11-20"})
    assert period.window().duration == timedelta(days=1)


def test_custom_without_dates_covers_the_initial_presets_days_ending_today(today_is_20_november):
    assert clean({"range": "custom"}) == Period.between(date(2026, 11, 14), date(2026, 11, 20))
    assert clean({"range": "custom", "from": "", "to": ""}, ShortPeriodForm) == Period.between(
        date(2026, 10, 22), date(2026, 11, 20)
    )


def test_custom_presets_and_initial():
    assert clean({}, ShortPeriodForm) == Period.from_preset("30d", "Last 30 days", timedelta(days=30))
    assert clean({"range": "1h"}, ShortPeriodForm).window(NOON).duration == timedelta(hours=1)


@pytest.mark.parametrize(
    ("query", "key", "value", "message"),
    [
        ({"range": "1y"}, "range", "1y", "range: “1y” is not one of 24h, 7d, 30d, 90d, custom."),
        ({"range": "50%"}, "range", "50%", "range: “50%” is not one of 24h, 7d, 30d, 90d, custom."),
        (
            {"range": "custom", "from": "2026-13-45", "to": "2026-11-20"},
            "from",
            "2026-13-45",
            "from: “2026-13-45” is not a date (use YYYY-MM-DD).",
        ),
        (
            {"range": "custom", "from": "2026-11-01", "to": "20.11.2026"},
            "to",
            "20.11.2026",
            "to: “20.11.2026” is not a date (use YYYY-MM-DD).",
        ),
        (
            {"range": "custom", "from": "2026-W44-1", "to": "2026-11-20"},
            "from",
            "2026-W44-1",
            "from: “2026-W44-1” is not a date (use YYYY-MM-DD).",
        ),
        (
            {"range": "custom", "from": "2026-11-01"},
            "to",
            "",
            "to: a custom range needs both from and to (YYYY-MM-DD).",
        ),
        (
            {"range": "custom", "to": "2026-11-20"},
            "from",
            "",
            "from: a custom range needs both from and to (YYYY-MM-DD).",
        ),
        (
            {"range": "custom", "from": "2026-11-20", "to": "2026-11-01"},
            "from",
            "2026-11-20",
            "from: 2026-11-20 is after to (2026-11-01).",
        ),
        (
            {"range": "custom", "from": "2025-01-01", "to": "2026-11-20"},
            "from",
            "2025-01-01",
            "The range 2025-01-01 to 2026-11-20 is 689 days long; the longest allowed is 366 days.",
        ),
    ],
)
def test_each_error_names_the_query_key_and_the_value(query, key, value, message):
    assert errors_of(query) == [ParamError(key, value, message)]
    [error] = PeriodForm(data=query).errors.as_data()["period"]
    assert (error.params["key"], error.params["value"]) == (key, value)


def test_longest_range_comes_from_the_setting(settings):
    settings.WIDGETS_PERIOD_MAX_DAYS = 31
    assert clean({"range": "custom", "from": "2026-11-01", "to": "2026-12-01"}).last_day == date(2026, 12, 1)
    [error] = errors_of({"range": "custom", "from": "2026-11-01", "to": "2026-12-02"})
    assert (
        error.message == "The range 2026-11-01 to 2026-12-02 is 32 days long; the longest allowed is 31 days."
    )


def test_longest_range_by_default_is_366_days():
    assert clean({"range": "custom", "from": "2024-01-01", "to": "2024-12-31"}).last_day == date(2024, 12, 31)
    assert errors_of({"range": "custom", "from": "2024-01-01", "to": "2025-01-01"})


def test_max_days_argument_wins_over_the_setting(settings):
    settings.WIDGETS_PERIOD_MAX_DAYS = 366
    [error] = errors_of({"range": "custom", "from": "2026-11-01", "to": "2026-12-02"}, ShortPeriodForm)
    assert error.message.endswith("the longest allowed is 31 days.")


def test_initial_must_be_one_of_the_presets():
    with pytest.raises(ImproperlyConfigured, match="initial '1y'"):
        PeriodField(initial="1y")


@pytest.mark.parametrize("period", [LAST_7_DAYS, NOVEMBER])
def test_query_form_binds_back_to_the_same_period(period):
    assert clean(period.as_query()) == period


def test_form_reads_the_query_keys_not_the_field_name():
    assert query_keys(PeriodForm) == ["range", "from", "to"]
    assert clean({"period": "30d", "range": "90d"}).preset == "90d"


def test_bind_params_keeps_every_query_key_of_the_form():
    form = PeriodProbeWidget().bind_params(
        {"range": "custom", "from": "2026-11-01", "to": "2026-11-20", "x": "1"}
    )
    assert form.data == {"range": "custom", "from": "2026-11-01", "to": "2026-11-20"}
    assert form.is_valid()
    assert form.cleaned_data == {"period": NOVEMBER}


def test_unchanged_period_has_not_changed():
    field = PeriodField()
    assert not field.has_changed("7d", {"range": "7d", "from": None, "to": None})
    assert field.has_changed("7d", {"range": "30d"})
    assert field.has_changed("7d", {"range": "1y"})


def test_input_says_whether_its_keys_were_omitted():
    widget = PeriodInput()
    assert widget.value_omitted_from_data({"period": "7d"}, {}, "period")
    assert not widget.value_omitted_from_data({"to": "2026-11-20"}, {}, "period")


# The rendered input


class Element:
    def __init__(self, tag, attrs):
        self.tag, self.attrs, self.text = tag, dict(attrs), ""


class Elements(HTMLParser):
    """Every element of an HTML fragment with its attributes, and the text of labels and options."""

    def __init__(self, html):
        super().__init__()
        self.elements, self.open = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs)
        self.elements.append(element)
        if tag in ("label", "option", "select"):
            self.open.append(element)

    def handle_endtag(self, tag):
        if self.open and self.open[-1].tag == tag:
            self.open.pop()

    def handle_data(self, data):
        for element in self.open:
            element.text += data

    def find(self, tag, **attrs):
        return [
            e for e in self.elements if e.tag == tag and all(e.attrs.get(k) == v for k, v in attrs.items())
        ]


def rendered(form):
    return Elements(str(form["period"]))


def test_input_shows_the_presets_and_a_custom_option_with_the_current_one_selected():
    html = rendered(PeriodForm(data={"range": "30d"}))
    assert len(html.find("select", name="range")) == 1
    options = html.find("option")
    assert [(o.attrs["value"], o.text) for o in options] == [
        ("24h", "Last 24 hours"),
        ("7d", "Last 7 days"),
        ("30d", "Last 30 days"),
        ("90d", "Last 90 days"),
        ("custom", "Custom dates"),
    ]
    assert [o.attrs["value"] for o in options if "selected" in o.attrs] == ["30d"]


def test_unbound_input_selects_the_initial_preset():
    html = rendered(PeriodForm())
    assert [o.attrs["value"] for o in html.find("option") if "selected" in o.attrs] == ["7d"]


@pytest.mark.parametrize("form", [PeriodForm(), PeriodForm(data={"range": "90d"})])
def test_date_inputs_are_hidden_and_disabled_unless_custom(form):
    html = rendered(form)
    date_labels = [label for label in html.find("label") if label.text.strip() in ("From", "To")]
    assert len(date_labels) == 2
    assert all("hidden" in label.attrs for label in date_labels)
    assert all("disabled" in field.attrs for field in html.find("input", type="date"))
    assert all("filters__field" in label.attrs["class"] for label in html.find("label"))


def test_custom_period_shows_its_days_and_selects_custom():
    html = rendered(PeriodForm(data={"range": "custom", "from": "2026-11-01", "to": "2026-11-20"}))
    assert [o.attrs["value"] for o in html.find("option") if "selected" in o.attrs] == ["custom"]
    assert not any("hidden" in label.attrs for label in html.find("label"))
    [first] = html.find("input", type="date", name="from")
    [last] = html.find("input", type="date", name="to")
    assert (first.attrs["value"], last.attrs["value"]) == ("2026-11-01", "2026-11-20")
    assert "disabled" not in first.attrs
    assert "disabled" not in last.attrs


def test_choosing_custom_prefills_the_date_inputs(today_is_20_november):
    html = rendered(PeriodForm(data={"range": "custom"}))
    assert html.find("input", type="date", name="from")[0].attrs["value"] == "2026-11-14"
    assert html.find("input", type="date", name="to")[0].attrs["value"] == "2026-11-20"


def test_invalid_custom_dates_are_shown_as_sent():
    html = rendered(PeriodForm(data={"range": "custom", "from": "2026-13-45", "to": "2026-11-20"}))
    assert html.find("input", type="date", name="from")[0].attrs["value"] == "2026-13-45"
    assert [o.attrs["value"] for o in html.find("option") if "selected" in o.attrs] == ["custom"]


def test_input_labels_each_control():
    html = rendered(PeriodForm(auto_id="id_%s"))
    assert html.find("select", name="range", id="id_period")
    assert html.find("input", name="from", id="id_period_from")
    assert html.find("input", name="to", id="id_period_to")


def test_select_is_labelled_with_the_fields_label():
    class WindowForm(forms.Form):
        period = PeriodField(label="Window")

    assert [label.text.split()[0] for label in rendered(PeriodForm()).find("label")] == ["Time", "From", "To"]
    assert rendered(WindowForm()).find("label")[0].text.split()[0] == "Window"


# Through the framework


def test_equal_periods_share_a_cache_key_and_different_ones_do_not():
    widget = PeriodProbeWidget()
    again = Period.between(date(2026, 11, 1), date(2026, 11, 20))
    key = cache_key(widget, {"period": NOVEMBER})
    assert cache_key(widget, {"period": again}) == key
    assert cache_key(widget, {"period": Period.between(date(2026, 11, 1), date(2026, 11, 21))}) != key
    assert cache_key(widget, {"period": LAST_7_DAYS}) != key
    assert cache_key(widget, {"period": clean({"range": "30d"})}) != cache_key(
        widget, {"period": LAST_7_DAYS}
    )


async def test_endpoint_loads_the_widget_with_one_period(in_process):
    query = {"range": "custom", "from": "2026-11-01", "to": "2026-11-20"}
    frame, status = await frame_for(
        RequestFactory().get("/widgets/period_probe/", query), "period_probe", query
    )
    assert status == 200
    assert frame.body["kpis"][0] == Kpi("Period", "1 Nov 2026 – 20 Nov 2026")
    assert frame.url == "/widgets/period_probe/?range=custom&from=2026-11-01&to=2026-11-20"


async def test_endpoint_names_the_query_key_and_value_of_an_invalid_period(in_process):
    query = {"range": "custom", "from": "2026-11-20", "to": "2026-11-01"}
    frame, status = await frame_for(
        RequestFactory().get("/widgets/period_probe/", query), "period_probe", query
    )
    assert status == 400
    assert frame.param_errors == [
        ParamError("from", "2026-11-20", "from: 2026-11-20 is after to (2026-11-01).")
    ]


def test_ordinary_field_errors_name_the_field_and_its_value():
    class CountForm(forms.Form):
        count = forms.IntegerField(min_value=1)

    form = CountForm(data={"count": "0"})
    assert param_errors(form, {"count": "0"}) == [
        ParamError("count", "0", "Ensure this value is greater than or equal to 1.")
    ]


def test_form_without_fields_reads_no_query_keys():
    assert query_keys(Widget.params_form) == []


@pytest.mark.parametrize(
    ("first", "last", "key"),
    [
        ("9999-12-31", "9999-12-31", "to"),
        ("0001-01-01", "0001-01-01", "from"),
        ("0001-01-05", "0001-01-08", "from"),
    ],
)
def test_days_whose_window_or_previous_window_a_datetime_cannot_hold_are_refused(first, last, key):
    form = PeriodForm(data={"range": "custom", "from": first, "to": last})
    assert not form.is_valid()
    [error] = form.errors.as_data()["period"]
    assert error.params["key"] == key
    assert "too far from today" in error.messages[0]


def test_days_near_the_ends_that_fit_give_a_window_and_its_previous_one():
    form = PeriodForm(data={"range": "custom", "from": "0001-01-10", "to": "0001-01-11"})
    assert form.is_valid(), form.errors
    window = form.cleaned_data["period"].window()
    assert window.previous.start < window.start
