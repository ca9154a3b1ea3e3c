"""AuthMiddleware: sessions and users in the event loop, the user kept for a short time, the login pages."""

import time

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpResponse
from django.test import AsyncClient, AsyncRequestFactory

from tests.users import client_of, make_user
from widgets.auth import users
from widgets.auth.middleware import AuthMiddleware
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.registry import registry

db = pytest.mark.django_db(transaction=True)
SECRET = "auth.view_group"


class GuardedWidget(KpiWidget):
    name = "guarded"
    title = "Guarded"
    permissions = (SECRET,)

    async def load(self, params):
        return {"kpis": [Kpi("Value", "42")]}


@pytest.fixture(autouse=True)
def login_required(settings):
    del settings.WIDGETS_LOGIN_REQUIRED
    registry.register(GuardedWidget)
    yield
    registry.unregister(GuardedWidget.name)


@pytest.fixture
def clock(monkeypatch):
    """The user memo's clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(users, "monotonic", lambda: now[0])
    return now


async def test_requests_outside_the_admin_get_a_lazy_session_and_no_cookie():
    seen = {}

    async def view(request):
        seen["user"] = await request.auser()
        seen["session_key"] = request.session.session_key
        return HttpResponse("ok")

    response = await AuthMiddleware(view)(AsyncRequestFactory().get("/widgets/guarded/"))
    assert seen["user"].is_anonymous
    assert seen["session_key"] is None
    assert not response.cookies


async def test_admin_requests_get_djangos_session_user_and_messages():
    seen = {}

    async def view(request):
        seen["user"] = request.user
        seen["has_messages"] = hasattr(request, "_messages")
        return HttpResponse("ok")

    await AuthMiddleware(view)(AsyncRequestFactory().get("/admin/"))
    assert seen["has_messages"]
    assert seen["user"].is_anonymous


@db
async def test_a_logged_in_widget_request_starts_no_thread_once_its_user_is_known(thread_hops, settings):
    user = await make_user("kept", permissions=(SECRET,))
    client = await client_of(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    async def widget_request():
        request = AsyncRequestFactory().get(
            "/widgets/guarded/", headers={"HX-Request": "true", "Cookie": cookie}
        )
        return await ASGIHandler().get_response_async(request)

    first = await widget_request()
    assert first.status_code == 200
    thread_hops.clear()
    second = await widget_request()
    assert second.status_code == 200
    assert b"42" in second.content
    assert thread_hops == []


@db
async def test_a_permission_taken_away_counts_once_the_kept_user_expires(clock, settings):
    settings.WIDGETS_AUTH_CACHE_SECONDS = 30
    user = await make_user("demoted", permissions=(SECRET,))
    client = await client_of(user)
    assert (await client.get("/widgets/guarded/")).status_code == 200
    await user.user_permissions.aclear()
    clock[0] += 29
    assert (await client.get("/widgets/guarded/")).status_code == 200  # kept, as documented
    clock[0] += 2
    assert (await client.get("/widgets/guarded/")).status_code == 403


@db
async def test_a_changed_password_logs_other_sessions_out_once_the_kept_user_expires(clock, settings):
    settings.WIDGETS_AUTH_CACHE_SECONDS = 30
    user = await make_user("changed", permissions=(SECRET,))
    client = await client_of(user)
    assert (await client.get("/widgets/guarded/")).status_code == 200
    user.set_password("new-pw")
    await user.asave()
    clock[0] += 31
    response = await client.get("/widgets/guarded/")
    assert response.status_code == 302  # the session's hash no longer matches: logged out
    assert response["Location"].startswith("/accounts/login/")


@db
async def test_an_expired_session_sends_a_polling_widget_to_the_login_page(monkeypatch, settings):
    user = await make_user("sleepy", permissions=(SECRET,))
    client = await client_of(user)
    later = time.time() + settings.SESSION_COOKIE_AGE + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    headers = {"HX-Request": "true", "HX-Current-URL": "http://testserver/dashboards/shop/?range=30d"}
    response = await client.get("/widgets/guarded/", headers=headers)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/dashboards/shop/%3Frange%3D30d"
    assert b"42" not in response.content


@db
async def test_the_login_page_logs_in_and_goes_back():
    await User.objects.acreate_user("alice", password="pw-alice")
    client = AsyncClient()
    page = await client.get("/accounts/login/?next=/dashboards/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert "Log in to see that page." in html
    response = await client.post(
        "/accounts/login/", {"username": "alice", "password": "pw-alice", "next": "/dashboards/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/dashboards/"
    assert (await client.get("/widgets/guarded/")).status_code == 403  # logged in, without the permission


@db
async def test_a_wrong_password_says_so_on_the_login_page():
    await User.objects.acreate_user("bob", password="pw-bob")
    response = await AsyncClient().post("/accounts/login/", {"username": "bob", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


@db
async def test_the_login_page_is_throttled_after_repeated_failures(settings):
    settings.WIDGETS_LOGIN_MAX_FAILURES = 2
    await User.objects.acreate_user("carol", password="pw-carol")
    client = AsyncClient()
    for _ in range(2):
        await client.post("/accounts/login/", {"username": "carol", "password": "wrong"})
    response = await client.post("/accounts/login/", {"username": "carol", "password": "pw-carol"})
    assert response.status_code == 429
    assert response["Retry-After"]


@db
async def test_logging_out_asks_first_then_ends_the_session():
    user = await make_user("dave")
    client = await client_of(user)
    page = await client.get("/accounts/logout/")
    assert page.status_code == 200
    assert "You are logged in as <strong>dave</strong>" in page.content.decode()
    response = await client.post("/accounts/logout/")
    assert response.status_code == 200
    assert "You have logged out." in response.content.decode()
    assert (await client.get("/widgets/guarded/")).status_code == 302


@db
async def test_a_session_cookie_is_read_once_per_window_and_responses_still_vary_on_it(monkeypatch, clock):
    user = await make_user("reader", permissions=(SECRET,))
    client = await client_of(user)
    reads = []
    original = signing.loads

    def counted(*args, **kwargs):
        reads.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(signing, "loads", counted)
    first = await client.get("/widgets/guarded/", headers={"HX-Request": "true"})
    second = await client.get("/widgets/guarded/", headers={"HX-Request": "true"})
    assert (first.status_code, second.status_code) == (200, 200)
    assert len(reads) == 1
    assert "Cookie" in second["Vary"]
    clock[0] += 31
    await client.get("/widgets/guarded/", headers={"HX-Request": "true"})
    assert len(reads) == 2  # the window passed: the cookie is checked again
