"""An upstream misbehaves: only the widgets that use it show an error, and nothing runs that it sends."""

import pytest
from playwright.sync_api import expect

from e2e.pages import WIDGET_NAMES, BrowserErrors, Dashboard
from e2e.servers import UpstreamFaults

XSS_PAYLOAD = '<script>window.__xss = 1</script><img src=x onerror="window.__xss=2">'


@pytest.mark.parametrize(
    ("group", "mode", "widget_name", "source", "reason"),
    [
        pytest.param("rates", "timeout", "fx_rates", "fx-rates", "timed out", id="rates-timeout"),
        pytest.param("rates", "error", "fx_rates", "fx-rates", "HTTP 500", id="rates-http-500"),
        pytest.param("rates", "malformed", "fx_rates", "fx-rates", "not JSON", id="rates-malformed-json"),
        pytest.param("status", "wrong_shape", "service_status", "status", "shape", id="status-wrong-shape"),
    ],
)
def test_failing_upstream_breaks_only_its_widget(
    dashboard: Dashboard,
    browser_errors: BrowserErrors,
    upstream_faults: UpstreamFaults,
    group: str,
    mode: str,
    widget_name: str,
    source: str,
    reason: str,
) -> None:
    upstream_faults.set(**{group: mode})

    dashboard.open()

    broken = dashboard.widget(widget_name)
    expect(broken).to_have_attribute("data-state", "error")
    expect(broken).to_have_attribute("aria-busy", "false")
    alert = broken.get_by_role("alert")
    expect(alert.locator(f'strong[data-source="{source}"]')).to_have_text(source)
    expect(alert).to_contain_text(reason)
    dashboard.expect_ready(*(name for name in WIDGET_NAMES if name != widget_name))
    assert browser_errors.page == []
    assert browser_errors.console == []


def test_html_from_upstream_is_shown_as_text_and_never_runs(
    dashboard: Dashboard, browser_errors: BrowserErrors, upstream_faults: UpstreamFaults
) -> None:
    upstream_faults.set(status="html")

    dashboard.open()

    service_status = dashboard.widget("service_status")
    dashboard.expect_ready()
    first_component = service_status.locator(".component__name").first
    expect(first_component).to_be_visible()
    expect(first_component).to_contain_text(XSS_PAYLOAD, use_inner_text=True)
    expect(service_status.locator("script")).to_have_count(0)
    expect(service_status.locator("img")).to_have_count(0)
    assert dashboard.page.evaluate("typeof window.__xss") == "undefined"
    assert browser_errors.page == []
    # A CSP violation would show here: the payload must not even be tried.
    assert browser_errors.console == []
