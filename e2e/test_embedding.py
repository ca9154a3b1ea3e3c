"""Another website embeds a widget with a signed link: in an iframe, or with the script embed.

The partner's site may (its origin is in ``EMBED_ALLOWED_ORIGINS``); the
stranger's site may not. Each test writes the page the site's author would
have written, opens it, and looks at the widget as a visitor would.
"""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Locator, Page, expect

from e2e.pages import (
    ORDER_ID,
    BrowserErrors,
    HostPage,
    expect_widget_ready,
    iframe_embed,
    newest_order_id,
    script_embed,
)
from e2e.servers import BackgroundProcess, EmbedLink, EmbedLinks

INITIAL_IFRAME_HEIGHT = 50
# Recent orders poll every 5 s: one refresh fits well inside this.
REFRESH_TIMEOUT_MS = 15_000
EXPIRED_AT = datetime(2024, 1, 2, 3, 4, tzinfo=UTC)
EXPIRED_MESSAGE = "This embed link expired on 2024-01-02 03:04 UTC."
INVALID_MESSAGE = "This embed link is not valid: it was changed or is incomplete."
# Console errors a refused embed is expected to cause, and nothing else.
FORBIDDEN = r"^Failed to load resource: the server responded with a status of 403 "
FRAMING_BLOCKED = r"violates the following Content Security Policy directive: \"frame-ancestors "
CORS_BLOCKED = r"has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header"
FETCH_FAILED = r"^Failed to load resource: net::ERR_FAILED "
# What a careless host stylesheet does to every section and every font on its page.
HOSTILE_STYLE = """
section { display: none !important; color: rgb(255, 0, 0) !important; }
* { font-family: serif !important; }
.widget { border: 3px dashed rgb(0, 128, 0); }
"""
WIDGET_BORDER_COLOR = "rgb(221, 225, 230)"  # widgets.css: .widget { border: 1px solid #dde1e6 }


@pytest.fixture
def expired_link(embed_links: EmbedLinks) -> EmbedLink:
    return embed_links.expired("recent_orders", EXPIRED_AT)


def expect_a_newer_order(recent_orders: Locator) -> None:
    """Wait through a refresh for a later order than the newest one shown now."""
    newest_order = newest_order_id(recent_orders)
    expect(newest_order).to_have_text(ORDER_ID)
    first_seen = int(newest_order.inner_text().removeprefix("#"))

    expect(newest_order).to_have_text(re.compile(rf"^#(?!{first_seen}$)\d+$"), timeout=REFRESH_TIMEOUT_MS)

    assert int(newest_order.inner_text().removeprefix("#")) > first_seen


def computed_style(element: Locator, *properties: str) -> dict[str, str]:
    return dict(
        element.evaluate(
            "(element, names) => names.map(name => [name, getComputedStyle(element)[name]])", list(properties)
        )
    )


def test_iframe_embed_shows_the_widget_ready(
    partner_page: HostPage, recent_orders_link: EmbedLink, browser_errors: BrowserErrors
) -> None:
    partner_page.open(iframe_embed(recent_orders_link))

    recent_orders = partner_page.framed_widget("recent_orders")
    expect_widget_ready(recent_orders)
    expect(newest_order_id(recent_orders)).to_have_text(ORDER_ID)
    # It refreshes from its own signed URL, not from /widgets/recent_orders/ with a query anyone can change.
    expect(recent_orders).to_have_attribute("hx-get", recent_orders_link.path)
    expect(partner_page.framed.locator("section[data-widget]")).to_have_count(1)
    assert browser_errors.page == []
    assert browser_errors.console == []


def test_iframe_embed_grows_to_the_height_of_the_widget(
    partner_page: HostPage, recent_orders_link: EmbedLink, browser_errors: BrowserErrors
) -> None:
    partner_page.open(iframe_embed(recent_orders_link))
    expect_widget_ready(partner_page.framed_widget("recent_orders"))

    content_height = partner_page.framed.locator("html").evaluate(
        "html => Math.ceil(html.getBoundingClientRect().height)"
    )

    assert content_height > INITIAL_IFRAME_HEIGHT
    expect(partner_page.iframe).to_have_css("height", f"{content_height}px")
    assert browser_errors.console == []


