"""A person on a phone, 320 to 430 px wide: each page fits the screen; wide content scrolls inside its widget.

A plain viewport, not Chromium's mobile emulation: on a page wider than the
screen, mobile emulation zooms out to fit it, and the overflow under test
would no longer show in ``scrollWidth``.
"""

from dataclasses import dataclass
from itertools import pairwise

import pytest
from playwright.sync_api import FloatRect, Page, ViewportSize, expect

from e2e.pages import HostPage, expect_widget_ready, iframe_embed
from e2e.servers import EmbedLink

PHONES = [
    pytest.param(ViewportSize(width=360, height=740), id="360x740"),
    pytest.param(ViewportSize(width=390, height=844), id="390x844"),
]
SMALLEST_PHONE = ViewportSize(width=320, height=640)
PHONE = ViewportSize(width=360, height=740)
EMBED = "<the recent orders embed link>"
CUSTOM_RANGE = "?range=custom&from=2026-11-01&to=2026-11-20"
LONG_VALUE = "0123456789" * 12


@dataclass(frozen=True)
class MobilePage:
    path: str
    widget_count: int


PAGES = [
    pytest.param(MobilePage("/dashboards/", 0), id="index"),
    pytest.param(MobilePage("/dashboards/shop/", 11), id="shop"),
    pytest.param(MobilePage(f"/dashboards/shop/{CUSTOM_RANGE}", 11), id="shop-custom"),
    # An invalid filter is repeated in the page's notice: one long word.
    pytest.param(MobilePage(f"/dashboards/shop/?currency={LONG_VALUE}", 11), id="shop-long-value"),
    pytest.param(MobilePage("/dashboards/operations/", 6), id="operations"),
    pytest.param(MobilePage("/examples/embed/", 2), id="embed-example"),
    pytest.param(MobilePage("/widgets/recent_orders/", 1), id="widget-page"),
    pytest.param(MobilePage(EMBED, 1), id="embed-page"),
]


def open_settled(page: Page, path: str, widget_count: int) -> None:
    """Open ``path`` and wait until no visible widget is loading any more."""
    page.goto(path)
    visible_widgets = page.locator("[data-widget]").filter(visible=True)
    expect(visible_widgets).to_have_count(widget_count)
    expect(page.locator('[data-state="loading"]').filter(visible=True)).to_have_count(0)
    expect(page.locator('[data-widget][aria-busy="true"]').filter(visible=True)).to_have_count(0)


def expect_no_horizontal_scroll(page: Page) -> None:
    """The document is no wider than the window, and each visible widget lies within it."""
    widths = page.evaluate(
        "() => ({document: document.documentElement.scrollWidth, window: window.innerWidth})"
    )
    assert widths["document"] <= widths["window"], widths
    sticking_out = page.locator("[data-widget]").evaluate_all(
        """(widgets, width) => widgets
            .map(widget => [widget.dataset.widget, widget.getBoundingClientRect()])
            .filter(([, box]) => box.width > 0 && (box.left < 0 || box.right > width))
            .map(([name, box]) => `${name}: ${Math.round(box.left)}..${Math.round(box.right)}`)""",
        widths["window"],
    )
    assert sticking_out == []


def assert_within_width(box: FloatRect, width: int) -> None:
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width


@pytest.mark.parametrize("viewport", PHONES)
@pytest.mark.parametrize("mobile_page", PAGES)
def test_page_fits_a_phone_screen(
    page: Page, recent_orders_link: EmbedLink, viewport: ViewportSize, mobile_page: MobilePage
) -> None:
    page.set_viewport_size(viewport)
    path = recent_orders_link.path if mobile_page.path == EMBED else mobile_page.path

    open_settled(page, path, mobile_page.widget_count)

    expect_no_horizontal_scroll(page)


def test_shop_dashboard_fits_the_smallest_phone(page: Page) -> None:
    page.set_viewport_size(SMALLEST_PHONE)

    open_settled(page, "/dashboards/shop/", 11)

    expect_no_horizontal_scroll(page)
    # The 7-column table is wider than the screen: it scrolls inside its widget.
    body = page.locator('[data-widget="recent_orders"] .widget__body')
    assert body.evaluate("body => body.scrollWidth > body.clientWidth")


def test_filters_stack_and_the_custom_dates_fit_a_phone(page: Page) -> None:
    page.set_viewport_size(SMALLEST_PHONE)

    page.goto(f"/dashboards/shop/{CUSTOM_RANGE}")

    time_range = page.get_by_role("combobox", name="Time range")
    first_day = page.get_by_role("textbox", name="From", exact=True)
    last_day = page.get_by_role("textbox", name="To", exact=True)
    currency = page.get_by_role("combobox", name="Currency")
    fields = [time_range, first_day, last_day, currency]
    boxes = []
    for field in fields:
        expect(field).to_be_visible()
        expect(field).to_be_editable()
        box = field.bounding_box()
        assert box is not None
        assert_within_width(box, SMALLEST_PHONE["width"])
        boxes.append(box)
    # One under another, not side by side.
    assert all(above["y"] + above["height"] <= below["y"] for above, below in pairwise(boxes))
    expect(first_day).to_have_value("2026-11-01")
    expect(last_day).to_have_value("2026-11-20")


def test_iframe_embed_fits_a_phone_wide_host_page(
    partner_page: HostPage, recent_orders_link: EmbedLink
) -> None:
    partner_page.page.set_viewport_size(PHONE)

    partner_page.open(iframe_embed(recent_orders_link))

    expect_widget_ready(partner_page.framed_widget("recent_orders"))
    expect_no_horizontal_scroll(partner_page.page)
    iframe = partner_page.iframe.bounding_box()
    assert iframe is not None
    assert_within_width(iframe, PHONE["width"])
    framed = partner_page.iframe.element_handle().content_frame()
    assert framed is not None
    assert framed.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
