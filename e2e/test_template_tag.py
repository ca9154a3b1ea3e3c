"""The ``{% widget %}`` tag in an ordinary page: ``/examples/embed/`` shows one lazy and one inline widget."""

import re

from playwright.sync_api import Locator, Page, expect

from e2e.pages import BrowserErrors, expect_widget_ready

EXAMPLE_PAGE = "/examples/embed/"


def lazy_chart(page: Page) -> Locator:
    return page.locator('[data-embed-mode="lazy"] [data-widget="orders_over_time"]')


def inline_revenue(page: Page) -> Locator:
    return page.locator('[data-embed-mode="inline"] [data-widget="revenue"]')


def test_page_arrives_with_the_inline_widget_loaded_and_the_lazy_one_waiting(page_without_js: Page) -> None:
    response = page_without_js.goto(EXAMPLE_PAGE)

    assert response is not None
    assert response.status == 200
    chart = lazy_chart(page_without_js)
    expect(chart).to_have_attribute("data-state", "loading")
    expect(chart).to_have_attribute("hx-trigger", "load")
    expect(chart).to_have_attribute("hx-get", re.compile(r"^/widgets/orders_over_time/\?.*range=7d"))
    expect(chart.get_by_text("Loading…")).to_be_visible()
    revenue = inline_revenue(page_without_js)
    expect_widget_ready(revenue)
    expect(revenue.locator(".kpi__label")).to_have_text("Revenue, last 30 days")
    expect(revenue.locator(".kpi__value")).to_have_text(re.compile(r"^\$[\d,]+\.\d\d$"))


def test_with_javascript_both_widgets_become_ready(page: Page, browser_errors: BrowserErrors) -> None:
    with page.expect_response(re.compile(r"/widgets/orders_over_time/\?")) as chart_load:
        page.goto(EXAMPLE_PAGE)

    assert chart_load.value.status == 200  # htmx loaded the lazy widget after the page
    chart = lazy_chart(page)
    expect_widget_ready(chart)
    expect(chart.locator("svg[role=img] > title")).to_have_text("Orders per day, last 7 days")
    expect(chart.get_by_text("Loading…")).to_have_count(0)
    revenue = inline_revenue(page)
    expect_widget_ready(revenue)
    expect(revenue.locator(".kpi__value")).to_have_text(re.compile(r"^\$[\d,]+\.\d\d$"))
    assert browser_errors.page == []
    assert browser_errors.console == []
