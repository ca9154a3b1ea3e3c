"""A German reader opens a dashboard in German, switches it to English, and shows times in their own zone."""

import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from e2e.pages import ADMIN, BrowserErrors, Visitors, expect_widget_ready
from e2e.servers import Server

OPERATIONS = "/dashboards/operations/"
# The time a widget's values are from: "14:03:05 CET" (hh:mm:ss, then the zone's abbreviation).
UPDATED_AT = re.compile(r"^(\d\d:\d\d:\d\d) (\S+)$")


@pytest.fixture
def german_page(browser: Browser, app_server: Server, visitors: Visitors) -> Iterator[Page]:
    """A tab of a German browser (``Accept-Language: de-DE``) in Berlin, logged in as ``admin``."""
    errors = BrowserErrors()
    context = browser.new_context(
        base_url=app_server.url,
        locale="de-DE",
        timezone_id="Europe/Berlin",
        storage_state=visitors.storage_state(ADMIN),
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("pageerror", errors.record_page_error)
    yield page
    assert errors.page == []
    context.close()


def widget(page: Page, name: str) -> Locator:
    return page.locator(f'[data-widget="{name}"]')


def updated_at(page: Page, name: str) -> tuple[str, str, datetime]:
    """A ready widget's time as shown (clock, abbreviation) and the moment it stands for."""
    time = widget(page, name).locator(".widget__updated")
    expect(time).to_have_text(UPDATED_AT)
    match = UPDATED_AT.match(time.inner_text().strip())
    assert match is not None
    moment = datetime.fromisoformat(str(time.get_attribute("datetime")))
    return match.group(1), match.group(2), moment


def test_a_german_browser_gets_the_dashboard_in_german(german_page: Page) -> None:
    page = german_page
    page.goto(OPERATIONS)

    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_label("Sprache")).to_have_value("de")
    expect(page.get_by_role("link", name="Alle Dashboards")).to_be_visible()
    expect(page.get_by_role("group", name="Farbschema")).to_be_visible()
    expect_widget_ready(widget(page, "orders_over_time"))
    expect(widget(page, "orders_over_time").get_by_text("Datentabelle anzeigen")).to_be_visible()
    expect(widget(page, "uptime").get_by_role("columnheader", name="Latenz")).to_be_visible()
    _, abbreviation, _ = updated_at(page, "uptime")
    assert abbreviation == "UTC"  # the site's time until the reader asks for their own


def test_the_language_menu_switches_to_english_and_the_choice_stays(german_page: Page) -> None:
    page = german_page
    page.goto(OPERATIONS)
    expect(page.get_by_label("Sprache")).to_be_visible()

    with page.expect_navigation():
        page.get_by_label("Sprache").select_option("en")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Language")).to_have_value("en")
    expect(page.get_by_role("link", name="All dashboards")).to_be_visible()
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the cookie wins over Accept-Language
    expect(page.get_by_role("link", name="All dashboards")).to_be_visible()
    expect(page.get_by_role("link", name="Alle Dashboards")).to_have_count(0)


def test_my_time_zone_shows_widget_times_in_berlin_with_its_abbreviation(german_page: Page) -> None:
    page = german_page
    page.goto(OPERATIONS)
    zone_menu = page.get_by_label("Zeiten in")
    expect(zone_menu).to_be_visible()
    expect(zone_menu.locator("option[value='viewer']")).to_have_text("Meine Zeitzone (Europe/Berlin)")

    with page.expect_navigation():
        zone_menu.select_option("viewer")

    expect(page.get_by_label("Zeiten in")).to_have_value("viewer")
    expect_widget_ready(widget(page, "uptime"))
    clock, abbreviation, moment = updated_at(page, "uptime")
    berlin = moment.astimezone(ZoneInfo("Europe/Berlin"))
    assert abbreviation == berlin.tzname()  # CET in winter, CEST in summer
    assert clock == f"{berlin:%H:%M:%S}"
