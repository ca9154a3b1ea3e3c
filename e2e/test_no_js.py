"""Without JavaScript: the dashboard and each widget's own page are rendered on the server."""

import re

from playwright.sync_api import Page, expect

from e2e.pages import WIDGET_NAMES, expect_widget_ready


def test_widget_page_renders_the_loaded_widget(page_without_js: Page) -> None:
    response = page_without_js.goto("/widgets/revenue/?range=7d&currency=EUR")

    assert response is not None
    assert response.status == 200
    revenue = page_without_js.locator('[data-widget="revenue"]').filter(visible=True)
    expect(revenue).to_have_attribute("data-state", "ready")
    expect(revenue).to_have_attribute("aria-busy", "false")
    expect(revenue.locator(".kpi__value")).to_have_text(re.compile(r"^€[\d,]+\.\d\d$"))


def test_invalid_parameter_is_named_with_its_value(page_without_js: Page) -> None:
    response = page_without_js.goto("/widgets/revenue/?range=1y")

    assert response is not None
    assert response.status == 400
    alert = page_without_js.locator('[data-widget="revenue"]').get_by_role("alert")
    expect(alert.locator('[data-field="range"]')).to_have_text("range")
    expect(alert).to_contain_text("“1y”")


def test_unknown_widget_is_not_found(page_without_js: Page) -> None:
    response = page_without_js.goto("/widgets/nope/")

    assert response is not None
    assert response.status == 404
    expect(page_without_js.get_by_role("alert")).to_have_text("There is no widget named “nope”.")


def test_dashboard_page_arrives_with_every_widget_rendered(page_without_js: Page) -> None:
    response = page_without_js.goto("/dashboards/shop/?range=30d&currency=USD")

    assert response is not None
    assert response.status == 200
    # Without a script, the placeholders stay in the page, hidden by CSS once their widget arrived.
    expect(page_without_js.locator("[data-widget]").filter(visible=True)).to_have_count(len(WIDGET_NAMES))
    expect(page_without_js.locator('[data-state="loading"]').filter(visible=True)).to_have_count(0)
    for name in WIDGET_NAMES:
        widget = page_without_js.locator(f'[data-widget="{name}"]').filter(visible=True)
        expect(widget).to_be_visible()
        expect_widget_ready(widget)
    expect(page_without_js.get_by_text("Loading…").filter(visible=True)).to_have_count(0)
    revenue = page_without_js.locator('[data-widget="revenue"]').filter(visible=True)
    expect(revenue.locator(".kpi__label")).to_have_text("Revenue, last 30 days")
    expect(revenue.locator(".kpi__value")).to_have_text(re.compile(r"^\$"))
