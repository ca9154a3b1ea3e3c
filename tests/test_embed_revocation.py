"""Revoking embed links (widgets/embed/revocation.py): disabled or deleted links stop within the window."""

import asyncio
import html
import json
import re
import socket

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.core.handlers.asgi import ASGIHandler
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import AsyncClient, AsyncRequestFactory

from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.embed import revocation
from widgets.embed.revocation import check_not_revoked, link_states
from widgets.embed.signing import embed_path, read_embed, sign_embed
from widgets.memo import memos
from widgets.models import EmbedLink
from widgets.registry import registry

db = pytest.mark.django_db(transaction=True)
HTMX = {"HX-Request": "true"}
REVOKED_MESSAGE = "This embed link was revoked."
UNCHECKED_MESSAGE = "This embed link cannot be checked right now: database unavailable."
CHANGELIST_URL = "/admin/widgets/embedlink/"


class RevocationProbeWidget(KpiWidget):
    """A widget that reads no database, so only the link check does."""

    name = "revocation_probe"
    title = "Revocation probe"

    async def load(self, params):
        return {"kpis": [Kpi("Answer", "42")]}


@pytest.fixture(autouse=True)
def revocation_probe():
    registry.register(RevocationProbeWidget)
    yield
    registry.unregister(RevocationProbeWidget.name)


