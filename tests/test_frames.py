from datetime import date, timedelta

import pytest
from django.template.loader import render_to_string

from widgets.base import Widget
from widgets.pages.periods import Period
from widgets.render.frames import WidgetFrame, loading_frame, widget_url
from widgets.sources import SourceError


class SalesWidget(Widget):
    name = "sales"
    title = "Sales"
    template_name = "widgets/builtin/kpi.html"


def frame(state, **fields):
    return WidgetFrame("sales", "Sales", state, "/widgets/sales/", **fields)


def render(frame):
    return render_to_string("widgets/frame.html#widget", {"frame": frame})


def test_widget_url_puts_params_in_the_query_string():
    assert (
        widget_url("sales", {"range": "30d", "currency": "USD"}) == "/widgets/sales/?range=30d&currency=USD"
    )


def test_widget_url_leaves_out_empty_params():
    assert widget_url("sales", {"range": "", "currency": None}) == "/widgets/sales/"


def test_widget_url_encodes_values():
    assert widget_url("sales", {"q": "a b&c"}) == "/widgets/sales/?q=a+b%26c"


def test_loading_frame_is_busy_and_loads_at_once():
    placeholder = loading_frame(SalesWidget(), {"range": "7d"})
    assert (placeholder.state, placeholder.url) == ("loading", "/widgets/sales/?range=7d")
    assert placeholder.is_busy
    assert placeholder.hx_trigger == "load"


def test_ready_frame_polls_at_its_refresh_interval():
    ready = frame("ready", refresh_seconds=30)
    assert not ready.is_busy
    assert ready.hx_trigger == "every 30s"


def test_frame_without_refresh_does_not_poll():
    assert frame("error").hx_trigger == ""


def test_loading_frame_renders_the_dom_contract():
    html = render(loading_frame(SalesWidget(), {"range": "7d"}))
    assert 'data-widget="sales"' in html
    assert 'data-state="loading"' in html
    assert 'aria-busy="true"' in html
    assert 'aria-live="polite"' in html
    assert 'hx-get="/widgets/sales/?range=7d" hx-trigger="load" hx-swap="outerHTML"' in html


def test_frame_without_trigger_renders_no_hx_get():
    assert "hx-get" not in render(frame("error", source_errors=[SourceError("revenue", "database error")]))


def test_error_frame_lists_each_source_and_reason():
    errors = [
        SourceError("fx-rate", "upstream answered HTTP 500"),
        SourceError("revenue", "timed out after 3 s"),
    ]
    html = render(frame("error", refresh_seconds=30, source_errors=errors))
    assert 'role="alert"' in html
    assert '<strong data-source="fx-rate">fx-rate</strong>: upstream answered HTTP 500' in html
    assert '<strong data-source="revenue">revenue</strong>: timed out after 3 s' in html
    assert "try again in 30 s" in html


@pytest.mark.parametrize("state", ["ready", "error"])
def test_settled_frame_is_not_busy(state):
    errors = [SourceError("revenue", "database error")] if state == "error" else []
    html = render(frame(state, body_template="widgets/builtin/kpi.html#ready", source_errors=errors))
    assert 'aria-busy="false"' in html


def test_widget_url_puts_a_period_as_its_query_keys():
    period = Period.between(date(2026, 11, 1), date(2026, 11, 20))
    assert (
        widget_url("sales", {"period": period, "currency": "USD"})
        == "/widgets/sales/?range=custom&from=2026-11-01&to=2026-11-20&currency=USD"
    )


def test_widget_url_puts_a_preset_period_as_its_range():
    period = Period.from_preset("30d", "Last 30 days", timedelta(days=30))
    assert widget_url("sales", {"period": period}) == "/widgets/sales/?range=30d"
