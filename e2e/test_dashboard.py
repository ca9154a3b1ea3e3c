"""A person uses the dashboard: it loads, the filters drive it, and new orders show up."""

import re

import httpx
from playwright.sync_api import expect

from e2e.pages import ORDER_ID, WIDGET_NAMES, BrowserErrors, Dashboard
from e2e.servers import BackgroundProcess, Server


def test_every_widget_loads_cleanly(dashboard: Dashboard, browser_errors: BrowserErrors) -> None:
    dashboard.open()

    expect(dashboard.page.locator("[data-widget]")).to_have_count(len(WIDGET_NAMES))
    dashboard.expect_ready()
    expect(dashboard.page.get_by_text("Loading…").filter(visible=True)).to_have_count(0)
    for name in WIDGET_NAMES:
        expect(dashboard.widget(name).locator('[aria-live="polite"]')).to_have_count(1)
    expect(dashboard.revenue_value).to_have_text(re.compile(r"^€[\d,]+\.\d\d$"))
    chart_title = dashboard.widget("orders_over_time").locator("svg[role=img] > title")
    expect(chart_title).to_have_text("Orders per day, last 7 days")
    expect(dashboard.widget("orders_over_time").locator("details table tbody tr")).not_to_have_count(0)
    expect(dashboard.widget("orders_by_country").locator(".chart__slice")).not_to_have_count(0)
    expect(dashboard.widget("recent_orders").locator("tbody tr td").first).to_have_text(ORDER_ID)
    assert browser_errors.page == []
    assert browser_errors.console == []


def test_choosing_a_currency_converts_revenue_without_a_page_load(
    dashboard: Dashboard, browser_errors: BrowserErrors
) -> None:
    dashboard.open()
    dashboard.expect_ready("revenue")
    expect(dashboard.revenue_value).to_have_text(re.compile(r"^€"))
    dashboard.mark_document()

    dashboard.choose_currency("USD")

    expect(dashboard.page).to_have_url(re.compile(r"/dashboards/shop/\?range=7d&currency=USD$"))
    expect(dashboard.revenue_value).to_have_text(re.compile(r"^\$[\d,]+\.\d\d$"))
    dashboard.expect_ready()
    assert dashboard.is_same_document()
    assert browser_errors.page == []
    assert browser_errors.console == []


def test_choosing_a_longer_range_changes_revenue_and_the_url(dashboard: Dashboard) -> None:
    dashboard.open()
    dashboard.expect_ready("revenue")
    expect(dashboard.revenue_label).to_have_text("Revenue, last 7 days")
    revenue_last_7_days = dashboard.revenue_value.inner_text()
    dashboard.mark_document()

    dashboard.choose_range("30d")

    expect(dashboard.page).to_have_url(re.compile(r"/dashboards/shop/\?range=30d&currency=EUR$"))
    expect(dashboard.revenue_label).to_have_text("Revenue, last 30 days")
    expect(dashboard.revenue_value).not_to_have_text(revenue_last_7_days)
    expect(dashboard.revenue_value).to_have_text(re.compile(r"^€"))
    chart_title = dashboard.widget("orders_over_time").locator("svg[role=img] > title")
    expect(chart_title).to_have_text("Orders per day, last 30 days")
    assert dashboard.is_same_document()


def test_reloading_keeps_the_chosen_filters(dashboard: Dashboard) -> None:
    dashboard.open()
    dashboard.choose_currency("USD")
    expect(dashboard.page).to_have_url(re.compile(r"currency=USD"))
    dashboard.expect_ready("revenue")
    dashboard.choose_range("30d")
    expect(dashboard.page).to_have_url(re.compile(r"/dashboards/shop/\?range=30d&currency=USD$"))

    dashboard.page.reload()

    expect(dashboard.range_filter).to_have_value("30d")
    expect(dashboard.currency_filter).to_have_value("USD")
    expect(dashboard.revenue_label).to_have_text("Revenue, last 30 days")
    expect(dashboard.revenue_value).to_have_text(re.compile(r"^\$"))


def test_going_back_restores_the_previous_filters(dashboard: Dashboard) -> None:
    dashboard.open()
    dashboard.choose_currency("USD")
    expect(dashboard.page).to_have_url(re.compile(r"/dashboards/shop/\?range=7d&currency=USD$"))
    dashboard.expect_ready("revenue")
    dashboard.choose_range("30d")
    expect(dashboard.page).to_have_url(re.compile(r"/dashboards/shop/\?range=30d&currency=USD$"))
    dashboard.expect_ready("revenue")

    dashboard.page.go_back()

    expect(dashboard.page).to_have_url(re.compile(r"/dashboards/shop/\?range=7d&currency=USD$"))
    expect(dashboard.range_filter).to_have_value("7d")
    expect(dashboard.currency_filter).to_have_value("USD")
    expect(dashboard.revenue_label).to_have_text("Revenue, last 7 days")
    expect(dashboard.revenue_value).to_have_text(re.compile(r"^\$"))


def test_recent_orders_refresh_as_orders_arrive(
    dashboard: Dashboard, new_orders_arriving: BackgroundProcess
) -> None:
    dashboard.open()
    dashboard.expect_ready("recent_orders")
    newest_order = dashboard.widget("recent_orders").locator("tbody tr").first.locator("td").first
    expect(newest_order).to_have_text(ORDER_ID)
    first_seen = int(newest_order.inner_text().removeprefix("#"))
    dashboard.mark_document()

    # The widget polls every 5 s; a later order's id must replace the one seen.
    expect(newest_order).to_have_text(re.compile(rf"^#(?!{first_seen}$)\d+$"), timeout=15_000)

    assert int(newest_order.inner_text().removeprefix("#")) > first_seen
    assert dashboard.is_same_document()


def test_readiness_endpoint_reports_ok(app_server: Server) -> None:
    response = httpx.get(f"{app_server.url}/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
