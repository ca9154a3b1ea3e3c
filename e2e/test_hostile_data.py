"""Every upstream answers markup in every string: the page shows it as text, and none of it runs."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from dashboard.demo_upstream import HOSTILE_TEXT
from e2e.pages import BrowserErrors, Dashboard, expect_widget_ready
from e2e.servers import UpstreamFaults


def make_every_upstream_hostile(upstream_faults: UpstreamFaults) -> None:
    upstream_faults.set(rates="hostile", status="hostile", health="hostile")


def expect_shown_as_text(fx_rates: Locator, service_status: Locator) -> None:
    """The hostile strings are there to read, and no element came of them."""
    expect(fx_rates.get_by_role("cell", name=HOSTILE_TEXT, exact=True)).to_be_visible()
    expect(fx_rates.locator("caption")).to_contain_text(f"1 {HOSTILE_TEXT}EUR", use_inner_text=True)
    expect(service_status.locator(".component__name").first).to_have_text(f"{HOSTILE_TEXT}API")
    expect(service_status.locator(".status strong")).to_have_text(f"{HOSTILE_TEXT}Demo Cloud")
    for widget in (fx_rates, service_status):
        expect(widget.locator("script, img")).to_have_count(0)


def assert_nothing_ran(page: Page, browser_errors: BrowserErrors) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert browser_errors.page == []
    # Markup that reached the DOM would be stopped by the CSP and reported here.
    assert browser_errors.console == []


def test_hostile_upstream_data_never_runs_on_the_dashboard(
    dashboard: Dashboard, browser_errors: BrowserErrors, upstream_faults: UpstreamFaults
) -> None:
    make_every_upstream_hostile(upstream_faults)

    dashboard.open()

    dashboard.expect_ready()
    expect_shown_as_text(dashboard.widget("fx_rates"), dashboard.widget("service_status"))
    assert_nothing_ran(dashboard.page, browser_errors)


def test_hostile_upstream_data_never_runs_in_widgets_htmx_swaps_in(
    dashboard: Dashboard, browser_errors: BrowserErrors, upstream_faults: UpstreamFaults
) -> None:
    make_every_upstream_hostile(upstream_faults)
    dashboard.open()
    dashboard.expect_ready()
    dashboard.mark_document()

    # A filter change swaps the page body in, and each widget loads into it through htmx;
    # revenue in dollars reads the hostile rates too.
    dashboard.choose_currency("USD")

    expect(dashboard.page).to_have_url(re.compile(r"currency=USD"))
    expect(dashboard.revenue_value).to_have_text(re.compile(r"^\$"))
    dashboard.expect_ready()
    assert dashboard.is_same_document()
    expect_shown_as_text(dashboard.widget("fx_rates"), dashboard.widget("service_status"))
    assert_nothing_ran(dashboard.page, browser_errors)


@pytest.mark.parametrize(
    ("name", "selector", "text"),
    [
        pytest.param("fx_rates", "caption", f"1 {HOSTILE_TEXT}EUR", id="fx_rates"),
        pytest.param("service_status", ".component__name", f"{HOSTILE_TEXT}API", id="service_status"),
    ],
)
def test_hostile_upstream_data_never_runs_on_a_widget_page(
    page: Page,
    browser_errors: BrowserErrors,
    upstream_faults: UpstreamFaults,
    name: str,
    selector: str,
    text: str,
) -> None:
    make_every_upstream_hostile(upstream_faults)

    page.goto(f"/widgets/{name}/")

    widget = page.locator(f'[data-widget="{name}"]')
    expect_widget_ready(widget)
    expect(widget.locator(selector).first).to_contain_text(text, use_inner_text=True)
    expect(widget.locator("script, img")).to_have_count(0)
    assert_nothing_ran(page, browser_errors)