class FakeClock:
    """``revocation.clock``, moved on by the test instead of by waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(revocation, "clock", fake)
    return fake


@pytest.fixture
def link_queries(monkeypatch) -> list[int]:
    """The ids of the links the database was asked about, one per query."""
    asked: list[int] = []
    query = revocation.is_active_in_database

    async def counted(link_id):
        asked.append(link_id)
        return await query(link_id)

    monkeypatch.setattr(revocation, "is_active_in_database", counted)
    return asked


@pytest.fixture
def window(settings) -> float:
    settings.WIDGETS_EMBED_REVOCATION_SECONDS = 30
    return 30.0


@pytest.fixture
async def link():
    return await EmbedLink.objects.acreate(widget_name=RevocationProbeWidget.name, never_expires=True)


@pytest.fixture
def client():
    return AsyncClient()


async def set_active(link, is_active):
    await EmbedLink.objects.filter(pk=link.pk).aupdate(is_active=is_active)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def take_database_down(monkeypatch, tmp_path):
    """Call it to move the default database where nothing answers: a closed port, or a missing directory."""

    def take_down():
        connections.close_all()
        settings_dict = connections.settings[DEFAULT_DB_ALIAS]
        if settings_dict["ENGINE"] == "django.db.backends.postgresql":
            # Without the pool: its connections opened before would stay good.
            options = {name: value for name, value in settings_dict["OPTIONS"].items() if name != "pool"}
            monkeypatch.setitem(settings_dict, "OPTIONS", options)
            monkeypatch.setitem(settings_dict, "HOST", "127.0.0.1")
            monkeypatch.setitem(settings_dict, "PORT", closed_port())
        else:
            monkeypatch.setitem(settings_dict, "NAME", str(tmp_path / "gone" / "db.sqlite3"))

    yield take_down
    connections.close_all()


# Tokens


@db
async def test_a_links_token_carries_its_id(link):
    payload = signing.loads(link.token, salt="widgets.embed")
    assert payload["l"] == link.pk
    assert read_embed(link.token).link_id == link.pk


def test_an_unsaved_link_gives_no_token_that_could_not_be_revoked():
    link = EmbedLink(widget_name=RevocationProbeWidget.name, never_expires=True)
    with pytest.raises(ValueError, match="Save the embed link first"):
        _ = link.token


def test_a_token_signed_in_code_names_no_link():
    assert read_embed(sign_embed(RevocationProbeWidget.name)).link_id is None


async def test_a_token_signed_in_code_is_shown_without_asking_the_database(client, link_queries):
    response = await client.get(embed_path(sign_embed(RevocationProbeWidget.name)))
    assert response.status_code == 200
    assert link_queries == []


# Disabling, deleting, enabling again


@db
async def test_an_active_links_url_shows_the_widget(client, link):
    response = await client.get(embed_path(link.token))
    assert response.status_code == 200
    assert '<dd class="kpi__value" data-kpi="answer">42</dd>' in response.content.decode()


@db
async def test_a_disabled_links_page_answers_403_saying_it_was_revoked(client, link):
    await set_active(link, False)
    response = await client.get(embed_path(link.token))
    body = html.unescape(response.content.decode())
    assert response.status_code == 403
    assert body.startswith("<!doctype html>")
    assert REVOKED_MESSAGE in body
    assert 'data-embed-error="revoked"' in body
    assert "data-widget=" not in body


@db
@pytest.mark.parametrize(("query", "headers"), [("", HTMX), ("?fragment=1", {})])
async def test_a_disabled_link_polled_by_htmx_or_the_script_embed_gets_the_revoked_fragment(
    client, link, query, headers
):
    await set_active(link, False)
    response = await client.get(f"{embed_path(link.token)}{query}", headers=headers)
    body = html.unescape(response.content.decode())
    assert response.status_code == 403
    assert body.lstrip().startswith('<section class="widget widget--error"')
    assert REVOKED_MESSAGE in body
    assert "hx-get" not in body


@db
async def test_a_deleted_links_url_answers_403(client, link):
    token = link.token
    await link.adelete()
    response = await client.get(embed_path(token))
    assert response.status_code == 403
    assert REVOKED_MESSAGE in html.unescape(response.content.decode())


@db
async def test_a_link_disabled_while_shown_answers_403_once_the_window_has_passed(
    client, link, clock, window
):
    path = embed_path(link.token)
    assert (await client.get(path)).status_code == 200
    await set_active(link, False)
    clock.advance(window)
    assert (await client.get(path, headers=HTMX)).status_code == 403


@db
async def test_a_re_enabled_link_works_again_after_the_window(client, link, clock, window):
    path = embed_path(link.token)
    await set_active(link, False)
    assert (await client.get(path)).status_code == 403
    await set_active(link, True)
    clock.advance(window)
    assert (await client.get(path)).status_code == 200


# The per-process memo


@db
async def test_within_the_window_the_answer_is_trusted_without_a_query(
    client, link, clock, window, link_queries
):
    path = embed_path(link.token)
    assert (await client.get(path)).status_code == 200
    await set_active(link, False)
    clock.advance(window - 0.1)
    assert (await client.get(path)).status_code == 200
    assert link_queries == [link.pk]
    clock.advance(0.1)
    assert (await client.get(path)).status_code == 403
    assert link_queries == [link.pk, link.pk]


@db
@pytest.mark.parametrize("seconds", [2, 45])
async def test_the_window_is_the_setting(client, link, clock, settings, link_queries, seconds):
    settings.WIDGETS_EMBED_REVOCATION_SECONDS = seconds
    path = embed_path(link.token)
    await client.get(path)
    clock.advance(seconds - 0.5)
    await client.get(path)
    assert len(link_queries) == 1
    clock.advance(0.5)
    await client.get(path)
    assert len(link_queries) == 2


@db
async def test_a_window_of_zero_asks_the_database_on_every_request(
    client, link, clock, settings, link_queries
):
    settings.WIDGETS_EMBED_REVOCATION_SECONDS = 0
    path = embed_path(link.token)
    for _ in range(3):
        assert (await client.get(path)).status_code == 200
    assert link_queries == [link.pk] * 3


@db
async def test_concurrent_requests_for_an_unchecked_link_share_one_query(link, link_queries):
    embed = read_embed(link.token)
    await asyncio.gather(*(check_not_revoked(embed) for _ in range(20)))
    assert link_queries == [link.pk]


@db
async def test_a_trusted_answer_costs_no_thread_hop(link, thread_hops):
    path = embed_path(link.token)
    handler = ASGIHandler()
    first = await handler.get_response_async(AsyncRequestFactory().get(path))
    hops_of_the_check = len(thread_hops)
    second = await handler.get_response_async(AsyncRequestFactory().get(path, headers=HTMX))
    assert first.status_code == second.status_code == 200
    assert hops_of_the_check > 0
    assert len(thread_hops) == hops_of_the_check


def test_link_states_are_a_named_bounded_memo():
    assert link_states in memos()
    assert link_states.name == "embed.link_states"
    assert link_states.max_entries > 0
    assert link_states.max_bytes > 0


# The database cannot answer


@db
async def test_an_unreachable_database_and_an_unknown_link_answer_503_database_unavailable(
    client, link, take_database_down
):
    take_database_down()
    response = await client.get(embed_path(link.token), headers=HTMX)
    body = html.unescape(response.content.decode())
    assert response.status_code == 503
    assert body.lstrip().startswith('<section class="widget widget--error"')
    assert 'data-embed-error="unavailable"' in body
    assert UNCHECKED_MESSAGE in body
    assert "Traceback" not in body


@db
@pytest.mark.parametrize(("is_active", "status"), [(True, 200), (False, 403)])
async def test_an_unreachable_database_serves_the_last_known_answer(
    client, link, clock, window, take_database_down, is_active, status
):
    await set_active(link, is_active)
    path = embed_path(link.token)
    assert (await client.get(path)).status_code == status
    take_database_down()
    clock.advance(window)
    assert (await client.get(path)).status_code == status


@db
async def test_an_unreachable_database_is_asked_again_only_after_the_window(
    client, link, clock, window, take_database_down, link_queries
):
    path = embed_path(link.token)
    await client.get(path)
    take_database_down()
    clock.advance(window)
    for _ in range(3):
        assert (await client.get(path)).status_code == 200
    assert link_queries == [link.pk, link.pk]


# oEmbed


@db
async def test_oembed_refuses_a_revoked_link(client, link):
    await set_active(link, False)
    response = await client.get("/oembed", {"url": f"http://testserver{embed_path(link.token)}"})
    assert response.status_code == 404
    assert response.json() == {"error": REVOKED_MESSAGE}


@db
async def test_oembed_answers_503_when_the_link_cannot_be_checked(client, link, take_database_down):
    take_database_down()
    response = await client.get("/oembed", {"url": f"http://testserver{embed_path(link.token)}"})
    assert response.status_code == 503
    assert response.json() == {"error": UNCHECKED_MESSAGE}


@db
async def test_oembed_answers_an_active_link(client, link):
    response = await client.get("/oembed", {"url": f"http://testserver{embed_path(link.token)}"})
    assert response.status_code == 200
    assert response.json()["title"] == "Revocation probe"


# The admin


@pytest.fixture
async def staff_client():
    """An AsyncClient that enforces CSRF, logged in through the admin's login form."""
    await User.objects.acreate_user("editor", password="a-long-password", is_staff=True, is_superuser=True)
    client = AsyncClient(enforce_csrf_checks=True)
    login_page = await client.get("/admin/login/")
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
    return client


