"""Who sees what: the demo's users log in, each sees the dashboards and tiles their rights allow, and log out.

``admin`` sees everything; ``analyst`` both dashboards but not the staff-only
uptime tile; ``ops`` the operations dashboard without revenue and recent orders
(customers' names). Anonymous visitors are sent to the login page, and back.
"""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Response, expect

from e2e.pages import (
    ADMIN,
    ANALYST,
    OPS,
    WIDGET_NAMES,
    Account,
    BrowserErrors,
    Dashboard,
    LoginPage,
    Visitors,
)
from e2e.servers import run_manage_py

OPERATIONS = "/dashboards/operations/"
OPS_TILES = ("service_status", "uptime", "fx_rates", "orders_over_time")
SETTLED = re.compile(r"^(ready|stale)$")
NO_SERVER_ERROR = re.compile(r"Traceback|Server Error")
WRONG_PASSWORD = "Please enter a correct username and password."
# Recent orders poll every 5 s: the first poll without a session comes well within this.
POLL_TIMEOUT_MS = 15_000
# Notes in the tab's sessionStorage, which outlives the page, whether a tile ever held a form.
WATCH_TILES_FOR_FORMS = """() => {
    sessionStorage.setItem("watchingTiles", "yes");
    const look = () => {
        if (document.querySelector("[data-widget] form")) sessionStorage.setItem("formInTile", "yes");
    };
    new MutationObserver(look).observe(document.body, {childList: true, subtree: true});
    look();
}"""


@pytest.fixture
def ops_page(visitors: Visitors, browser_errors: BrowserErrors) -> Iterator[Page]:
    with visitors.tab(OPS, browser_errors) as tab:
        yield tab


@pytest.fixture
def analyst_page(visitors: Visitors, browser_errors: BrowserErrors) -> Iterator[Page]:
    with visitors.tab(ANALYST, browser_errors) as tab:
        yield tab


@pytest.fixture
def failed_logins_forgotten(app_environment: dict[str, str]) -> Iterator[None]:
    """After the test, forget its failed logins: with Redis the count outlives the run, and would add up."""
    yield
    if app_environment.get("REDIS_URL"):
        forget = (
            "from django.core.cache import cache; from widgets.auth import login_throttle; "
            f"cache.delete_many(login_throttle.keys('127.0.0.1', {ANALYST.username!r}))"
        )
        run_manage_py(["shell", "--no-imports", "-c", forget], app_environment)


def expect_login_page(page: Page) -> LoginPage:
    login = LoginPage(page)
    expect(login.heading).to_have_text("Log in")
    expect(page.locator("body")).not_to_contain_text(NO_SERVER_ERROR)
    return login


def test_an_anonymous_visitor_logs_in_as_ops_and_sees_the_operations_tiles_ops_may(
    anonymous_page: Page, browser_errors: BrowserErrors
) -> None:
    page = anonymous_page
    page.goto(OPERATIONS)

    expect(page).to_have_url(re.compile(rf"/accounts/login/\?next={OPERATIONS}$"))
    login = expect_login_page(page)
    expect(page.get_by_role("status")).to_have_text("Log in to see that page.")

    login.log_in(OPS)

    expect(page).to_have_url(re.compile(rf"{OPERATIONS}$"))
    expect(page.locator("[data-viewer]")).to_have_text(OPS.username)
    for name in OPS_TILES:
        expect(page.locator(f'[data-widget="{name}"]')).to_have_attribute("data-state", SETTLED)
    expect(page.locator("[data-widget]")).to_have_count(len(OPS_TILES))
    expect(page.locator('[data-widget="revenue"]')).to_have_count(0)
    expect(page.locator('[data-widget="recent_orders"]')).to_have_count(0)
    expect(page.locator('[data-state="loading"]')).to_have_count(0)
    assert browser_errors.page == []


def test_ops_is_refused_the_shop_dashboard_and_shown_the_one_they_may_open(ops_page: Page) -> None:
    response = ops_page.goto(Dashboard.path)

    assert response is not None
    assert response.status == 403
    expect(ops_page.get_by_role("alert")).to_have_text(
        "You do not have access to that dashboard. These are the dashboards you may open:"
    )
    listed = ops_page.locator("[data-dashboard]")
    expect(listed).to_have_count(1)
    expect(listed).to_have_attribute("data-dashboard", "operations")
    expect(ops_page.locator("[data-widget]")).to_have_count(0)


def test_analyst_sees_the_shop_dashboard_without_the_uptime_tile(analyst_page: Page) -> None:
    dashboard = Dashboard(analyst_page)
    dashboard.open()

    shown = [name for name in WIDGET_NAMES if name != "uptime"]
    dashboard.expect_ready(*shown)
    expect(analyst_page.locator("[data-widget]")).to_have_count(len(shown))
    expect(dashboard.widget("uptime")).to_have_count(0)
    expect(analyst_page.locator("[data-viewer]")).to_have_text(ANALYST.username)


def test_a_page_whose_session_expires_while_it_polls_goes_to_the_login_page_and_back(page: Page) -> None:
    page.goto(OPERATIONS)
    dashboard = Dashboard(page)
    dashboard.expect_ready("recent_orders")
    page.evaluate(WATCH_TILES_FOR_FORMS)
    sent_to_login: list[str] = []

    def note_redirect(response: Response) -> None:
        if "/widgets/" in response.url and "hx-redirect" in response.headers:
            sent_to_login.append(response.headers["hx-redirect"])

    page.on("response", note_redirect)

    page.context.clear_cookies()  # the session ends, as an expired cookie would

    expect(page).to_have_url(re.compile(rf"/accounts/login/\?next={OPERATIONS}$"), timeout=POLL_TIMEOUT_MS)
    login = expect_login_page(page)
    assert sent_to_login, "a widget's poll should have sent the page to the login page"
    assert all(url == f"/accounts/login/?next={OPERATIONS}" for url in sent_to_login), sent_to_login
    assert page.evaluate("sessionStorage.getItem('watchingTiles')") == "yes"
    assert page.evaluate("sessionStorage.getItem('formInTile')") is None  # no login form in a tile

    login.log_in(ADMIN)

    expect(page).to_have_url(re.compile(rf"{OPERATIONS}$"))
    dashboard.expect_ready("recent_orders")


def test_logging_out_from_the_top_bar_ends_the_session(analyst_page: Page) -> None:
    page = analyst_page
    page.goto(OPERATIONS)
    expect(page.locator("[data-viewer]")).to_have_text(ANALYST.username)

    page.get_by_role("link", name="Log out").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Log out")
    expect(page.get_by_text(f"You are logged in as {ANALYST.username}.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Logged out")
    page.goto("/dashboards/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/dashboards/$"))
    expect_login_page(page)


@pytest.mark.usefixtures("failed_logins_forgotten")
def test_a_wrong_password_is_named_on_the_login_page(anonymous_page: Page) -> None:
    login = LoginPage(anonymous_page)
    login.open()

    login.log_in(Account(ANALYST.username, "not-the-password"))

    expect(login.alert).to_contain_text(WRONG_PASSWORD)
    expect(anonymous_page).to_have_url(re.compile(rf"{LoginPage.path}$"))
    expect(login.heading).to_have_text("Log in")
    expect(anonymous_page.locator("[data-viewer]")).to_have_count(0)
