"""A person finds the dashboards, opens one, and picks a time range of their own."""

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from e2e.pages import WIDGET_NAMES, BrowserErrors, Dashboard

OPERATIONS_WIDGETS = ["service_status", "uptime", "fx_rates", "orders_over_time", "revenue", "recent_orders"]


def test_the_index_lists_both_dashboards_and_leads_to_one(page: Page, browser_errors: BrowserErrors) -> None:
    page.goto("/")

    expect(page).to_have_url(re.compile(r"/dashboards/$"))
    items = page.locator("[data-dashboard]")
    expect(items).to_have_count(2)
    expect(page.get_by_role("link", name="Shop dashboard")).to_be_visible()
    expect(page.get_by_text("Is everything up?")).to_be_visible()

    page.get_by_role("link", name="Operations").click()

    expect(page).to_have_url(re.compile(r"/dashboards/operations/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Operations")
    widgets = page.locator("[data-widget]")
    expect(widgets).to_have_count(len(OPERATIONS_WIDGETS))
    for name in OPERATIONS_WIDGETS:
        expect(page.locator(f'[data-widget="{name}"]')).to_have_attribute("data-state", "ready")
    expect(page.locator('[data-state="loading"]')).to_have_count(0)
    # The tile fixes its widget's range: the last 24 hours, whatever the page says.
    expect(page.locator('[data-widget="revenue"] .kpi__label')).to_have_text("Revenue, last 24 hours")
    assert browser_errors.page == []


def test_when_the_stream_has_ended_no_widget_is_left_loading(dashboard: Dashboard) -> None:
    dashboard.open("?range=90d")
    dashboard.page.wait_for_load_state("load")

    dashboard.expect_ready()
    expect(dashboard.page.locator('[data-state="loading"]')).to_have_count(0)
    expect(dashboard.page.locator("[data-widget]")).to_have_count(len(WIDGET_NAMES))
    expect(dashboard.page.locator('[aria-busy="true"]')).to_have_count(0)


def test_a_custom_range_uses_native_date_inputs_and_lives_in_the_url(
    dashboard: Dashboard, browser_errors: BrowserErrors
) -> None:
    dashboard.open()
    dashboard.expect_ready("revenue")
    date_from = dashboard.page.get_by_label("From", exact=True)
    expect(date_from).to_be_hidden()
    dashboard.mark_document()

    dashboard.choose_range("custom")

    expect(date_from).to_be_visible()
    expect(date_from).to_have_attribute("type", "date")
    first, last = date.today() - timedelta(days=10), date.today() - timedelta(days=3)
    dashboard.page.get_by_label("To", exact=True).fill(last.isoformat())
    expect(dashboard.page).to_have_url(re.compile(rf"&to={last.isoformat()}"))  # the page body was swapped
    date_from.fill(first.isoformat())

    expect(dashboard.page).to_have_url(
        re.compile(
            rf"/dashboards/shop/\?range=custom&from={first.isoformat()}&to={last.isoformat()}&currency=EUR$"
        )
    )
    expect(dashboard.revenue_label).to_have_text(re.compile(rf"^Revenue, {first.day} "))
    dashboard.expect_ready()
    assert dashboard.is_same_document()
    assert browser_errors.page == []


def test_a_custom_range_the_wrong_way_round_is_named_in_the_page(dashboard: Dashboard) -> None:
    dashboard.open("?range=custom&from=2026-11-20&to=2026-11-01")

    alert = dashboard.page.locator(".notice--error")
    expect(alert).to_contain_text("from")
    expect(alert).to_contain_text("2026-11-20 is after to (2026-11-01)")
    dashboard.expect_ready("revenue")
    expect(dashboard.revenue_label).to_have_text("Revenue, last 7 days")
