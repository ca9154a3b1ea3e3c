"""The dashboard as a person sees it, in the words the browser tests use."""

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from string import Template

from playwright.sync_api import Browser, ConsoleMessage, Error, Frame, FrameLocator, Locator, Page, expect

from e2e.servers import EmbedLink, StaticSite

WIDGET_NAMES = (
    "revenue",
    "order_health",
    "service_status",
    "orders_over_time",
    "uptime",
    "top_products",
    "orders_by_country",
    "fx_rates",
    "recent_orders",
)


class Dashboard:
    """The shop dashboard at ``/dashboards/shop/``: the filter form and the grid of widgets."""

    path = "/dashboards/shop/"

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self, query: str = "") -> None:
        self.page.goto(f"{self.path}{query}")

    @property
    def range_filter(self) -> Locator:
        return self.page.get_by_label("Time range")

    @property
    def currency_filter(self) -> Locator:
        return self.page.get_by_label("Currency")

    def choose_range(self, key: str) -> None:
        self.range_filter.select_option(key)

    def choose_currency(self, code: str) -> None:
        self.currency_filter.select_option(code)

    def widget(self, name: str) -> Locator:
        return self.page.locator(f'[data-widget="{name}"]')

    @property
    def revenue_value(self) -> Locator:
        return self.widget("revenue").locator(".kpi__value")

    @property
    def revenue_label(self) -> Locator:
        return self.widget("revenue").locator(".kpi__label")

    def expect_ready(self, *names: str) -> None:
        """Wait until each named widget (default: all) has loaded and is no longer busy."""
        for name in names or WIDGET_NAMES:
            expect_widget_ready(self.widget(name))

    def mark_document(self) -> None:
        """Leave a mark on ``window`` that a full page load would wipe out."""
        self.page.evaluate("window.__marker = 1")

    def is_same_document(self) -> bool:
        return bool(self.page.evaluate("window.__marker === 1"))


def expect_widget_ready(widget: Locator) -> None:
    expect(widget).to_have_attribute("data-state", "ready")
    expect(widget).to_have_attribute("aria-busy", "false")


@dataclass
class BrowserErrors:
    """What went wrong in the page: console errors (CSP violations among them) and uncaught errors."""

    console: list[str] = field(default_factory=list)
    page: list[str] = field(default_factory=list)

    def record_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console.append(f"{message.text} (at {message.location.get('url', '?')})")

    def record_page_error(self, error: Error) -> None:
        self.page.append(f"{error.name}: {error.message}")

    def unexpected(self, *expected: str) -> list[str]:
        """The console errors that match none of the ``expected`` patterns (regular expressions)."""
        return [message for message in self.console if not any(re.search(p, message) for p in expected)]


@contextmanager
def browser_tab(browser: Browser, base_url: str, errors: BrowserErrors, timeout_ms: float) -> Iterator[Page]:
    """A tab in a fresh browser context on ``base_url``, its console and page errors kept in ``errors``."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(timeout_ms)
    page = context.new_page()
    page.on("console", errors.record_console)
    page.on("pageerror", errors.record_page_error)
    try:
        yield page
    finally:
        context.close()


ORDER_ID = re.compile(r"^#\d+$")


def newest_order_id(recent_orders: Locator) -> Locator:
    """The first cell of the first row of the recent orders widget: ``#1234``."""
    return recent_orders.locator("tbody tr").first.locator("td").first


HOST_PAGE = Template("""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>$title</title>
  <link rel="icon" href="data:,">
  <style>$style</style>
</head>
<body>
  <h1>$title</h1>
  $body
</body>
</html>
""")


def iframe_embed(link: EmbedLink, title: str = "Recent orders") -> str:
    """The iframe snippet the README gives, at the height of a placeholder, with its host script."""
    return (
        f'<iframe src="{html.escape(link.url)}" title="{html.escape(title)}" height="50" '
        'style="width: 100%; max-width: 480px" data-widgets-embed></iframe>\n'
        f'<script src="{html.escape(link.static_url("widgets/embed-host.js"))}" async></script>'
    )


def script_embed(link: EmbedLink) -> str:
    """The script embed snippet the README gives."""
    src = html.escape(link.static_url("widgets/embed.js"))
    return f'<script src="{src}" data-embed="{html.escape(link.url)}" async></script>'


class HostPage:
    """A page of another website that embeds a widget, written by that site's author."""

    def __init__(self, page: Page, site: StaticSite, name: str) -> None:
        self.page = page
        self.site = site
        self.name = name

    def open(self, *snippets: str, style: str = "", title: str = "Our shop this week") -> None:
        """Publish a page holding ``snippets`` (and its own ``style``) on the site, and open it."""
        document = HOST_PAGE.substitute(title=title, style=style, body="\n  ".join(snippets))
        self.page.goto(self.site.publish(self.name, document))

    @property
    def iframe(self) -> Locator:
        return self.page.locator("iframe[data-widgets-embed]")

    @property
    def framed(self) -> FrameLocator:
        """The document inside the embed iframe."""
        return self.iframe.content_frame

    def framed_widget(self, name: str) -> Locator:
        return self.framed.locator(f'section[data-widget="{name}"]')

    @property
    def script_embed(self) -> Locator:
        """The container embed.js inserts; CSS locators reach into its open shadow root."""
        return self.page.locator("div[data-widgets-embed]")

    def embedded_widget(self, name: str) -> Locator:
        return self.script_embed.locator(f'section[data-widget="{name}"]')

    def mark_documents(self) -> None:
        """Mark the page's ``window``, and its iframe's if it has one: a reload would wipe the mark out."""
        for document in self.documents():
            document.evaluate("window.__marker = 1")

    def are_same_documents(self) -> bool:
        return all(document.evaluate("window.__marker === 1") for document in self.documents())

    def documents(self) -> list[Page | Frame]:
        framed = self.iframe.element_handle().content_frame() if self.iframe.count() else None
        return [self.page] if framed is None else [self.page, framed]
