"""Signed embed links (widgets/embed/signing.py) and the embed page (widgets/embed_views.py)."""

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django import forms
from django.contrib.staticfiles import finders
from django.core import signing
from django.core.handlers.asgi import ASGIHandler
from django.test import AsyncClient, AsyncRequestFactory

from tests.forms import RangeForm
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.embed.signing import (
    Embed,
    EmbedExpired,
    EmbedInvalid,
    embed_path,
    embed_url,
    read_embed,
    sign_embed,
    static_file_url,
)
from widgets.pages.periods import Period, PeriodField
from widgets.registry import registry

HTMX = {"HX-Request": "true"}
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TAMPERED_MESSAGE = "This embed link is not valid: it was changed or is incomplete."


class EmbedProbeWidget(KpiWidget):
    """Shows the range it was loaded with; counts its loads."""

    name = "embed_probe"
    title = "Embed probe"
    params_form = RangeForm
    refresh_seconds = 30
    loads = 0

    async def load(self, params):
        type(self).loads += 1
        return {"kpis": [Kpi("Range", params["range"])]}


@pytest.fixture(autouse=True)
def embed_probe():
    EmbedProbeWidget.loads = 0
    registry.register(EmbedProbeWidget)
    yield
    registry.unregister(EmbedProbeWidget.name)


@pytest.fixture
def client():
    return AsyncClient()


def probe_path(params=None, **signing_options):
    return embed_path(sign_embed("embed_probe", params or {"range": "30d"}, **signing_options))


def flip(text, index):
    """``text`` with the character at ``index`` replaced by another one of the token alphabet."""
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1 :]


# Tokens


def test_token_round_trip_gives_the_widget_and_its_params():
    token = sign_embed("embed_probe", {"range": "30d"}, never_expires=True)
    assert read_embed(token) == Embed("embed_probe", {"range": "30d"}, None)


def test_a_token_without_an_expiry_expires_after_the_default(settings):
    settings.WIDGETS_EMBED_DEFAULT_EXPIRY_DAYS = 7
    embed = read_embed(sign_embed("embed_probe", {}, now=NOON), now=NOON)
    assert embed.expires_at == NOON + timedelta(days=7)


def test_never_expiring_is_asked_for_explicitly_and_excludes_an_expiry():
    assert read_embed(sign_embed("embed_probe", never_expires=True)).expires_at is None
    with pytest.raises(ValueError, match="never expires has no expiry"):
        sign_embed("embed_probe", expires_in=timedelta(days=1), never_expires=True)


def test_params_are_normalised_with_the_widgets_defaults():
    assert read_embed(sign_embed("embed_probe", {})).params == {"range": "7d"}


def test_token_is_signed_with_the_embed_salt():
    token = sign_embed("embed_probe", {"range": "30d"}, never_expires=True)
    assert signing.loads(token, salt="widgets.embed") == {"w": "embed_probe", "p": {"range": "30d"}}
    with pytest.raises(signing.BadSignature):
        signing.loads(token)


def test_expiring_token_is_valid_until_its_expiry():
    token = sign_embed("embed_probe", {}, timedelta(hours=2), now=NOON)
    embed = read_embed(token, now=NOON + timedelta(hours=1, minutes=59))
    assert embed.expires_at == NOON + timedelta(hours=2)


def test_expired_token_says_when_it_expired():
    token = sign_embed("embed_probe", {}, timedelta(hours=2), now=NOON)
    with pytest.raises(EmbedExpired) as raised:
        read_embed(token, now=NOON + timedelta(hours=2))
    assert str(raised.value) == "This embed link expired on 2026-11-25 14:00 UTC."
    assert raised.value.reason == "expired"


def test_token_can_expire_at_a_given_time():
    token = sign_embed("embed_probe", {}, expires_at=NOON)
    assert read_embed(token, now=NOON - timedelta(seconds=1)).expires_at == NOON


