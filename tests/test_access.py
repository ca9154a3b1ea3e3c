"""Who sees what: login, permissions and checks of widgets and dashboards, through the real middleware."""

import copy
from functools import partial

import pytest
from django.test import AsyncClient, AsyncRequestFactory

from tests.users import client_of, make_user
from widgets import Dashboard, Tile, dashboards, register, render_with_widgets
from widgets.auth import access, users
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.registry import registry

db = pytest.mark.django_db(transaction=True)
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/dashboards/access_page/?range=7d"}
SECRET = "auth.view_group"  # any permission a fresh user lacks
loads: list[str] = []


class CountingWidget(KpiWidget):
    refresh_seconds = 30

    async def load(self, params):
        loads.append(self.name)
        return {"kpis": [Kpi("Secret value", "4,711")]}


class OpenWidget(CountingWidget):
    name = "access_open"
    title = "Open"


class PublicWidget(CountingWidget):
    name = "access_public"
    title = "Public"
    public = True


class SecretWidget(CountingWidget):
    name = "access_secret"
    title = "Secret"
    permissions = (SECRET,)


class StaffWidget(CountingWidget):
    name = "access_staff"
    title = "Staff"

    async def can_view(self, user, request):
        return bool(user.is_staff)


class AccessPage(Dashboard):
    slug = "access_page"
    title = "Access page"
    layout = (Tile("access_open"), Tile("access_secret"), Tile("access_staff"), Tile("access_public"))


class SecretPage(Dashboard):
    slug = "access_secret_page"
    title = "Secret page"
    permissions = (SECRET,)
    layout = (Tile("access_open"),)


WIDGETS = (OpenWidget, PublicWidget, SecretWidget, StaffWidget)


@pytest.fixture(autouse=True)
def registered(settings):
    del settings.WIDGETS_LOGIN_REQUIRED  # the product's default: login required
    loads.clear()
    for widget in WIDGETS:
        registry.register(widget)
    for dashboard in (AccessPage, SecretPage):
        register(dashboard)
    yield
    for widget in WIDGETS:
        registry.unregister(widget.name)
    for dashboard in (AccessPage, SecretPage):
        dashboards.unregister(dashboard.slug)


async def logged_in(*, permissions=(), is_staff=False) -> AsyncClient:
    return await client_of(await make_user("viewer", permissions=tuple(permissions), is_staff=is_staff))


# Widgets


async def test_anonymous_widget_page_redirects_to_the_login_page_and_back():
    response = await AsyncClient().get("/widgets/access_open/?range=7d")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/widgets/access_open/%3Frange%3D7d"
    assert loads == []