def test_iframe_embed_refreshes_as_orders_arrive(
    partner_page: HostPage, recent_orders_link: EmbedLink, new_orders_arriving: BackgroundProcess
) -> None:
    partner_page.open(iframe_embed(recent_orders_link))
    recent_orders = partner_page.framed_widget("recent_orders")
    expect_widget_ready(recent_orders)
    partner_page.mark_documents()

    expect_a_newer_order(recent_orders)

    assert partner_page.are_same_documents()


def test_script_embed_shows_the_widget_in_a_shadow_root(
    partner_page: HostPage, recent_orders_link: EmbedLink, browser_errors: BrowserErrors
) -> None:
    partner_page.open(script_embed(recent_orders_link))

    expect(partner_page.script_embed).to_have_attribute("data-widgets-embed", recent_orders_link.url)
    recent_orders = partner_page.embedded_widget("recent_orders")
    expect_widget_ready(recent_orders)
    expect(recent_orders).to_have_attribute("data-refresh-seconds", "5")
    expect(newest_order_id(recent_orders)).to_have_text(ORDER_ID)
    # The page's own DOM does not hold the widget; the container's shadow root does.
    assert partner_page.page.evaluate("document.querySelector('section[data-widget]')") is None
    assert partner_page.script_embed.evaluate(
        "container => container.shadowRoot.querySelector('.widget-embed > section[data-widget]') !== null"
    )
    assert browser_errors.page == []
    assert browser_errors.console == []


def test_script_embed_and_host_page_keep_their_own_styles(
    partner_page: HostPage, recent_orders_link: EmbedLink, browser_errors: BrowserErrors
) -> None:
    partner_page.open(
        '<div class="widget">The partner’s own box</div>',
        script_embed(recent_orders_link),
        style=HOSTILE_STYLE,
    )

    # The host page's rules do not reach the widget …
    recent_orders = partner_page.embedded_widget("recent_orders")
    expect_widget_ready(recent_orders)
    expect(recent_orders).to_be_visible()
    expect(recent_orders).to_have_css("display", "flex")
    expect(recent_orders).to_have_css("border-top-style", "solid")
    expect(recent_orders).to_have_css("border-top-color", WIDGET_BORDER_COLOR)
    expect(recent_orders).not_to_have_css("color", "rgb(255, 0, 0)")
    expect(recent_orders).to_have_css("font-family", re.compile(r"^system-ui"))
    # … and the widget's stylesheet does not reach the host's element of the same class.
    own_box = partner_page.page.locator("body > div.widget")
    expect(own_box).to_have_css("border-top-style", "dashed")
    expect(own_box).to_have_css("border-top-color", "rgb(0, 128, 0)")
    expect(own_box).to_have_css("border-top-left-radius", "0px")
    expect(own_box).to_have_css("padding-top", "0px")
    expect(own_box).to_have_css("display", "block")
    expect(own_box).to_have_css("font-family", "serif")
    assert browser_errors.console == []


def test_script_embed_text_ignores_the_host_page_typography(
    partner_page: HostPage, recent_orders_link: EmbedLink
) -> None:
    partner_page.open(
        script_embed(recent_orders_link),
        style="body { color: rgb(255, 0, 0); line-height: 3; letter-spacing: 4px; }",
    )
    recent_orders = partner_page.embedded_widget("recent_orders")
    expect(recent_orders).to_have_css("border-top-color", WIDGET_BORDER_COLOR)  # its stylesheet applies

    cell = computed_style(newest_order_id(recent_orders), "color", "letterSpacing")

    assert cell["color"] != "rgb(255, 0, 0)"
    assert cell["letterSpacing"] == "normal"


def test_script_embed_keeps_its_size_on_a_page_with_a_small_root_font(
    partner_page: HostPage, recent_orders_link: EmbedLink
) -> None:
    partner_page.open(script_embed(recent_orders_link), style="html { font-size: 62.5%; }")
    recent_orders = partner_page.embedded_widget("recent_orders")
    expect(recent_orders).to_have_css("border-top-color", WIDGET_BORDER_COLOR)  # its stylesheet applies

    widget = computed_style(recent_orders, "paddingTop")
    title = computed_style(recent_orders.locator(".widget__title"), "fontSize")

    assert widget == {"paddingTop": "16px"}  # widgets.css: padding 1rem, as on a page of the dashboard
    assert title == {"fontSize": "16px"}


