"""Languages and time zones: German pages, fragments and numbers; the viewer's time zone; the catalog."""

import ast
import gettext
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from django.test import AsyncClient
from django.utils import translation

from tests.users import client_of, make_user
from widgets import Dashboard, Tile, dashboards, register
from widgets.builtin.chart import ChartWidget, bar_chart
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.cache import cache_key
from widgets.i18n import TIME_ZONE_COOKIE
from widgets.registry import registry
from widgets.sources import Source, gather_sources

db = pytest.mark.django_db(transaction=True)
LOCALE_DIR = Path(__file__).resolve().parent.parent / "widgets" / "locale"
GERMAN_PO = LOCALE_DIR / "de" / "LC_MESSAGES" / "django.po"
GERMAN_MO = LOCALE_DIR / "de" / "LC_MESSAGES" / "django.mo"
HTMX = {"HX-Request": "true"}
GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
SECRET = "auth.view_group"  # a permission a fresh user lacks
UPDATED_AT = re.compile(
    r'<time class="widget__updated" datetime="([^"]+)"[^>]*>(\d\d:\d\d:\d\d) (\w+)</time>'
)
loads: list[str] = []


class LocaleKpi(KpiWidget):
    name = "locale_kpi"
    title = "Orders"

    async def load(self, params):
        loads.append(translation.get_language())
        return {"kpis": [Kpi("Orders", "1234", change=0.125)]}


class LocaleChart(ChartWidget):
    name = "locale_chart"
    title = "Orders per day"

    async def load(self, params):
        days = [datetime(2026, 11, 30, tzinfo=ZoneInfo("UTC")), datetime(2026, 12, 1, tzinfo=ZoneInfo("UTC"))]
        return {"chart": bar_chart("Orders per day", [(days[0], 1500), (days[1], 2500)], unit="orders")}


class LocaleFailing(KpiWidget):
    name = "locale_failing"
    title = "Failing"

    async def load(self, params):
        async def unreachable():
            raise httpx.ConnectError("refused")

        await gather_sources(Source("shop-api", unreachable))
        return {}


class LocaleSecret(LocaleKpi):
    name = "locale_secret"
    title = "Secret"
    permissions = (SECRET,)


class LocaleDashboard(Dashboard):
    slug = "locale_page"
    title = "Locale page"
    layout = (Tile("locale_kpi"), Tile("locale_chart"))


WIDGETS = (LocaleKpi, LocaleChart, LocaleFailing, LocaleSecret)


@pytest.fixture(autouse=True)
def registered():
    loads.clear()
    for widget in WIDGETS:
        registry.register(widget)
    register(LocaleDashboard)
    yield
    for widget in WIDGETS:
        registry.unregister(widget.name)
    dashboards.unregister(LocaleDashboard.slug)


async def text_of(response):
    if not response.streaming:
        return response.content.decode()
    return "".join([chunk.decode() async for chunk in response.streaming_content])


async def get(path, *, client=None, headers=None, **cookies):
    client = client or AsyncClient()
    for name, value in cookies.items():
        client.cookies[name] = value
    response = await client.get(path, headers=headers or {})
    return response, await text_of(response)


# The language


async def test_a_german_browser_gets_the_index_in_german():
    response, html = await get("/dashboards/", headers=GERMAN)
    assert response["Content-Language"] == "de"
    assert '<html lang="de"' in html
    assert "Sprache" in html
    assert "Meine Zeitzone" in html
    assert "2 Widgets" in html
    assert "Language" not in html


async def test_a_german_browser_gets_a_dashboard_in_german():
    response, html = await get("/dashboards/locale_page/", headers=GERMAN)
    assert response["Content-Language"] == "de"
    assert '<html lang="de"' in html
    assert "Alle Dashboards" in html
    assert "Datenstand:" in html
    assert "All dashboards" not in html


async def test_a_german_widget_fragment_has_german_words_and_numbers():
    response, html = await get("/widgets/locale_kpi/", headers={**GERMAN, **HTMX})
    assert response["Content-Language"] == "de"
    assert "gegenüber dem vorigen Zeitraum" in html
    assert "+12,5 %" in html


