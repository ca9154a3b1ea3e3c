"""The bench's load generator reads widget states the way an HTML parser would."""

import asyncio
from html.parser import HTMLParser

import pytest
from django.test import AsyncClient

from bench.loadgen import REDIRECTED, ConnectionPool, PageView, Response, WidgetRoot, view_page, widget_roots
from bench.scenarios.login import ANALYST, CSRF_COOKIE, LOGIN_PATH, SUPERUSER, csrf_form_token
from dashboard.demo_users import DEMO_USERS, VIEW_CUSTOMERS, VIEW_REVENUE
from tests.users import superuser_client
from widgets.render.fragments import render_fragment
from widgets.render.frames import ParamError, WidgetFrame
from widgets.sources import SourceError


class ReferenceParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.roots: dict[str, WidgetRoot] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("data-widget")
        if name:
            self.roots[name] = WidgetRoot(name, attributes.get("data-state") or "", attributes.get("hx-get"))


def parsed(html: str) -> dict[str, WidgetRoot]:
    parser = ReferenceParser()
    parser.feed(html)
    parser.close()
    return parser.roots


@pytest.mark.django_db(transaction=True)
async def test_the_widget_roots_of_a_page_of_placeholders_match_an_html_parser():
    client = await superuser_client()
    html = (await client.get("/dashboards/shop/?range=30d", headers={"HX-Request": "true"})).text
    roots = widget_roots(html.encode())
    assert roots == parsed(html)
    assert len(roots) == 11
    assert roots["revenue"] == WidgetRoot("revenue", "loading", "/widgets/revenue/?range=30d&currency=EUR")


def test_every_state_of_a_fragment_reads_as_an_html_parser_reads_it():
    frames = [
        WidgetFrame("a", "A", "loading", "/widgets/a/?x=1&y=<2>"),
        WidgetFrame(
            "b", "B", "error", "/widgets/b/", source_errors=[SourceError("api", 'said "no" & <left>')]
        ),
        WidgetFrame("c", "C", "error", "/widgets/c/?range=x", param_errors=[ParamError("range", "x", "bad")]),
    ]
    html = (
        "<main><p>data-widget= in text</p>" + "".join(render_fragment(frame) for frame in frames) + "</main>"
    )
    roots = widget_roots(html.encode())
    assert roots == parsed(html)
    assert [root.state for root in roots.values()] == ["loading", "error", "error"]
    assert roots["a"].hx_get == "/widgets/a/?x=1&y=<2>"


def test_a_later_root_of_the_same_widget_wins_as_in_a_streamed_page():
    html = '<div data-widget="a" data-state="loading"></div><div data-widget="a" data-state="ready"></div>'
    assert widget_roots(html.encode()) == {"a": WidgetRoot("a", "ready", None)}


class CannedServer:
    """A local HTTP/1.1 server answering each path with a canned response, recording what it was sent."""

    def __init__(self, routes: dict[str, tuple[int, dict[str, str], str]]) -> None:
        self.routes = routes
        self.requests: list[tuple[str, dict[str, str]]] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while request_line := await reader.readline():
            headers = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            path = request_line.split()[1].decode()
            self.requests.append((path, headers))
            status, extra, body = self.routes[path]
            head = [f"HTTP/1.1 {status} Canned", f"Content-Length: {len(body)}"]
            head += [f"{name}: {value}" for name, value in extra.items()]
            writer.write(("\r\n".join(head) + "\r\n\r\n" + body).encode())
            await writer.drain()
        writer.close()


PAGE_OF_TWO = (
    '<div data-widget="a" data-state="loading" hx-get="/widgets/a/"></div>'
    '<div data-widget="b" data-state="loading" hx-get="/widgets/b/"></div>'
)


def ready(name: str) -> tuple[int, dict[str, str], str]:
    return 200, {}, f'<div data-widget="{name}" data-state="ready"></div>'


