"""A person changes the colours, puts a dashboard on a wall screen, and prints it."""

import io
import re

from playwright.sync_api import Locator, Page, ViewportSize, expect
from pypdf import PdfReader

from e2e.pages import BrowserErrors, Dashboard

THEME_COOKIE = "widgets_theme"
# Records the theme <html> arrived with, before any script of the page could change it.
RECORD_FIRST_THEME = """
new MutationObserver((mutations, observer) => {
  if (document.documentElement) {
    window.__firstTheme = document.documentElement.getAttribute("data-theme");
    observer.disconnect();
  }
}).observe(document, {childList: true});
"""
KIOSK_PATH = "/dashboards/shop/?kiosk=1"
TV = ViewportSize(width=1920, height=1080)
SMALLEST_PHONE = ViewportSize(width=320, height=640)
# The shortest interval kiosk mode takes; the wait allows for the next page to load.
ROTATION_SECONDS = 10
ROTATION_WAIT_MS = 30_000
SERIES_COLOUR = "mark => `${getComputedStyle(mark).fill} ${getComputedStyle(mark).stroke}`"


def background(page: Page, selector: str) -> str:
    return str(page.locator(selector).first.evaluate("element => getComputedStyle(element).backgroundColor"))


def font_size(element: Locator) -> float:
    return float(element.evaluate("element => parseFloat(getComputedStyle(element).fontSize)"))


def lightness(rgb: str) -> float:
    """0 (black) to 255 (white): the mean of an ``rgb(r, g, b)`` colour's channels."""
    channels = [int(value) for value in re.findall(r"\d+", rgb)[:3]]
    return sum(channels) / 3


def theme_button(page: Page, name: str) -> Locator:
    return page.get_by_role("group", name="Colour theme").get_by_role("button", name=name, exact=True)


def test_the_dashboard_follows_a_dark_system_and_a_light_one(dashboard: Dashboard) -> None:
    page = dashboard.page
    page.emulate_media(color_scheme="light")
    dashboard.open()
    dashboard.expect_ready("revenue")
    light = {"body": background(page, "body"), "widget": background(page, "[data-widget]")}

    page.emulate_media(color_scheme="dark")
    dark = {"body": background(page, "body"), "widget": background(page, "[data-widget]")}

    assert dark["body"] != light["body"]
    assert dark["widget"] != light["widget"]
    assert lightness(dark["body"]) < 64 < 192 < lightness(light["body"])
    assert lightness(dark["widget"]) < 64 < 192 < lightness(light["widget"])


def test_the_toggle_overrides_the_system_and_the_choice_stays_without_a_flash(
    dashboard: Dashboard, browser_errors: BrowserErrors
) -> None:
    page = dashboard.page
    page.emulate_media(color_scheme="dark")
    page.add_init_script(RECORD_FIRST_THEME)
    dashboard.open()
    expect(theme_button(page, "System")).to_have_attribute("aria-pressed", "true")
    assert lightness(background(page, "body")) < 64

    theme_button(page, "Light").click()

    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    expect(theme_button(page, "Light")).to_have_attribute("aria-pressed", "true")
    assert lightness(background(page, "body")) > 192
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    assert cookies[THEME_COOKIE] == "light"

    page.reload(wait_until="domcontentloaded")

    assert page.evaluate("window.__firstTheme") == "light"  # in the HTML, before any script ran
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    assert lightness(background(page, "body")) > 192
    assert browser_errors.page == []
    assert browser_errors.console == []  # the toggle broke no CSP rule


def test_dark_chosen_on_a_light_system_then_system_again(dashboard: Dashboard) -> None:
    page = dashboard.page
    page.emulate_media(color_scheme="light")
    dashboard.open()
    dashboard.expect_ready("orders_over_time")
    series = page.locator('[data-widget="orders_over_time"]').locator(".chart__bar, .chart__line").first
    light_colour = series.evaluate(SERIES_COLOUR)

    theme_button(page, "Dark").click()

    assert lightness(background(page, "[data-widget]")) < 64
    assert series.evaluate(SERIES_COLOUR) != light_colour  # charts follow the theme
    theme_button(page, "System").click()
    expect(page.locator("html")).not_to_have_attribute("data-theme", re.compile(".*"))
    assert lightness(background(page, "[data-widget]")) > 192
    assert THEME_COOKIE not in {cookie["name"] for cookie in page.context.cookies()}