async def test_a_german_chart_has_german_ticks_dates_and_words():
    _, html = await get("/widgets/locale_chart/", headers={**GERMAN, **HTMX})
    assert ">1,5k</text>" in html
    assert ">1. Dez.</text>" in html
    assert "Datentabelle anzeigen" in html
    assert "1.500 orders" in html
    # Coordinates stay plain numbers: no decimal comma inside an attribute.
    assert not re.search(r'\s(?:x|y|x1|x2|y1|y2|cx|cy|r|width|height)="[^"]*,', html)


async def test_a_german_error_frame_names_the_source_and_says_why_in_german():
    response, html = await get("/widgets/locale_failing/", headers={**GERMAN, **HTMX})
    assert response.status_code == 200
    assert "Dieses Widget konnte nicht geladen werden:" in html
    assert 'data-source="shop-api">shop-api</strong>: Dienst nicht erreichbar (ConnectError)' in html


@db
async def test_a_german_forbidden_frame_is_german(settings):
    del settings.WIDGETS_LOGIN_REQUIRED
    client = await client_of(await make_user("locale_viewer"))
    response, html = await get("/widgets/locale_secret/", client=client, headers={**GERMAN, **HTMX})
    assert response.status_code == 403
    assert "Sie haben keinen Zugriff auf dieses Widget." in html
    assert "Nicht verfügbar" in html
    assert "Secret" not in html


@db
async def test_the_login_page_is_german():
    response, html = await get("/accounts/login/", headers=GERMAN)
    assert response["Content-Language"] == "de"
    assert '<html lang="de"' in html
    assert "Anmelden" in html
    assert "Benutzername" in html  # Django's own translation of the form


async def test_the_language_cookie_wins_over_accept_language():
    response, html = await get("/dashboards/", headers=GERMAN, django_language="en")
    assert response["Content-Language"] == "en"
    assert '<html lang="en"' in html
    assert "Language" in html


async def test_the_language_cookie_alone_chooses_german():
    response, html = await get("/widgets/locale_kpi/", headers=HTMX, django_language="de")
    assert response["Content-Language"] == "de"
    assert "gegenüber dem vorigen Zeitraum" in html


