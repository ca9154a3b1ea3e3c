"""A person who uses a screen reader, a keyboard, or a screen that must not move opens the dashboards.

axe-core (bundled by the ``axe-playwright-python`` package) audits each kind of page with every rule it
runs by default; a violation of impact "serious" or "critical" fails the test, named with its rule,
what it means and the elements at fault. Then a keyboard walks the shop dashboard, reduced motion is
asked for, and each chart is read without being seen.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Route, ViewportSize, expect

from e2e.pages import Dashboard, LoginPage, expect_widget_ready
from e2e.servers import EmbedLink, EmbedLinks, Server, UpstreamFaults

THEME_COOKIE = "widgets_theme"
THEMES = ("light", "dark")
SMALLEST_PHONE = ViewportSize(width=320, height=640)
BLOCKING_IMPACTS = ("serious", "critical")
# Enough of a violation's elements to find them; the rest are counted.
SHOWN_TARGETS = 3
# More than the shop dashboard's controls: a walk that has not come back to the page's start by then is stuck.
MAX_TAB_PRESSES = 150

# A widget's own URL (a load, a refresh), not a static file under /static/widgets/.
WIDGET_FRAGMENT = re.compile(r"^https?://[^/]+/widgets/")

AUDITS_THAT_FAILED = "axe-core found {count} serious or critical violation(s) on {url}:\n{details}"


def audit(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now."""
    violations: list[dict[str, Any]] = Axe().run(page).response["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    """One paragraph per violation: its rule, impact and meaning, and the first few elements at fault."""
    paragraphs = []
    for violation in violations:
        nodes = violation["nodes"]
        targets = [" ".join(map(str, node["target"])) for node in nodes[:SHOWN_TARGETS]]
        more = f" and {len(nodes) - SHOWN_TARGETS} more" if len(nodes) > SHOWN_TARGETS else ""
        paragraphs.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"  at {'; '.join(targets)}{more}\n"
            f"  {violation['helpUrl']}"
        )
    return "\n".join(paragraphs)


def expect_no_serious_violations(page: Page) -> None:
    blocking = [violation for violation in audit(page) if violation["impact"] in BLOCKING_IMPACTS]
    assert not blocking, AUDITS_THAT_FAILED.format(
        count=len(blocking), url=page.url, details=describe(blocking)
    )


def expect_every_widget_ready(page: Page) -> None:
    """Every widget on the page has loaded, whether it came in the page's stream or by itself after."""
    expect(page.locator('[data-widget][data-state="loading"]')).to_have_count(0)
    for widget in page.locator("[data-widget]").all():
        expect_widget_ready(widget)


def open_every_details(page: Page) -> None:
    """Open each download menu and data table: axe-core audits only what is shown."""
    page.locator("details").evaluate_all("elements => elements.forEach(element => { element.open = true; })")


@contextmanager
def widget_requests_held(page: Page) -> Iterator[list[Route]]:
    """Hold back every widget request, unanswered: no refresh replaces a widget, no reload finishes."""
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(WIDGET_FRAGMENT, hold)
    try:
        yield held
    finally:
        for route in held:
            route.abort()
        page.unroute(WIDGET_FRAGMENT)


def choose_theme(page: Page, base_url: str, theme: str) -> None:
    """The viewer's choice as the top bar's toggle keeps it: a cookie the server reads."""
    page.context.add_cookies([{"name": THEME_COOKIE, "value": theme, "url": base_url}])


# The audits: each kind of page, as it is shown once its widgets have loaded.


@pytest.mark.parametrize("theme", THEMES)
def test_the_shop_dashboard_in_each_theme(page: Page, app_server: Server, theme: str) -> None:
    choose_theme(page, app_server.url, theme)
    page.goto(Dashboard.path)
    expect(page.locator("html")).to_have_attribute("data-theme", theme)
    expect_every_widget_ready(page)

    expect_no_serious_violations(page)


@pytest.mark.parametrize("theme", THEMES)
def test_the_shop_dashboard_with_its_menus_and_data_tables_open(
    page: Page, app_server: Server, theme: str
) -> None:
    choose_theme(page, app_server.url, theme)
    page.goto(Dashboard.path)
    expect_every_widget_ready(page)

    open_every_details(page)

    expect_no_serious_violations(page)


@pytest.mark.parametrize("theme", THEMES)
def test_the_operations_dashboard_in_each_theme(page: Page, app_server: Server, theme: str) -> None:
    choose_theme(page, app_server.url, theme)
    page.goto("/dashboards/operations/")
    expect_every_widget_ready(page)

    expect_no_serious_violations(page)


@pytest.mark.parametrize("theme", THEMES)
def test_widgets_whose_sources_fail_in_each_theme(
    page: Page, app_server: Server, upstream_faults: UpstreamFaults, theme: str
) -> None:
    upstream_faults.set(rates="error", status="error", health="error")
    choose_theme(page, app_server.url, theme)
    page.goto("/dashboards/operations/")
    expect(page.locator('[data-widget="fx_rates"]')).to_have_attribute("data-state", "error")
    expect(page.locator('[data-widget][aria-busy="true"]')).to_have_count(0)

    expect_no_serious_violations(page)


def test_the_shop_dashboard_on_the_smallest_phone(page: Page) -> None:
    page.set_viewport_size(SMALLEST_PHONE)
    page.goto(Dashboard.path)
    expect_every_widget_ready(page)

    expect_no_serious_violations(page)


def test_kiosk_mode(page: Page) -> None:
    page.goto("/dashboards/operations/?kiosk=1")
    expect(page.locator("body")).to_have_class("kiosk")
    expect_every_widget_ready(page)

    expect_no_serious_violations(page)


@pytest.mark.parametrize("theme", THEMES)
def test_the_index_of_dashboards_in_each_theme(page: Page, app_server: Server, theme: str) -> None:
    choose_theme(page, app_server.url, theme)
    page.goto("/dashboards/")
    expect(page.get_by_role("link", name="Shop dashboard")).to_be_visible()

    expect_no_serious_violations(page)


@pytest.mark.parametrize("name", ["revenue", "orders_over_time", "recent_orders"])
def test_a_widget_page(page: Page, name: str) -> None:
    page.goto(f"/widgets/{name}/?range=30d")
    expect_every_widget_ready(page)

    expect_no_serious_violations(page)


@pytest.fixture(scope="module")
def chart_link(embed_links: EmbedLinks) -> EmbedLink:
    return embed_links.make("orders_over_time", "range=30d", expires="1h")


@pytest.mark.parametrize("link_name", ["recent_orders_link", "chart_link"])
def test_an_embedded_widget(anonymous_page: Page, link_name: str, request: pytest.FixtureRequest) -> None:
    link: EmbedLink = request.getfixturevalue(link_name)
    anonymous_page.goto(link.url)
    expect_every_widget_ready(anonymous_page)

    expect_no_serious_violations(anonymous_page)


def test_the_login_page(browser: Browser, app_server: Server) -> None:
    context = browser.new_context(base_url=app_server.url)  # no one's cookies: never logged in
    try:
        login = LoginPage(context.new_page())
        login.open()
        expect(login.heading).to_have_text("Log in")

        expect_no_serious_violations(login.page)
    finally:
        context.close()


def test_the_login_page_saying_what_went_wrong(anonymous_page: Page) -> None:
    login = LoginPage(anonymous_page)
    login.open()
    anonymous_page.get_by_label("Username").fill("nobody")
    anonymous_page.get_by_label("Password").fill("not-a-password")
    anonymous_page.get_by_role("button", name="Log in").click()
    expect(login.alert).to_be_visible()

    expect_no_serious_violations(anonymous_page)


# The keyboard: every control within reach of Tab, in the order the page shows them, each showing focus.

# What a person hears a control called, and where it is: "filters: Currency", "revenue: Download Revenue".
CONTROL_NAME = """element => {
  const widget = element.closest("[data-widget]");
  const place = widget ? widget.dataset.widget : element.closest(".topbar") ? "top bar" :
    element.closest("form") ? "filters" : "page";
  const label = element.closest("label");
  const name = element.getAttribute("aria-label") ||
    (label && element.tagName !== "LABEL" ? label.firstChild.textContent : element.textContent);
  return `${place}: ${name.replace(/\\s+/g, " ").trim()}`;
}"""
FOCUSED = f"""() => {{
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  return {{
    name: ({CONTROL_NAME})(element),
    widget: element.closest("[data-widget]")?.dataset.widget ?? null,
    isFocusVisible: element.matches(":focus-visible"),
    outline: `${{style.outlineStyle}} ${{style.outlineWidth}}`,
    boxShadow: style.boxShadow,
  }};
}}"""
FOCUSABLE = ", ".join(
    (
        "a[href]",
        "button:not([disabled])",
        "select:not([disabled])",
        "input:not([disabled], [type=hidden])",
        "summary",
        "[tabindex='0']",
    )
)
LAYOUT_ORDER = """() => [...document.querySelectorAll(".grid > [class*='slot-']")]
  .map(tile => [Number([...tile.classList].find(name => name.startsWith("slot-")).slice(5)), tile])
  .sort(([a], [b]) => a - b)
  .map(([, tile]) => tile.querySelector("[data-widget]").dataset.widget)"""


def tab_through(page: Page) -> list[dict[str, Any]]:
    """Each element Tab stops at, from the top of the page until the focus leaves it."""
    stops: list[dict[str, Any]] = []
    for _ in range(MAX_TAB_PRESSES):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            return stops
        stops.append(focused)
    pytest.fail(f"Tab never left the page after {MAX_TAB_PRESSES} presses: {[s['name'] for s in stops]}")


def shows_focus(stop: dict[str, Any]) -> bool:
    has_outline = not stop["outline"].startswith("none") and not stop["outline"].endswith(" 0px")
    return stop["isFocusVisible"] and (has_outline or stop["boxShadow"] != "none")


@pytest.fixture
def dashboard_for_keyboard(dashboard: Dashboard) -> Iterator[Dashboard]:
    """The shop dashboard, loaded; its refreshes held back so that none replaces a widget mid-walk."""
    dashboard.open("?range=30d")
    expect_every_widget_ready(dashboard.page)
    expect(dashboard.page.get_by_role("group", name="Colour theme")).to_be_visible()  # theme.js has run
    with widget_requests_held(dashboard.page):
        yield dashboard


def test_tab_reaches_every_control_of_the_dashboard(dashboard_for_keyboard: Dashboard) -> None:
    page = dashboard_for_keyboard.page
    shown_controls = page.locator(FOCUSABLE).evaluate_all(
        f"elements => elements.filter(element => element.checkVisibility()).map({CONTROL_NAME})"
    )

    visited = [stop["name"] for stop in tab_through(page)]

    for control in (
        "filters: Time range",
        "filters: Currency",
        "top bar: All dashboards",
        "top bar: Log out",
    ):
        assert control in visited
    for choice in ("Light", "Dark", "System"):
        assert f"top bar: {choice}" in visited
    menus = [name for name in visited if ": Download " in name]
    data_tables = [name for name in visited if name.endswith(": Show data table")]
    assert len(menus) == page.locator(".widget__menu").count() > 0
    assert len(data_tables) == page.locator(".chart__data").count() > 0
    assert [name for name in shown_controls if name not in visited] == []


def test_each_control_shows_where_the_focus_is(dashboard_for_keyboard: Dashboard) -> None:
    stops = tab_through(dashboard_for_keyboard.page)

    assert len(stops) > 10
    unmarked = [
        f"{stop['name']} ({stop['outline']}, {stop['boxShadow']})" for stop in stops if not shows_focus(stop)
    ]
    assert unmarked == []


def test_tab_goes_through_the_widgets_in_the_order_they_are_shown(dashboard_for_keyboard: Dashboard) -> None:
    page = dashboard_for_keyboard.page
    layout: list[str] = page.evaluate(LAYOUT_ORDER)

    in_tab_order = list(dict.fromkeys(stop["widget"] for stop in tab_through(page) if stop["widget"]))

    in_layout_order = [name for name in layout if name in in_tab_order]
    assert in_tab_order == in_layout_order, "Tab goes through the widgets out of the order they are shown"


def test_a_download_menu_opens_with_the_keyboard(dashboard_for_keyboard: Dashboard) -> None:
    page = dashboard_for_keyboard.page
    menu = dashboard_for_keyboard.widget("orders_over_time").locator(".widget__menu")
    menu.locator("summary").focus()

    page.keyboard.press("Enter")
    page.keyboard.press("Tab")

    expect(menu).to_have_attribute("open", "")
    expect(menu.get_by_role("link").first).to_be_focused()


# Motion: the loading pulse stops when the viewer's system asks for reduced motion.

# Every running animation and transition, and every element whose style would start one.
MOTION = """() => ({
  running: document.getAnimations().map(animation => animation.animationName ?? animation.transitionProperty),
  styled: [...document.querySelectorAll("*")].filter(element => {
    const style = getComputedStyle(element);
    return style.animationName !== "none" || style.transitionDuration.split(",").some(d => parseFloat(d) > 0);
  }).map(element => element.className || element.tagName),
})"""


def test_reduced_motion_stops_the_loading_pulse(dashboard: Dashboard) -> None:
    page = dashboard.page
    dashboard.open()
    expect_every_widget_ready(page)
    with widget_requests_held(page) as held:
        dashboard.choose_range("30d")  # the widgets reload, and stay loading
        placeholder = dashboard.widget("revenue").locator(".widget__placeholder")
        expect(placeholder).to_be_visible()
        expect(placeholder).to_have_css("animation-name", "widget-pulse")  # no wish expressed: it pulses

        page.emulate_media(reduced_motion="reduce")

        expect(placeholder).to_have_css("animation-name", "none")
        assert page.evaluate(MOTION) == {"running": [], "styled": []}
        assert held  # the widgets did ask to load


# Charts: each read out by name, with its numbers in a table.


def test_each_chart_is_named_with_a_summary_and_has_a_data_table(dashboard: Dashboard) -> None:
    page = dashboard.page
    dashboard.open("?range=30d")
    expect_every_widget_ready(page)
    charts = page.locator("figure.chart")
    assert charts.count() >= 4

    for chart in charts.all():
        image = chart.get_by_role("img")
        data = chart.locator("details.chart__data")
        caption = (data.locator("caption").text_content() or "").strip()
        # Its title, then a sentence on its numbers (the <desc>).
        expect(image).to_have_accessible_name(re.compile(rf"^{re.escape(caption)}\s+\S.*\d"))

        data.locator("summary").click()

        expect(data.get_by_role("table", name=caption)).to_be_visible()
        assert data.locator("tbody tr").count() > 0


def test_every_picture_on_the_dashboard_is_named_or_hidden_from_screen_readers(dashboard: Dashboard) -> None:
    page = dashboard.page
    dashboard.open()
    expect_every_widget_ready(page)

    unnamed = page.locator("svg:not([aria-hidden='true'])").evaluate_all(
        """svgs => svgs.filter(svg => svg.getAttribute("role") !== "img" ||
              !(svg.getAttribute("aria-labelledby") || svg.getAttribute("aria-label")))
            .map(svg => svg.closest("[data-widget]")?.dataset.widget ?? svg.outerHTML.slice(0, 80))"""
    )

    assert unnamed == []
    assert page.get_by_role("img").count() == page.locator("svg:not([aria-hidden='true'])").count() > 0
