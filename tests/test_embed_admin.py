"""Embed links in the admin (widgets/models.py, widgets/admin.py) and the admin-only middleware."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.core.handlers.asgi import ASGIHandler
from django.test import AsyncClient, AsyncRequestFactory

from tests.forms import FiltersForm
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.embed.admin import NOT_VISIBLE
from widgets.embed.signing import read_embed
from widgets.models import EmbedLink
from widgets.registry import registry

db = pytest.mark.django_db(transaction=True)
ADD_URL = "/admin/widgets/embedlink/add/"


class PlainEmbedWidget(KpiWidget):
    """A widget without parameters."""

    name = "embed_admin_plain"
    title = "Plain"

    async def load(self, params):
        return {"kpis": [Kpi("Answer", "42")]}


class RangeEmbedWidget(KpiWidget):
    """A widget with a ``range`` choice and a ``currency`` with a default."""

    name = "embed_admin_range"
    title = "Ranged"
    params_form = FiltersForm

    async def load(self, params):
        return {"kpis": [Kpi("Range", params["range"])]}


@pytest.fixture(autouse=True)
def registered_test_widgets():
    for widget_class in (PlainEmbedWidget, RangeEmbedWidget):
        registry.register(widget_class)
    yield
    for widget_class in (PlainEmbedWidget, RangeEmbedWidget):
        registry.unregister(widget_class.name)


@pytest.fixture
async def staff_client(settings):
    """An AsyncClient that enforces CSRF, logged in through the admin's login form."""
    settings.SITE_URL = "https://dash.example"
    await User.objects.acreate_user("editor", password="a-long-password", is_staff=True, is_superuser=True)
    client = AsyncClient(enforce_csrf_checks=True)
    login_page = await client.get("/admin/login/")
    assert login_page.status_code == 200
    response = await client.post(
        "/admin/login/?next=/admin/",
        {
            "username": "editor",
            "password": "a-long-password",
            "next": "/admin/",
            "csrfmiddlewaretoken": csrf_token(login_page),
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/admin/"
    return client


def csrf_token(response):
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert match is not None
    return match[1]


async def add_embed_link(client, **fields):
    form = await client.get(ADD_URL)
    assert form.status_code == 200
    data = {
        "widget_name": PlainEmbedWidget.name,
        "params": "{}",
        "expires_at_0": "",
        "expires_at_1": "",
        **fields,
    }
    return await client.post(ADD_URL, {**data, "csrfmiddlewaretoken": csrf_token(form), "_continue": "1"})


@db
async def test_admin_offers_the_registered_widgets(staff_client):
    page = (await staff_client.get(ADD_URL)).content.decode()
    assert '<option value="embed_admin_plain">Plain (embed_admin_plain)</option>' in page
    assert '<option value="embed_admin_range">Ranged (embed_admin_range)</option>' in page


@db
async def test_staff_create_an_embed_link_without_parameters(staff_client):
    response = await add_embed_link(staff_client)
    assert response.status_code == 302, response.content.decode()
    link = await EmbedLink.objects.aget()
    assert (link.widget_name, link.params) == ("embed_admin_plain", {})
    # No expiry given: the default one, from the moment it was saved.
    assert link.expires_at is not None
    assert timedelta(days=29) < link.expires_at - datetime.now(UTC) <= timedelta(days=30)
    assert read_embed(link.token).expires_at == link.expires_at.replace(microsecond=0)


@db
async def test_a_link_that_never_expires_is_asked_for_with_its_box(staff_client):
    response = await add_embed_link(staff_client, never_expires="on")
    assert response.status_code == 302, response.content.decode()
    link = await EmbedLink.objects.aget()
    assert (link.never_expires, link.expires_at) == (True, None)
    assert read_embed(link.token).expires_at is None


@db
async def test_staff_create_an_embed_link_and_see_its_url(staff_client):
    response = await add_embed_link(
        staff_client, widget_name=RangeEmbedWidget.name, params='{"range": "30d"}'
    )
    assert response.status_code == 302, response.content.decode()
    link = await EmbedLink.objects.select_related("created_by").aget()
    assert link.params == {"range": "30d", "currency": "EUR"}
    assert link.created_by.username == "editor"

    page = (await staff_client.get(response["Location"])).content.decode()
    match = re.search(r'<input id="embed-url"[^>]* value="(https://dash\.example/embed/([^/"]+)/)"', page)
    assert match is not None
    assert read_embed(match[2]).params == {"range": "30d", "currency": "EUR"}
    assert "data-widgets-embed" in page
    assert "https://dash.example/static/widgets/embed.js" in page


@db
async def test_admin_form_names_an_invalid_parameter(staff_client):
    response = await add_embed_link(staff_client, widget_name=RangeEmbedWidget.name, params='{"range": "1y"}')
    assert response.status_code == 200
    assert "range = &#x27;1y&#x27;" in response.content.decode()
    assert await EmbedLink.objects.acount() == 0


@db
async def test_admin_refuses_a_post_without_csrf_token(staff_client):
    response = await staff_client.post(ADD_URL, {"widget_name": PlainEmbedWidget.name, "params": "{}"})
    assert response.status_code == 403


@db
async def test_admin_needs_a_login():
    response = await AsyncClient().get(ADD_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@db
async def test_link_with_expiry_signs_it():
    expires_at = datetime(2030, 1, 1, tzinfo=UTC)
    link = await EmbedLink.objects.acreate(widget_name=PlainEmbedWidget.name, expires_at=expires_at)
    assert read_embed(link.token).expires_at == expires_at


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"params": {"range": "1y"}}, "params"),
        ({"params": ["7d"]}, "params"),
        ({"expires_at": datetime.now(UTC) - timedelta(minutes=1)}, "expires_at"),
        ({"expires_at": datetime.now(UTC) + timedelta(days=1), "never_expires": True}, "expires_at"),
    ],
)
def test_model_validation_names_the_field(fields, error_field):
    link = EmbedLink(widget_name=RangeEmbedWidget.name, **({"params": {}} | fields))
    with pytest.raises(ValidationError) as raised:
        link.clean()
    assert list(raised.value.message_dict) == [error_field]