async def test_a_language_not_offered_falls_back_to_english():
    response, html = await get("/dashboards/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert response["Content-Language"] == "en"
    assert '<html lang="en"' in html
    assert "Language" in html
    response, _ = await get("/dashboards/", headers={"Accept-Language": "fr"}, django_language="xx")
    assert response["Content-Language"] == "en"


async def test_responses_vary_on_accept_language_and_cookie():
    response, _ = await get("/widgets/locale_kpi/", headers=HTMX)
    vary = {part.strip() for part in response["Vary"].split(",")}
    assert {"Accept-Language", "Cookie"} <= vary


# Kept per language


async def test_a_german_request_after_an_english_one_gets_german_text():
    _, english = await get("/widgets/locale_kpi/", headers=HTMX)
    _, german = await get("/widgets/locale_kpi/", headers={**GERMAN, **HTMX})
    _, english_again = await get("/widgets/locale_kpi/", headers=HTMX)
    assert "against the previous period" in english
    assert "+12.5 %" in english
    assert "gegenüber dem vorigen Zeitraum" in german
    assert "against the previous period" not in german
    assert "against the previous period" in english_again
    assert loads == ["en", "de"]  # one load per language, each kept


async def test_a_german_dashboard_after_an_english_one_is_german():
    _, english = await get("/dashboards/locale_page/")
    _, german = await get("/dashboards/locale_page/", headers=GERMAN)
    assert "All dashboards" in english
    assert "Alle Dashboards" in german
    assert "All dashboards" not in german


def test_cache_keys_differ_per_language_and_time_zone():
    widget = registry.get("locale_kpi")
    with translation.override("en"):
        english = cache_key(widget, {})
    with translation.override("de"):
        german = cache_key(widget, {})
    assert english != german


# The time zone


async def test_a_valid_time_zone_cookie_shows_times_in_it_with_its_abbreviation():
    _, html = await get("/widgets/locale_kpi/", headers=HTMX, **{TIME_ZONE_COOKIE: "Europe/Berlin"})
    moment, clock, abbreviation = UPDATED_AT.search(html).groups()
    berlin = datetime.fromisoformat(moment).astimezone(ZoneInfo("Europe/Berlin"))
    assert clock == f"{berlin:%H:%M:%S}"
    assert abbreviation == berlin.tzname()  # CET or CEST
    assert abbreviation in ("CET", "CEST")


async def test_an_invalid_time_zone_cookie_is_ignored():
    for zone in ("Mars/Olympus_Mons", "../../etc/passwd", "x" * 200):
        _, html = await get("/widgets/locale_kpi/", headers=HTMX, **{TIME_ZONE_COOKIE: zone})
        moment, clock, abbreviation = UPDATED_AT.search(html).groups()
        assert abbreviation == "UTC"
        assert clock == f"{datetime.fromisoformat(moment).astimezone(ZoneInfo('UTC')):%H:%M:%S}"


async def test_the_same_widget_in_two_time_zones_shows_two_times():
    _, utc = await get("/widgets/locale_kpi/", headers=HTMX)
    _, tokyo = await get("/widgets/locale_kpi/", headers=HTMX, **{TIME_ZONE_COOKIE: "Asia/Tokyo"})
    assert UPDATED_AT.search(utc).group(3) == "UTC"
    assert UPDATED_AT.search(tokyo).group(3) == "JST"


async def test_the_printed_header_shows_the_time_in_the_viewers_zone():
    _, html = await get("/dashboards/locale_page/", **{TIME_ZONE_COOKIE: "Asia/Tokyo"})
    assert re.search(r"data-data-as-of[^>]*>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d JST</time>", html)


# The German catalog


def po_entries(path: Path) -> list[dict[str, Any]]:
    """The entries of a .po file: their flags, msgctxt, msgid, msgid_plural and msgstr (a list of forms)."""
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry: dict[str, Any] = {"flags": set(), "msgstr": []}
        field = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] = {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                value = ast.literal_eval(line)
                if field == "msgstr":
                    entry["msgstr"][-1] += value
                else:
                    entry[field] += value
            else:
                keyword, _, quoted = line.partition(" ")
                field = "msgstr" if keyword.startswith("msgstr") else keyword
                if field == "msgstr":
                    entry["msgstr"].append(ast.literal_eval(quoted))
                else:
                    entry[field] = ast.literal_eval(quoted)
        entries.append(entry)
    return entries


def test_every_german_message_is_translated_and_none_is_fuzzy():
    header, *messages = po_entries(GERMAN_PO)
    assert "fuzzy" not in header["flags"]
    assert "Language: de\n" in header["msgstr"][0]
    assert len(messages) > 150
    untranslated = [entry["msgid"] for entry in messages if not all(entry["msgstr"])]
    fuzzy = [entry["msgid"] for entry in messages if "fuzzy" in entry["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_the_compiled_german_catalog_matches_the_po_file():
    with GERMAN_MO.open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)._catalog
    expected: dict[object, str] = {}
    for entry in po_entries(GERMAN_PO):
        msgid = entry["msgid"] if "msgctxt" not in entry else f"{entry['msgctxt']}\x04{entry['msgid']}"
        if "msgid_plural" in entry:
            expected.update({(msgid, index): form for index, form in enumerate(entry["msgstr"])})
        else:
            expected[msgid] = entry["msgstr"][0]
    # msgfmt leaves the template's creation date out of the compiled header.
    expected[""] = re.sub(r"POT-Creation-Date: [^\n]*\n", "", str(expected[""]))
    assert catalog == expected, "widgets/locale is out of date: run compilemessages (docs in README)"


def test_placeholders_survive_translation():
    for entry in po_entries(GERMAN_PO)[1:]:
        sources = [entry["msgid"], entry.get("msgid_plural", entry["msgid"])]
        wanted = set(re.findall(r"%\(\w+\)[sd]", " ".join(sources)))
        for form in entry["msgstr"]:
            assert set(re.findall(r"%\(\w+\)[sd]", form)) == wanted, entry["msgid"]