def test_kiosk_mode_hides_navigation_and_filters_and_enlarges_the_type(dashboard: Dashboard) -> None:
    page = dashboard.page
    page.set_viewport_size(TV)
    dashboard.open()
    dashboard.expect_ready("revenue")
    normal_size = font_size(dashboard.revenue_value)
    expect(dashboard.range_filter).to_be_visible()

    page.goto(KIOSK_PATH)
    dashboard.expect_ready("revenue")

    expect(page.locator("body")).to_have_class("kiosk")
    expect(page.get_by_role("heading", name="Shop dashboard", level=1)).to_be_visible()
    expect(dashboard.range_filter).to_be_hidden()
    expect(dashboard.currency_filter).to_be_hidden()
    expect(page.get_by_role("link", name="All dashboards")).to_be_hidden()
    expect(page.get_by_role("link", name="Log out")).to_be_hidden()
    expect(page.get_by_role("group", name="Colour theme")).to_be_hidden()
    kiosk_size = font_size(dashboard.revenue_value)
    assert kiosk_size >= 1.5 * normal_size


def test_kiosk_mode_fits_a_phone(dashboard: Dashboard) -> None:
    page = dashboard.page
    page.set_viewport_size(SMALLEST_PHONE)

    page.goto("/dashboards/operations/?kiosk=1&rotate=nowhere&every=3")

    expect(page.locator('[data-widget="uptime"]')).to_have_attribute("data-state", "ready")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert font_size(page.locator("body")) == 16  # the kiosk's type grows with the screen, not on a phone


def test_kiosk_rotation_moves_on_to_the_next_dashboard_by_itself(dashboard: Dashboard) -> None:
    page = dashboard.page
    page.goto(f"/dashboards/shop/?kiosk=1&rotate=shop,operations&every={ROTATION_SECONDS}&currency=USD")
    dashboard.expect_ready("revenue")

    expect(page).to_have_url(re.compile(r"/dashboards/operations/\?"), timeout=ROTATION_WAIT_MS)

    url = page.url
    assert "kiosk=1" in url
    assert "rotate=shop,operations" in url
    assert f"every={ROTATION_SECONDS}" in url
    assert "currency=USD" in url
    expect(page.locator("body")).to_have_class("kiosk")
    expect(page.locator('[data-widget="uptime"]')).to_have_attribute("data-state", "ready")


def test_a_wrong_rotation_is_named_on_the_screen_not_an_error(dashboard: Dashboard) -> None:
    page = dashboard.page
    response = page.goto("/dashboards/shop/?kiosk=1&rotate=nowhere,operations&every=3")

    assert response is not None
    assert response.status == 200
    notice = page.get_by_role("status").filter(has_text="Left out of the rotation")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("“nowhere”")
    expect(notice).to_contain_text("The interval “3” was ignored")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("body")).to_have_attribute("data-kiosk-every", "60")


def test_printing_gives_the_title_the_filters_the_time_and_every_widget(dashboard: Dashboard) -> None:
    page = dashboard.page
    dashboard.open("?range=30d&currency=USD")
    dashboard.expect_ready()
    revenue = dashboard.revenue_value.inner_text()

    pdf = page.pdf(format="A4")

    pages = PdfReader(io.BytesIO(pdf)).pages
    text = re.sub(r"\s+", " ", " ".join(page_.extract_text() for page_ in pages))
    assert "Shop dashboard" in text
    assert "Time range: Last 30 days" in text
    assert "Currency: USD" in text
    assert re.search(r"Data as of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", text)
    for title in ("Revenue", "Orders over time", "Recent orders", "Uptime"):
        assert title in text
    assert revenue in text
    assert "All dashboards" not in text  # no top bar
    assert not re.search(r"Light ?Dark ?System", text)  # no theme toggle
    assert "Loading…" not in text


def test_print_media_lays_the_widgets_out_for_paper(dashboard: Dashboard) -> None:
    page = dashboard.page
    page.emulate_media(color_scheme="dark")
    dashboard.open()
    dashboard.expect_ready()

    page.emulate_media(media="print", color_scheme="dark")

    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator(".print-header")).to_be_visible()
    expect(dashboard.range_filter).to_be_hidden()
    assert lightness(background(page, "[data-widget]")) == 255  # paper, whatever the screen's theme
    columns = page.locator(".grid").evaluate("grid => getComputedStyle(grid).gridTemplateColumns.split(' ')")
    assert len(columns) == 2
    widget = dashboard.widget("revenue").evaluate("widget => getComputedStyle(widget).breakInside")
    assert widget == "avoid"