async def test_anonymous_htmx_request_gets_hx_redirect_back_to_the_page_not_a_login_form():
    response = await AsyncClient().get("/widgets/access_open/", headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/dashboards/access_page/%3Frange%3D7d"
    assert b"<form" not in response.content
    assert loads == []


async def test_with_login_not_required_anyone_sees_a_widget_without_rules(settings):
    settings.WIDGETS_LOGIN_REQUIRED = False
    response = await AsyncClient().get("/widgets/access_open/", headers=HTMX)
    assert response.status_code == 200
    assert b"4,711" in response.content


async def test_a_public_widget_needs_no_login():
    response = await AsyncClient().get("/widgets/access_public/", headers=HTMX)
    assert response.status_code == 200
    assert b"4,711" in response.content


@db
async def test_a_logged_in_user_sees_a_widget_without_rules():
    client = await logged_in()
    response = await client.get("/widgets/access_open/", headers=HTMX)
    assert response.status_code == 200
    assert b"4,711" in response.content


@db
async def test_a_user_without_the_permission_gets_a_403_fragment_and_nothing_is_loaded():
    client = await logged_in()
    response = await client.get("/widgets/access_secret/", headers=HTMX)
    assert response.status_code == 403
    html = response.content.decode()
    assert "You do not have access to this widget." in html
    assert 'data-widget="access_secret"' in html
    assert "Secret" not in html
    assert "4,711" not in html
    assert "hx-get" not in html  # it does not poll
    assert loads == []


@db
async def test_a_user_with_the_permission_sees_the_widget():
    client = await logged_in(permissions=[SECRET])
    response = await client.get("/widgets/access_secret/", headers=HTMX)
    assert response.status_code == 200
    assert b"4,711" in response.content


@db
async def test_the_widgets_own_check_decides_after_login():
    staff = await logged_in(is_staff=True)
    assert (await staff.get("/widgets/access_staff/", headers=HTMX)).status_code == 200
    other = await client_of(await make_user("other"))
    assert (await other.get("/widgets/access_staff/", headers=HTMX)).status_code == 403


async def test_a_widget_with_permissions_asks_an_anonymous_visitor_to_log_in_even_when_login_is_optional(
    settings,
):
    settings.WIDGETS_LOGIN_REQUIRED = False
    response = await AsyncClient().get("/widgets/access_secret/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", ["/widgets/access_public/", "/dashboards/access_page/", "/dashboards/"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
async def test_widget_and_dashboard_endpoints_answer_only_get_and_head(path, method):
    response = await getattr(AsyncClient(), method)(path)
    assert response.status_code == 405
    assert sorted(response["Allow"].split(", ")) == ["GET", "HEAD"]


# Dashboards


async def test_anonymous_dashboard_redirects_to_the_login_page():
    response = await AsyncClient().get("/dashboards/access_page/?range=7d")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dashboards/access_page/%3Frange%3D7d"


@db
async def test_hidden_tiles_are_neither_loaded_nor_placed():
    client = await logged_in()
    response = await client.get("/dashboards/access_page/")
    html = "".join([chunk.decode() async for chunk in response.streaming_content])
    assert 'data-widget="access_open"' in html
    assert 'data-widget="access_public"' in html
    assert "access_secret" not in html
    assert "access_staff" not in html
    assert sorted(loads) == ["access_open", "access_public"]


@db
async def test_the_dashboard_names_the_viewer_and_links_to_log_out():
    client = await logged_in()
    response = await client.get("/dashboards/access_page/")
    html = "".join([chunk.decode() async for chunk in response.streaming_content])
    assert "data-viewer>viewer<" in html
    assert 'href="/accounts/logout/"' in html


@db
async def test_a_dashboard_the_user_may_not_open_is_a_403_page_listing_those_they_may():
    client = await logged_in()
    response = await client.get("/dashboards/access_secret_page/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "You do not have access to that dashboard." in html
    assert 'data-dashboard="access_page"' in html
    assert 'data-dashboard="access_secret_page"' not in html
    assert loads == []


@db
async def test_the_index_lists_only_the_dashboards_the_user_may_open():
    client = await logged_in()
    html = (await client.get("/dashboards/")).content.decode()
    assert 'data-dashboard="access_page"' in html
    assert 'data-dashboard="access_secret_page"' not in html
    client = await client_of(await make_user("other", permissions=(SECRET,)))
    html = (await client.get("/dashboards/")).content.decode()
    assert 'data-dashboard="access_secret_page"' in html


async def test_the_index_sends_an_anonymous_visitor_to_the_login_page():
    response = await AsyncClient().get("/dashboards/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# Widgets in any template


@db
async def test_render_with_widgets_leaves_out_what_the_viewer_may_not_see_lazy_or_inline(settings):
    client = await logged_in()
    config = copy.deepcopy(settings.TEMPLATES)
    config[0]["APP_DIRS"] = False
    page = (
        '{% load widgets %}<p>{% widget "access_open" inline %}</p><p>{% widget "access_secret" inline %}</p>'
        '<p>{% widget "access_staff" %}</p><p>{% widget "access_public" %}</p>'
    )
    config[0]["OPTIONS"]["loaders"] = [
        ("django.template.loaders.locmem.Loader", {"page.html": page}),
        "django.template.loaders.app_directories.Loader",
    ]
    settings.TEMPLATES = config
    request = AsyncRequestFactory().get("/article/", headers={"Cookie": client.cookies.output(header="")})
    request.session = client.session
    request.auser = partial(users.cached_user, request)
    html = (await render_with_widgets(request, "page.html")).content.decode()
    assert 'data-state="ready"' in html
    assert "4,711" in html
    assert "access_secret" not in html
    assert "access_staff" not in html
    assert 'data-widget="access_public"' in html  # lazy: its placeholder
    assert loads == ["access_open"]


@db
@pytest.mark.parametrize("login_required", [True, False])
@pytest.mark.parametrize("rights", ["anonymous", "plain", "holder", "superuser"])
async def test_the_quick_verdict_of_a_page_agrees_with_the_full_check(settings, login_required, rights):
    settings.WIDGETS_LOGIN_REQUIRED = login_required
    client = AsyncClient()
    if rights != "anonymous":
        user = await make_user(
            "quick", permissions=(SECRET,) if rights == "holder" else (), is_superuser=rights == "superuser"
        )
        client = await client_of(user)
    request = AsyncRequestFactory().get("/", headers={"Cookie": client.cookies.output(header="", sep=";")})
    request.session = client.session
    request.auser = partial(users.cached_user, request)
    await users.cached_user(request)
    for rules in (OpenWidget(), PublicWidget(), SecretWidget(), AccessPage(), SecretPage()):
        known = access.known_verdict(rules, request)
        assert known is not None
        assert known is await access.check_access(rules, request), type(rules).__name__
    assert access.known_verdict(StaffWidget(), request) is None  # its own check must be awaited
