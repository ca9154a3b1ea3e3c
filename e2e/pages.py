"""The dashboard as a person sees it, in the words the browser tests use."""

from dataclasses import dataclass, field

from playwright.sync_api import ConsoleMessage, Error, Locator, Page, expect

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
    """The page at ``/``: the filter form and the grid of widgets."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self, query: str = "") -> None:
        self.page.goto(f"/{query}")

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