@pytest.mark.parametrize("index", [0, 5, -30, -1])
def test_token_with_a_changed_character_is_invalid(index):
    token = sign_embed("embed_probe", {"range": "30d"})
    with pytest.raises(EmbedInvalid) as raised:
        read_embed(flip(token, index))
    assert str(raised.value) == TAMPERED_MESSAGE


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-token",
        signing.dumps({"w": "embed_probe", "p": {}}, salt="another.salt"),
        signing.dumps(["embed_probe"], salt="widgets.embed"),
        signing.dumps({"w": "embed_probe", "p": {}, "e": "soon"}, salt="widgets.embed"),
    ],
)
def test_incomplete_or_foreign_tokens_are_invalid(token):
    with pytest.raises(EmbedInvalid, match="it was changed or is incomplete"):
        read_embed(token)


def test_truncated_token_is_invalid():
    token = sign_embed("embed_probe", {"range": "30d"})
    with pytest.raises(EmbedInvalid):
        read_embed(token[:-4])


def test_signing_an_unknown_widget_names_it():
    with pytest.raises(
        ValueError, match=r"There is no widget named 'nope' \(registered widgets: .*embed_probe"
    ):
        sign_embed("nope", {})


def test_signing_an_unknown_parameter_names_it_and_the_accepted_ones():
    with pytest.raises(ValueError, match=r"no parameter 'colour' \(its parameters: range\)"):
        sign_embed("embed_probe", {"colour": "red"})


def test_signing_an_invalid_value_names_the_field_and_the_value():
    with pytest.raises(
        ValueError, match=r"Invalid parameters for widget 'embed_probe': range = '1y': Select"
    ):
        sign_embed("embed_probe", {"range": "1y"})


def test_expiry_must_be_in_the_future():
    with pytest.raises(ValueError, match="must expire in the future"):
        sign_embed("embed_probe", {}, timedelta(0))


def test_embed_path_and_url(settings):
    settings.SITE_URL = "https://dash.example/"
    assert embed_path("abc:def") == "/embed/abc:def/"
    assert embed_url("abc:def") == "https://dash.example/embed/abc:def/"


def test_static_file_url_is_absolute_and_unhashed(settings):
    settings.SITE_URL = "https://dash.example"
    assert static_file_url("widgets/embed.js") == "https://dash.example/static/widgets/embed.js"


@pytest.mark.parametrize("name", ["widgets/embed.js", "widgets/embed-frame.js", "widgets/embed-host.js"])
def test_embed_scripts_are_static_files(name):
    assert finders.find(name) is not None


# The embed page


async def test_embed_page_is_a_minimal_document_with_only_the_widget(client):
    response = await client.get(probe_path())
    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith("<!doctype html>")
    assert body.count("data-widget=") == 1
    assert '<dd class="kpi__value" data-kpi="range">30d</dd>' in body
    assert '<script src="/static/widgets/embed-frame.js" defer></script>' in body


async def test_embed_page_has_no_inline_script(client):
    body = (await client.get(probe_path())).content.decode()
    scripts = re.findall(r"<script[^>]*>", body)
    assert scripts
    assert all(" src=" in script for script in scripts)


async def test_embed_page_polls_its_own_url(client):
    path = probe_path()
    body = (await client.get(path)).content.decode()
    assert f'hx-get="{path}" hx-trigger="every 30s"' in body
    assert 'data-refresh-seconds="30"' in body
    assert "/widgets/embed_probe/" not in body