def test_script_embed_refreshes_as_orders_arrive(
    partner_page: HostPage, recent_orders_link: EmbedLink, new_orders_arriving: BackgroundProcess
) -> None:
    partner_page.open(script_embed(recent_orders_link))
    recent_orders = partner_page.embedded_widget("recent_orders")
    expect_widget_ready(recent_orders)
    partner_page.mark_documents()

    expect_a_newer_order(recent_orders)

    assert partner_page.are_same_documents()


def test_site_not_allowed_cannot_frame_the_widget(
    stranger_page: HostPage, recent_orders_link: EmbedLink, browser_errors: BrowserErrors
) -> None:
    with stranger_page.page.expect_console_message(lambda message: "frame-ancestors" in message.text):
        stranger_page.open(iframe_embed(recent_orders_link))

    expect(stranger_page.framed.locator("section[data-widget]")).to_have_count(0)
    assert browser_errors.unexpected(FRAMING_BLOCKED) == []


def test_site_not_allowed_gets_an_error_from_the_script_embed(
    stranger_page: HostPage, recent_orders_link: EmbedLink, browser_errors: BrowserErrors
) -> None:
    stranger_page.open(script_embed(recent_orders_link))

    expect(stranger_page.script_embed.get_by_role("alert")).to_have_text("This widget could not be loaded.")
    expect(stranger_page.script_embed.locator("section[data-widget]")).to_have_count(0)
    assert browser_errors.unexpected(CORS_BLOCKED, FETCH_FAILED) == []


def test_tampered_link_is_refused_in_the_iframe(
    partner_page: HostPage, recent_orders_link: EmbedLink, browser_errors: BrowserErrors
) -> None:
    partner_page.open(iframe_embed(recent_orders_link.tampered()))

    refusal = partner_page.framed.locator('[data-embed-error="invalid"]')
    expect(refusal.get_by_role("alert")).to_have_text(INVALID_MESSAGE)
    expect(partner_page.framed.locator("section[data-widget]")).to_have_count(0)
    assert browser_errors.unexpected(FORBIDDEN) == []


def test_tampered_link_is_refused_on_a_direct_visit(
    anonymous_page: Page, recent_orders_link: EmbedLink, browser_errors: BrowserErrors
) -> None:
    response = anonymous_page.goto(recent_orders_link.tampered().url)

    assert response is not None
    assert response.status == 403
    refusal = anonymous_page.locator('[data-embed-error="invalid"]')
    expect(refusal.get_by_role("alert")).to_have_text(INVALID_MESSAGE)
    expect(anonymous_page.locator("section[data-widget]")).to_have_count(0)
    assert browser_errors.unexpected(FORBIDDEN) == []


def test_expired_link_says_when_it_expired(
    partner_page: HostPage, expired_link: EmbedLink, browser_errors: BrowserErrors
) -> None:
    partner_page.open(iframe_embed(expired_link), script_embed(expired_link))

    in_the_iframe = partner_page.framed.locator('[data-embed-error="expired"]')
    expect(in_the_iframe.get_by_role("alert")).to_have_text(EXPIRED_MESSAGE)
    from_the_script = partner_page.script_embed.locator('[data-embed-error="expired"]')
    expect(from_the_script.get_by_role("alert")).to_have_text(EXPIRED_MESSAGE)
    assert browser_errors.unexpected(FORBIDDEN) == []


def test_embeds_leave_no_cookies(
    partner_page: HostPage, recent_orders_link: EmbedLink, browser_errors: BrowserErrors
) -> None:
    partner_page.open(iframe_embed(recent_orders_link), script_embed(recent_orders_link))

    expect_widget_ready(partner_page.framed_widget("recent_orders"))
    expect_widget_ready(partner_page.embedded_widget("recent_orders"))
    assert partner_page.page.context.cookies() == []
    assert browser_errors.console == []
