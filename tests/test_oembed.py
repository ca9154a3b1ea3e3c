"""oEmbed for embed links (``/oembed``, widgets/embed_views.py) and its discovery link."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import AsyncClient

from widgets.base import Widget
from widgets.embed.signing import embed_path, sign_embed
from widgets.registry import registry


class OembedProbeWidget(Widget):
    name = "oembed_probe"
    title = "oEmbed <probe>"
    template_name = "widgets/builtin/kpi.html"

    async def load(self, params):
        return {"kpis": []}


@pytest.fixture(autouse=True)
def oembed_probe():
    registry.register(OembedProbeWidget)
    yield
    registry.unregister(OembedProbeWidget.name)


@pytest.fixture
def client():
    return AsyncClient()


@pytest.fixture
def embed_url():
    return f"http://testserver{embed_path(sign_embed('oembed_probe', never_expires=True))}"


async def oembed(client, **query):
    return await client.get("/oembed", query)


async def test_oembed_answers_a_rich_iframe(client, embed_url):
    response = await oembed(client, url=embed_url, format="json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert answer == {
        "version": "1.0",
        "type": "rich",
        "provider_name": "HTMX dashboard demo",
        "provider_url": "http://testserver/",
        "title": "oEmbed <probe>",
        "html": answer["html"],
        "width": 480,
        "height": 320,
    }
    assert answer["html"] == (
        f'<iframe src="{embed_url}" title="oEmbed &lt;probe&gt;" width="480" height="320" '
        'loading="lazy" data-widgets-embed></iframe>'
    )


async def test_format_defaults_to_json(client, embed_url):
    assert (await oembed(client, url=embed_url)).json()["type"] == "rich"


@pytest.mark.parametrize(
    ("limits", "size"),
    [
        ({"maxwidth": "300"}, (300, 320)),
        ({"maxheight": "200"}, (480, 200)),
        ({"maxwidth": "1000", "maxheight": "1000"}, (480, 320)),
    ],
)
async def test_size_stays_within_maxwidth_and_maxheight(client, embed_url, limits, size):
    answer = (await oembed(client, url=embed_url, **limits)).json()
    assert (answer["width"], answer["height"]) == size
    assert f'width="{size[0]}" height="{size[1]}"' in answer["html"]


@pytest.mark.parametrize("maxwidth", ["wide", "0", "-5"])
async def test_bad_maxwidth_is_a_400_naming_it(client, embed_url, maxwidth):
    response = await oembed(client, url=embed_url, maxwidth=maxwidth)
    assert response.status_code == 400
    assert response.json() == {"error": f"maxwidth must be a whole number of pixels, got {maxwidth!r}."}


async def test_xml_is_not_implemented(client, embed_url):
    response = await oembed(client, url=embed_url, format="xml")
    assert response.status_code == 501
    assert response.json() == {"error": "Only format=json is supported, not format=xml."}


async def test_missing_url_is_a_400(client):
    response = await oembed(client)
    assert response.status_code == 400
    assert "Give the embed URL" in response.json()["error"]


async def test_url_of_another_site_is_404(client):
    path = embed_path(sign_embed("oembed_probe"))
    response = await oembed(client, url=f"https://elsewhere.example{path}")
    assert response.status_code == 404
    assert "belongs to another site (elsewhere.example)" in response.json()["error"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "is not an embed URL: give the whole URL"),
        ("ftp://testserver/embed/x/", "is not an embed URL: give the whole URL"),
        (
            "http://testserver/widgets/oembed_probe/",
            "is not an embed URL: its path should be /embed/<token>/",
        ),
        (
            "http://testserver/embed/tampered/",
            "This embed link is not valid: it was changed or is incomplete.",
        ),
    ],
)
async def test_bad_urls_are_404_saying_why(client, url, message):
    response = await oembed(client, url=url)
    assert response.status_code == 404
    assert message in response.json()["error"]


async def test_changed_embed_url_is_404_naming_the_change(client, embed_url):
    response = await oembed(client, url=f"{embed_url}?range=30d")
    assert response.status_code == 404
    assert response.json() == {"error": "Embed links cannot be changed: remove ?range=30d."}


async def test_expired_embed_url_is_404_with_its_expiry(client):
    token = sign_embed("oembed_probe", {}, timedelta(hours=1), now=datetime(2020, 1, 1, 12, 0, tzinfo=UTC))
    response = await oembed(client, url=f"http://testserver{embed_path(token)}")
    assert response.status_code == 404
    assert response.json() == {"error": "This embed link expired on 2020-01-01 13:00 UTC."}


async def test_expiring_embed_says_how_long_to_cache_it(client):
    token = sign_embed("oembed_probe", {}, timedelta(hours=1))
    answer = (await oembed(client, url=f"http://testserver{embed_path(token)}")).json()
    assert 3590 <= answer["cache_age"] <= 3600


async def test_url_on_site_url_is_accepted_and_kept(client, settings):
    settings.SITE_URL = "https://dash.example"
    url = f"https://dash.example{embed_path(sign_embed('oembed_probe'))}"
    answer = (await oembed(client, url=url)).json()
    assert f'src="{url}"' in answer["html"]
    assert answer["provider_url"] == "https://dash.example/"


async def test_embed_page_links_its_oembed_for_discovery(client, embed_url):
    body = (await client.get(embed_url)).content.decode()
    match = re.search(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', body)
    assert match is not None
    discovered = html.unescape(match[1])
    assert discovered.startswith("http://testserver/oembed?url=")
    response = await client.get(discovered)
    assert response.status_code == 200
    assert f'src="{embed_url}"' in response.json()["html"]
