"""The dashboard as a person sees it, in the words the browser tests use."""

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from string import Template

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Error,
    Frame,
    FrameLocator,
    Locator,
    Page,
    StorageState,
    expect,
)

from e2e.servers import EmbedLink, StaticSite

WIDGET_NAMES = (
    "revenue",
    "order_health",
    "service_status",
    "orders_over_time",
    "uptime",
    "revenue_over_time",
    "paid_vs_refunded",
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
def browser_tab(
    browser: Browser,
    base_url: str,
    errors: BrowserErrors,
    timeout_ms: float,
    storage_state: StorageState | None = None,
) -> Iterator[Page]:
    """A tab in a fresh browser context on ``base_url``, its console and page errors kept in ``errors``.

    With ``storage_state`` (what ``Visitors`` kept of a login) the context starts with its cookies.
    """
    context = browser.new_context(base_url=base_url, storage_state=storage_state)
    context.set_default_timeout(timeout_ms)
    page = context.new_page()
    page.on("console", errors.record_console)
    page.on("pageerror", errors.record_page_error)
    try:
        yield page
    finally:
        context.close()


@dataclass(frozen=True)
class Account:
    """Someone who logs in: a username and its password."""

    username: str
    password: str


# The demo's users (dashboard/demo_users.py, the README's "Demo users"), made by seed_demo.
ADMIN = Account("admin", "admin-demo")  # a superuser: sees every dashboard and widget
ANALYST = Account("analyst", "analyst-demo")  # revenue and customers, not staff: no uptime
OPS = Account("ops", "ops-demo")  # staff without permissions: the operations dashboard, in part


class LoginPage:
    """The login page at ``/accounts/login/``: a username, a password and a button."""

    path = "/accounts/login/"

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> None:
        self.page.goto(self.path)

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1)

    @property
    def alert(self) -> Locator:
        return self.page.get_by_role("alert")

    def log_in(self, account: Account) -> None:
        """Fill in the form and send it; where it leads is the caller's to expect."""
        self.page.get_by_label("Username").fill(account.username)
        self.page.get_by_label("Password").fill(account.password)
        self.page.get_by_role("button", name="Log in").click()


class Visitors:
    """The people who open the app: anonymous, or an account logged in once through the login page.

    Each account logs in the first time a test needs it, in a tab of its own;
    its cookies (``storage_state``) then start every new browser context of
    that account, as a returning visitor's browser would.
    """

    def __init__(self, browser: Browser, base_url: str, timeout_ms: float) -> None:
        self.browser = browser
        self.base_url = base_url
        self.timeout_ms = timeout_ms
        self.states: dict[Account, StorageState] = {}

    def storage_state(self, account: Account) -> StorageState:
        if account not in self.states:
            self.states[account] = self.log_in(account)
        return self.states[account]

    def log_in(self, account: Account) -> StorageState:
        errors = BrowserErrors()
        with browser_tab(self.browser, self.base_url, errors, self.timeout_ms) as page:
            login = LoginPage(page)
            login.open()
            login.log_in(account)
            # Logged in, the login page sends one to the index of dashboards.
            expect(page).to_have_url(re.compile(r"/dashboards/$"))
            assert errors.page == []
            return page.context.storage_state()

    @contextmanager
    def tab(self, account: Account | None, errors: BrowserErrors) -> Iterator[Page]:
        """A tab in a fresh context, logged in as ``account`` or, with None, anonymous."""
        state = None if account is None else self.storage_state(account)
        with browser_tab(self.browser, self.base_url, errors, self.timeout_ms, state) as page:
            yield page


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@contextmanager
def logged_in_http_client(base_url: str, account: Account, timeout: float = 10.0) -> Iterator[httpx.Client]:
    """An HTTP client logged in as ``account`` through the login form: its CSRF token, then a POST.

    Its cookie jar holds the session; it is closed when the ``with`` block ends.
    """
    with httpx.Client(base_url=base_url, timeout=timeout) as client:
        form = client.get(LoginPage.path)
        token = CSRF_INPUT.search(form.text)
        if form.status_code != 200 or token is None:
            pytest.fail(f"No login form at {base_url}{LoginPage.path} ({form.status_code})", pytrace=False)
        credentials = {"username": account.username, "password": account.password}
        answer = client.post(LoginPage.path, data={**credentials, "csrfmiddlewaretoken": token.group(1)})
        if answer.status_code != 302:  # a refused login shows the form again, with 200
            pytest.fail(
                f"{account.username} could not log in at {base_url} ({answer.status_code})", pytrace=False
            )
        yield client


def cookie_header(client: httpx.Client) -> str:
    """The ``Cookie`` header a browser would send with the client's cookies (its session among them)."""
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


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