async def test_dashboard_and_embed_responses_set_no_cookie():
    request = AsyncRequestFactory().get(f"/widgets/{PlainEmbedWidget.name}/")
    response = await ASGIHandler().get_response_async(request)
    assert response.status_code == 200
    assert not response.cookies


class SecretEmbedWidget(KpiWidget):
    """A widget only holders of a permission may see."""

    name = "embed_admin_secret"
    title = "Secret"
    permissions = ("auth.view_group",)

    async def load(self, params):
        return {"kpis": [Kpi("Secret", "7")]}


@pytest.fixture
async def limited_staff_client(settings):
    """Staff who may manage embed links, but not see the secret widget."""
    registry.register(SecretEmbedWidget)
    settings.WIDGETS_LOGIN_REQUIRED = True
    user = await User.objects.acreate_user("helper", password="a-long-password", is_staff=True)
    for codename in ("add_embedlink", "change_embedlink", "view_embedlink"):
        await user.user_permissions.aadd(await Permission.objects.aget(codename=codename))
    client = AsyncClient()
    await client.aforce_login(user)
    yield client
    registry.unregister(SecretEmbedWidget.name)


@db
async def test_the_admin_offers_only_the_widgets_its_user_may_see(limited_staff_client):
    page = (await limited_staff_client.get(ADD_URL)).content.decode()
    assert 'value="embed_admin_plain"' in page
    assert 'value="embed_admin_secret"' not in page


@db
async def test_a_user_cannot_make_an_embed_link_to_a_widget_they_may_not_see(limited_staff_client):
    response = await add_embed_link(limited_staff_client, widget_name=SecretEmbedWidget.name)
    assert response.status_code == 200
    assert NOT_VISIBLE in response.content.decode()
    assert await EmbedLink.objects.acount() == 0
    allowed = await add_embed_link(limited_staff_client, widget_name=PlainEmbedWidget.name)
    assert allowed.status_code == 302