async def view_canned_page(
    routes: dict[str, tuple[int, dict[str, str], str]], cookie: str | None = None
) -> tuple[PageView, CannedServer]:
    canned = CannedServer(routes)
    server = await asyncio.start_server(canned.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = ConnectionPool("127.0.0.1", port)
    try:
        page_view = await view_page(pool, f"http://127.0.0.1:{port}", "/page/", cookie=cookie)
    finally:
        await pool.close()
        server.close()
        await server.wait_closed()
    return page_view, canned


async def test_a_page_view_sends_the_session_cookie_with_the_page_and_every_widget_request():
    routes = {"/page/": (200, {}, PAGE_OF_TWO), "/widgets/a/": ready("a"), "/widgets/b/": ready("b")}
    page_view, canned = await view_canned_page(routes, cookie="sessionid=signed.value")

    assert page_view.is_complete
    assert (page_view.requests, page_view.refused) == (3, 0)
    assert sorted(path for path, _ in canned.requests) == ["/page/", "/widgets/a/", "/widgets/b/"]
    assert [headers.get("cookie") for _, headers in canned.requests] == ["sessionid=signed.value"] * 3


async def test_an_anonymous_page_view_sends_no_cookie():
    routes = {"/page/": (200, {}, PAGE_OF_TWO), "/widgets/a/": ready("a"), "/widgets/b/": ready("b")}
    page_view, canned = await view_canned_page(routes)

    assert page_view.is_complete
    assert all("cookie" not in headers for _, headers in canned.requests)


async def test_a_page_redirected_to_the_login_page_is_a_failed_and_refused_page_view():
    routes = {"/page/": (302, {"Location": "/accounts/login/?next=/page/"}, "")}
    page_view, _ = await view_canned_page(routes, cookie="sessionid=expired")

    assert not page_view.is_complete
    assert page_view.error == "page answered HTTP 302"
    assert (page_view.requests, page_view.refused) == (1, 1)


@pytest.mark.parametrize(
    ("answer", "state"),
    [
        ((200, {"HX-Redirect": "/accounts/login/?next=/page/"}, ""), REDIRECTED),
        ((403, {}, '<div data-widget="b" data-state="forbidden"></div>'), "HTTP 403"),
    ],
    ids=["hx-redirect", "forbidden"],
)
async def test_a_widget_sent_to_the_login_page_or_refused_fails_the_page_view(answer, state):
    routes = {"/page/": (200, {}, PAGE_OF_TWO), "/widgets/a/": ready("a"), "/widgets/b/": answer}
    page_view, _ = await view_canned_page(routes, cookie="sessionid=signed.value")

    assert not page_view.is_complete
    assert page_view.states == {"a": "ready", "b": state}
    assert (page_view.requests, page_view.refused) == (3, 1)


@pytest.mark.parametrize(
    ("status", "headers", "is_refused"),
    [
        (200, {}, False),
        (400, {}, False),
        (302, {"location": "/accounts/login/"}, True),
        (403, {}, True),
        (200, {"hx-redirect": "/accounts/login/"}, True),
    ],
)
def test_redirects_and_refusals_are_told_apart_from_answers(status, headers, is_refused):
    assert Response(status, headers, b"", 0.0).is_refused is is_refused


def test_the_bench_logs_in_as_the_demo_users_seed_demo_makes():
    demo_users = {user.username: user for user in DEMO_USERS}

    for login in (SUPERUSER, ANALYST):
        assert demo_users[login.username].password == login.password
    assert demo_users[SUPERUSER.username].is_superuser
    analyst = demo_users[ANALYST.username]
    assert (analyst.is_superuser, analyst.is_staff) == (False, False)
    assert set(analyst.permissions) == {VIEW_REVENUE, VIEW_CUSTOMERS}


async def test_the_bench_reads_the_csrf_token_of_the_real_login_page():
    client = AsyncClient(enforce_csrf_checks=True)
    response = await client.get(LOGIN_PATH)

    assert response.status_code == 200
    assert csrf_form_token(response.text) is not None
    assert CSRF_COOKIE in response.cookies