async def test_htmx_poll_gets_the_fragment_with_the_same_url(client):
    path = probe_path()
    response = await client.get(path, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="widget')
    assert "<!doctype html>" not in body
    assert f'hx-get="{path}"' in body


async def test_fragment_query_gets_the_fragment(client):
    body = (await client.get(f"{probe_path()}?fragment=1")).content.decode()
    assert body.lstrip().startswith('<section class="widget')
    assert 'data-refresh-seconds="30"' in body


@pytest.mark.parametrize(
    ("query", "removed"),
    [
        ("range=90d", "range=90d"),
        ("fragment=1&range=90d", "range=90d"),
        ("range=90d&currency=USD", "range=90d&currency=USD"),
        ("fragment=yes", "fragment=yes"),
    ],
)
async def test_query_that_changes_the_embed_is_refused_naming_it(client, query, removed):
    response = await client.get(f"{probe_path()}?{query}")
    body = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert f"Embed links cannot be changed: remove ?{removed}." in body
    assert 'data-embed-error="changed"' in body
    assert "data-widget=" not in body


async def test_tampered_link_gets_403_with_the_message(client):
    path = embed_path(flip(sign_embed("embed_probe", {"range": "30d"}), 3))
    response = await client.get(path)
    body = response.content.decode()
    assert response.status_code == 403
    assert body.startswith("<!doctype html>")
    assert TAMPERED_MESSAGE in body
    assert 'data-embed-error="invalid"' in body


async def test_expired_link_gets_403_with_its_expiry(client):
    path = probe_path(expires_in=timedelta(hours=1), now=datetime(2020, 1, 1, 12, 0, tzinfo=UTC))
    response = await client.get(path)
    assert response.status_code == 403
    assert "This embed link expired on 2020-01-01 13:00 UTC." in response.content.decode()
    assert EmbedProbeWidget.loads == 0


async def test_link_expiring_while_polled_swaps_in_the_message_and_stops(client):
    path = probe_path(expires_in=timedelta(hours=1), now=datetime(2020, 1, 1, 12, 0, tzinfo=UTC))
    response = await client.get(path, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 403
    assert body.lstrip().startswith('<section class="widget widget--error"')
    assert "hx-get" not in body
    assert "data-refresh-seconds" not in body


async def test_link_to_a_widget_that_is_gone_is_404(client):
    path = probe_path()
    registry.unregister("embed_probe")
    response = await client.get(path, headers=HTMX)
    assert response.status_code == 404
    assert "There is no widget named “embed_probe”." in response.content.decode()


async def test_signed_params_the_widget_no_longer_accepts_are_400_naming_them(client):
    token = signing.dumps({"w": "embed_probe", "p": {"range": "1y"}}, salt="widgets.embed", compress=True)
    response = await client.get(embed_path(token), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 400
    assert '<strong data-field="range">range</strong> = “1y”' in body


async def test_embed_endpoint_only_answers_safe_methods(client):
    assert (await client.post(probe_path())).status_code == 405


@pytest.mark.parametrize("headers", [{}, HTMX])
async def test_embed_responses_set_no_cookie(client, headers):
    for path in (probe_path(), embed_path("tampered"), f"{probe_path()}?range=1"):
        response = await client.get(path, headers=headers)
        assert "Set-Cookie" not in response.headers
        assert not response.cookies


# Framing and CORS


async def test_csp_lets_only_the_site_itself_frame_the_embed_by_default(client):
    response = await client.get(probe_path())
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self';" in policy
    assert "script-src 'self';" in policy
    assert "nonce" not in policy


async def test_csp_lets_the_allowed_origins_frame_the_embed(client, settings):
    settings.WIDGETS_EMBED_ALLOWED_ORIGINS = ["https://blog.example", "https://shop.example/"]
    response = await client.get(probe_path())
    assert (
        "frame-ancestors 'self' https://blog.example https://shop.example;"
        in response["Content-Security-Policy"]
    )


async def test_error_pages_carry_the_embed_csp_too(client, settings):
    settings.WIDGETS_EMBED_ALLOWED_ORIGINS = ["https://blog.example"]
    response = await client.get(embed_path("tampered"))
    assert "frame-ancestors 'self' https://blog.example;" in response["Content-Security-Policy"]


async def test_embed_has_no_x_frame_options_unlike_the_widget_page(client):
    embed = await client.get(probe_path())
    widget_page = await client.get("/widgets/embed_probe/")
    assert "X-Frame-Options" not in embed.headers
    assert widget_page["X-Frame-Options"] == "DENY"


async def test_cors_allows_a_listed_origin(client, settings):
    settings.WIDGETS_EMBED_ALLOWED_ORIGINS = ["https://blog.example"]
    response = await client.get(f"{probe_path()}?fragment=1", headers={"Origin": "https://blog.example"})
    assert response["Access-Control-Allow-Origin"] == "https://blog.example"
    assert "Origin" in response["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


async def test_cors_also_covers_the_message_fragments(client, settings):
    settings.WIDGETS_EMBED_ALLOWED_ORIGINS = ["https://blog.example"]
    response = await client.get("/embed/tampered/?fragment=1", headers={"Origin": "https://blog.example"})
    assert response.status_code == 403
    assert response["Access-Control-Allow-Origin"] == "https://blog.example"


@pytest.mark.parametrize("origin", ["https://evil.example", "https://blog.example.evil.example", "null"])
async def test_cors_ignores_other_origins(client, settings, origin):
    settings.WIDGETS_EMBED_ALLOWED_ORIGINS = ["https://blog.example"]
    response = await client.get(f"{probe_path()}?fragment=1", headers={"Origin": origin})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response["Vary"]


async def test_cors_with_no_allowed_origins_allows_none(client):
    response = await client.get(f"{probe_path()}?fragment=1", headers={"Origin": "https://blog.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_star_allows_every_origin(client, settings):
    settings.WIDGETS_EMBED_ALLOWED_ORIGINS = ["*"]
    response = await client.get(f"{probe_path()}?fragment=1", headers={"Origin": "https://any.example"})
    assert response["Access-Control-Allow-Origin"] == "https://any.example"
    assert "frame-ancestors *;" in response["Content-Security-Policy"]


# The request path


async def test_embed_request_with_a_cached_value_makes_no_thread_hop(thread_hops):
    path = probe_path()
    handler = ASGIHandler()
    first = await handler.get_response_async(AsyncRequestFactory().get(path))
    second = await handler.get_response_async(AsyncRequestFactory().get(path, headers=HTMX))
    assert first.status_code == second.status_code == 200
    assert EmbedProbeWidget.loads == 1
    assert thread_hops == []


# A period parameter


class EmbedPeriodForm(forms.Form):
    period = PeriodField()


class EmbedPeriodWidget(KpiWidget):
    """Shows the period it was loaded with."""

    name = "embed_period"
    title = "Embed period"
    params_form = EmbedPeriodForm

    async def load(self, params):
        return {"kpis": [Kpi("Period", params["period"].label)]}


NOVEMBER_QUERY = {"range": "custom", "from": "2026-11-01", "to": "2026-11-20"}
NOVEMBER = Period.between(date(2026, 11, 1), date(2026, 11, 20))


@pytest.fixture
def embed_period():
    registry.register(EmbedPeriodWidget)
    yield
    registry.unregister(EmbedPeriodWidget.name)


def test_signed_period_is_stored_as_its_query_keys_and_binds_back(embed_period):
    params = read_embed(sign_embed("embed_period", NOVEMBER_QUERY)).params
    assert params == NOVEMBER_QUERY
    form = EmbedPeriodWidget().bind_params(params)
    assert form.is_valid()
    assert form.cleaned_data == {"period": NOVEMBER}


def test_signed_period_may_be_given_as_a_period(embed_period):
    assert read_embed(sign_embed("embed_period", {"period": NOVEMBER})).params == NOVEMBER_QUERY


def test_signed_period_defaults_to_the_initial_preset(embed_period):
    assert read_embed(sign_embed("embed_period", {})).params == {"range": "7d"}


def test_signing_a_period_by_its_field_name_names_the_query_keys(embed_period):
    with pytest.raises(ValueError, match=r"no parameter 'period' \(its parameters: range, from, to\)"):
        sign_embed("embed_period", {"period": "7d"})


def test_signing_an_invalid_period_names_the_query_key_and_value(embed_period):
    with pytest.raises(ValueError, match="from = '2026-13-45': from: “2026-13-45” is not a date"):
        sign_embed("embed_period", {**NOVEMBER_QUERY, "from": "2026-13-45"})


async def test_embed_page_shows_the_signed_period(client, embed_period):
    response = await client.get(embed_path(sign_embed("embed_period", NOVEMBER_QUERY)))
    assert response.status_code == 200
    assert (
        '<dd class="kpi__value" data-kpi="period">1 Nov 2026 – 20 Nov 2026</dd>' in response.content.decode()
    )


async def test_embed_pages_share_one_policy_so_the_csp_memo_does_not_grow(client):
    from widgets.memo import memos

    [policies] = [memo for memo in memos() if memo.name == "asgi.csp_policies"]
    for number in range(20):
        await client.get(probe_path({"range": "30d"}, expires_in=timedelta(minutes=number + 1)))
        await client.get(f"/embed/not-a-token-{number}/")
    assert len(policies) <= 2  # the embed page's policy, with and without a nonce, built once