def csrf_token(response):
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert match is not None
    return match[1]


def status_cells(changelist_html):
    return re.findall(r'<td class="field-status">([^<]*)</td>', changelist_html)


@db
async def test_the_admin_lists_each_links_status(staff_client, link):
    await EmbedLink.objects.acreate(
        widget_name=RevocationProbeWidget.name, never_expires=True, is_active=False
    )
    page = (await staff_client.get(CHANGELIST_URL)).content.decode()
    assert sorted(status_cells(page)) == ["Active", "Disabled"]


@db
async def test_disabling_links_in_the_admin_revokes_their_urls(staff_client, link, client):
    path = embed_path(link.token)
    assert (await client.get(path)).status_code == 200
    changelist = await staff_client.get(CHANGELIST_URL)
    response = await staff_client.post(
        CHANGELIST_URL,
        {
            "action": "disable_links",
            "_selected_action": [str(link.pk)],
            "csrfmiddlewaretoken": csrf_token(changelist),
        },
        follow=True,
    )
    assert "Disabled 1 embed link(s): their URLs answer 403 within 30 s." in response.content.decode()
    assert status_cells(response.content.decode()) == ["Disabled"]
    await link.arefresh_from_db()
    assert link.is_active is False
    link_states.clear()  # as if the window had passed
    assert (await client.get(path)).status_code == 403


@db
async def test_enabling_links_in_the_admin_brings_their_urls_back(staff_client, link, client):
    await set_active(link, False)
    changelist = await staff_client.get(CHANGELIST_URL)
    await staff_client.post(
        CHANGELIST_URL,
        {
            "action": "enable_links",
            "_selected_action": [str(link.pk)],
            "csrfmiddlewaretoken": csrf_token(changelist),
        },
    )
    await link.arefresh_from_db()
    assert link.is_active is True
    assert (await client.get(embed_path(link.token))).status_code == 200


@db
async def test_the_change_form_unticks_active(staff_client, link):
    change_url = f"{CHANGELIST_URL}{link.pk}/change/"
    form = await staff_client.get(change_url)
    assert 'name="is_active"' in form.content.decode()
    response = await staff_client.post(
        change_url,
        {
            "widget_name": link.widget_name,
            "params": json.dumps(link.params),
            "expires_at_0": "",
            "expires_at_1": "",
            "never_expires": "on",
            "csrfmiddlewaretoken": csrf_token(form),
        },
    )
    assert response.status_code == 302, response.content.decode()
    await link.arefresh_from_db()
    assert link.is_active is False
