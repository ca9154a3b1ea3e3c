"""Themes, kiosk mode and print: theme.css's tokens, the theme cookie, kiosk rotation, the printed header."""

import re
from datetime import UTC, date, datetime
from pathlib import Path
from unittest import mock

import pytest
from django import forms
from django.http import QueryDict
from django.test import AsyncClient

from widgets import Dashboard, PeriodField, Tile, dashboards, register
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.builtin.uptime import Check
from widgets.pages import kiosk, stream, views
from widgets.pages.filters import filters_in_words, read_filters
from widgets.pages.periods import Period
from widgets.registry import registry
from widgets.theme import THEME_COOKIE, chosen_theme

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "widgets" / "static" / "widgets"
THEME_CSS = STATIC / "theme.css"
PAGE = "/dashboards/present/"
OTHER_PAGE = "/dashboards/present_other/"
SERVED = datetime(2026, 12, 1, 14, 3, 5, tzinfo=UTC)

# Anything that spells a colour itself rather than naming a token.
LITERAL_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(")
NAMED_COLOUR = re.compile(
    r"\b(?:white|black|red|green|blue|gray|grey|silver|orange|yellow|purple|navy|teal|maroon|olive|lime|"
    r"aqua|fuchsia|pink|brown|gold|crimson|tomato|coral|salmon|indigo|violet|beige|ivory|khaki)\b",
    re.IGNORECASE,
)
TOKEN_DEFINITION = re.compile(r"(--[\w-]+)\s*:\s*([^;]+);")
TOKEN_USE = re.compile(r"var\((--[\w-]+)")


class PresentFilters(forms.Form):
    period = PeriodField(initial="7d", label="Time range")
    tone = forms.ChoiceField(choices=[("warm", "Warm"), ("cool", "Cool")], required=False, initial="warm")

    def clean_tone(self) -> str:
        return self.cleaned_data["tone"] or "warm"


class PresentDashboard(Dashboard):
    slug = "present"
    title = "Presentation test"
    filters_form = PresentFilters
    layout = (Tile("present_kpi"),)


class OtherDashboard(Dashboard):
    slug = "present_other"
    title = "Another one"
    layout = (Tile("present_kpi"),)


class LockedDashboard(Dashboard):
    slug = "present_locked"
    title = "Locked"
    permissions = ("widgets.view_nothing_at_all",)
    layout = (Tile("present_kpi"),)


@pytest.fixture
def present_dashboards():
    class PresentKpi(KpiWidget):
        name = "present_kpi"
        title = "Orders today"
        params_form = PresentFilters

        async def load(self, params):
            return {"kpis": [Kpi("Orders", "1,234")]}

    register(PresentKpi)
    for dashboard in (PresentDashboard, OtherDashboard, LockedDashboard):
        register(dashboard)
    yield
    registry.unregister("present_kpi")
    for slug in ("present", "present_other", "present_locked"):
        dashboards.unregister(slug)


async def page_html(path, **cookies):
    """The status and the whole page at ``path``, asked for with ``cookies``."""
    client = AsyncClient()
    for name, value in cookies.items():
        client.cookies[name] = value
    response = await client.get(path)
    if not response.streaming:
        return response.status_code, response.content.decode()
    return response.status_code, "".join([chunk.decode() async for chunk in response.streaming_content])


async def first_chunk(path, **cookies):
    """The first chunk of the page at ``path``: the shell, before any widget has loaded."""
    client = AsyncClient()
    for name, value in cookies.items():
        client.cookies[name] = value
    response = await client.get(path)
    if not response.streaming:
        return response.content.decode()
    return (await anext(aiter(response.streaming_content))).decode()


def css_without_comments(path: Path) -> str:
    return re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.DOTALL)


def package_stylesheets() -> list[Path]:
    return sorted(path for path in STATIC.glob("*.css") if path != THEME_CSS)


def theme_blocks() -> dict[str, dict[str, str]]:
    """theme.css's token blocks by what they apply to: light (:root, :host), the two dark ones, print."""
    css = css_without_comments(THEME_CSS)
    blocks = {}
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*--[^{}]*)\}", css):
        blocks[" ".join(selector.split())] = dict(TOKEN_DEFINITION.findall(body))
    return blocks


def light_tokens() -> dict[str, str]:
    return theme_blocks()[":root, :host"]


# Theme tokens


def test_no_stylesheet_of_the_package_spells_a_colour_outside_theme_css():
    stylesheets = package_stylesheets()
    assert {path.name for path in stylesheets} >= {"dashboard.css", "widgets.css"}
    literal = []
    for path in stylesheets:
        for number, line in enumerate(css_without_comments(path).splitlines(), start=1):
            values = re.sub(r"var\([^)]*\)", "", line)
            declarations = [value for _, value in re.findall(r"([\w-]+)\s*:\s*([^;{}]+)", values)]
            if any(LITERAL_COLOUR.search(value) or NAMED_COLOUR.search(value) for value in declarations):
                literal.append(f"{path.name}:{number}: {line.strip()}")
    assert literal == []


def test_every_token_the_stylesheets_use_is_defined_in_theme_css():
    theme = set(light_tokens())
    undefined = []
    for path in package_stylesheets():
        css = css_without_comments(path)
        own = {name for name, _ in TOKEN_DEFINITION.findall(css)}  # e.g. charts.css's --series-colour
        undefined += [f"{path.name}: {token}" for token in set(TOKEN_USE.findall(css)) - theme - own]
    assert undefined == []


def test_dark_tokens_are_the_same_for_the_system_preference_and_the_toggle():
    blocks = theme_blocks()
    by_system = blocks[':root:not([data-theme="light"])']
    by_choice = blocks[':root[data-theme="dark"]']
    assert by_system == by_choice
    colours = {name for name in light_tokens() if name.startswith(("--color-", "--chart-"))}
    assert colours - set(by_system) == set()  # every colour has its dark value


def test_the_theme_has_ten_chart_colours_and_the_documented_basics():
    tokens = light_tokens()
    basics = ["--color-bg", "--color-surface", "--color-text", "--color-muted", "--color-accent", "--radius"]
    basics += ["--color-ok", "--color-warn", "--color-danger", "--font-family", "--font-size-base"]
    assert [name for name in basics if name not in tokens] == []
    charts = [name for name in tokens if re.fullmatch(r"--chart-\d+", name)]
    assert charts == [f"--chart-{n}" for n in range(1, 11)]


def test_every_token_is_documented():
    documented = (ROOT / "docs" / "theming.md").read_text()
    missing = [name for name in light_tokens() if f"`{name}`" not in documented]
    assert missing == []


def test_dark_tokens_never_apply_to_print():
    css = css_without_comments(THEME_CSS)
    assert "@media screen and (prefers-color-scheme: dark)" in css
    assert re.search(r"@media screen\s*\{\s*:root\[data-theme=\"dark\"\]", css)


def test_theme_css_loads_before_the_widgets_stylesheet():
    head = (ROOT / "widgets" / "templates" / "widgets" / "htmx_head.html").read_text()
    assert head.index("widgets/theme.css") < head.index("widgets/widgets.css")


# The theme cookie


@pytest.mark.parametrize(
    ("cookie", "theme"), [("dark", "dark"), ("light", "light"), ("", ""), ("purple", ""), ("DARK", "")]
)
def test_only_light_and_dark_are_themes_anything_else_follows_the_system(cookie, theme):
    assert chosen_theme({THEME_COOKIE: cookie}) == theme


async def test_the_chosen_theme_is_on_the_root_element_in_the_first_chunk(present_dashboards):
    shell = await first_chunk(PAGE, **{THEME_COOKIE: "dark"})
    assert '<html lang="en" data-theme="dark">' in shell
    assert 'data-theme-choice="dark" aria-pressed="true"' in shell


async def test_without_a_choice_the_page_follows_the_system(present_dashboards):
    shell = await first_chunk(PAGE)
    assert '<html lang="en">' in shell
    assert 'data-theme-choice="" aria-pressed="true"' in shell


async def test_the_kept_shell_is_kept_per_theme(present_dashboards):
    assert '<html lang="en" data-theme="dark">' in (await page_html(PAGE, **{THEME_COOKIE: "dark"}))[1]
    assert '<html lang="en" data-theme="light">' in (await page_html(PAGE, **{THEME_COOKIE: "light"}))[1]
    assert '<html lang="en">' in (await page_html(PAGE))[1]


async def test_the_index_and_the_login_page_have_the_theme_too(present_dashboards):
    _, index = await page_html("/dashboards/", **{THEME_COOKIE: "dark"})
    _, login = await page_html("/accounts/login/", **{THEME_COOKIE: "light"})
    assert '<html lang="en" data-theme="dark">' in index
    assert "data-theme-toggle" in index
    assert '<html lang="en" data-theme="light">' in login


async def test_the_toggle_is_hidden_until_its_script_runs_and_names_the_cookie(present_dashboards):
    _, html = await page_html(PAGE)
    toggle = re.search(r"<div class=\"theme-toggle\"[^>]*>", html).group(0)
    assert " hidden" in toggle
    assert f'data-theme-cookie="{THEME_COOKIE}"' in toggle
    assert "widgets/theme.js" in html
    assert " onclick=" not in html


# Kiosk mode


async def test_kiosk_mode_marks_the_body_and_keeps_the_filters_valid(present_dashboards):
    status, html = await page_html(f"{PAGE}?kiosk=1&range=30d&rotate=present&every=20")
    assert status == 200
    assert '<body class="kiosk">' in html
    assert "notice--error" not in html
    assert '<option value="30d" selected>' in html
    assert "data-kiosk-next" not in html  # a rotation of this page alone stays here
    assert "widgets/kiosk.js" not in html


def test_kiosk_keys_are_not_filters():
    page_filters = read_filters(PresentDashboard(), QueryDict("kiosk=1&rotate=a,b&every=5&tone=cool"))
    assert page_filters.is_valid
    assert dict(page_filters.query) == {"range": "7d", "tone": "cool"}


def test_kiosk_css_hides_navigation_filters_and_the_toggle_and_enlarges_the_type():
    css = css_without_comments(STATIC / "dashboard.css")
    assert ".kiosk .topbar__links, .kiosk .topbar__tools, .kiosk .filters { display: none; }" in css
    assert ".kiosk { --font-size-base: var(--font-size-kiosk); }" in css


async def test_without_kiosk_the_page_is_a_plain_page(present_dashboards):
    _, html = await page_html(f"{PAGE}?kiosk=0&rotate=present_other")
    assert "<body>" in html
    assert "data-kiosk" not in html


async def test_a_rotation_names_the_next_dashboard_with_the_same_query(present_dashboards):
    _, html = await page_html(f"{PAGE}?kiosk=1&rotate=present,present_other&every=15&tone=cool")
    body = re.search(r"<body [^>]*>", html).group(0)
    assert 'class="kiosk"' in body
    assert 'data-kiosk-next="/dashboards/present_other/?kiosk=1&amp;rotate=present,present_other' in body
    assert "every=15" in body
    assert "tone=cool" in body
    assert 'data-kiosk-every="15"' in body
    assert "widgets/kiosk.js" in html


async def test_unknown_and_forbidden_slugs_and_a_short_interval_are_left_out_and_named(present_dashboards):
    query = "kiosk=1&rotate=nowhere,present_locked,present_other&every=5"
    status, html = await page_html(f"{PAGE}?{query}")
    assert status == 200
    assert "notice--error" not in html
    notice = re.search(
        r"<div class=\"notice\" role=\"status\" data-kiosk-notice>(.*?)</div>", html, re.DOTALL
    )
    assert notice is not None
    assert "“nowhere”, “present_locked”" in notice.group(1)
    assert "The interval “5” was ignored" in notice.group(1)
    assert 'data-kiosk-every="60"' in html
    assert (
        'data-kiosk-next="/dashboards/present_other/?kiosk=1&amp;rotate=present_other&amp;every=60"' in html
    )


def test_the_rotation_goes_round_from_the_last_to_the_first():
    query = QueryDict("kiosk=1&rotate=a,b,c&every=30")
    assert kiosk.read_kiosk(query, "a", {"a", "b", "c"}).next_url.startswith("/dashboards/b/?")
    assert kiosk.read_kiosk(query, "c", {"a", "b", "c"}).next_url.startswith("/dashboards/a/?")
    # A page that is not in the list starts it.
    assert kiosk.read_kiosk(query, "z", {"a", "b", "c"}).next_url.startswith("/dashboards/a/?")


def test_a_rotation_of_one_dashboard_or_none_stays():
    assert not kiosk.read_kiosk(QueryDict("kiosk=1&rotate=a"), "a", {"a"}).rotates
    assert not kiosk.read_kiosk(QueryDict("kiosk=1&rotate=,,"), "a", {"a"}).rotates
    assert not kiosk.read_kiosk(QueryDict("kiosk=1"), "a", {"a"}).rotates


def test_repeated_slugs_count_once():
    mode = kiosk.read_kiosk(QueryDict("kiosk=1&rotate=a,b,a,b"), "a", {"a", "b"})
    assert "rotate=a,b&" in mode.next_url


@pytest.mark.parametrize(
    ("every", "seconds", "ignored"),
    [
        ("10", 10, ""),
        ("86400", 86400, ""),
        ("9", 60, "9"),
        ("86401", 60, "86401"),
        ("soon", 60, "soon"),
        ("", 60, ""),
    ],
)
def test_the_interval_is_whole_seconds_within_bounds(every, seconds, ignored):
    mode = kiosk.read_kiosk(QueryDict(f"kiosk=1&rotate=a,b&every={every}"), "a", {"a", "b"})
    assert (mode.every_seconds, mode.ignored_every) == (seconds, ignored)


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_kiosk_is_on_for_the_usual_true_words(value):
    assert kiosk.is_kiosk(QueryDict(f"kiosk={value}"))


@pytest.mark.parametrize("value", ["", "0", "no", "false"])
def test_kiosk_is_off_otherwise(value):
    assert not kiosk.is_kiosk(QueryDict(f"kiosk={value}"))


def test_a_very_long_rotation_query_is_not_kept_in_the_shell_memo():
    long_query = QueryDict(f"kiosk=1&rotate=a,b&note={'x' * 3000}")
    assert not kiosk.read_kiosk(long_query, "a", {"a", "b"}).is_memoisable
    assert kiosk.read_kiosk(QueryDict("kiosk=1&rotate=a,b"), "a", {"a", "b"}).is_memoisable


# The printed header


async def test_the_printed_header_has_the_title_the_filters_in_words_and_the_time(present_dashboards):
    with mock.patch.object(views.timezone, "now", return_value=SERVED):
        _, html = await page_html(f"{PAGE}?range=30d&tone=cool")
    header = re.search(r"<header class=\"print-header\">(.*?)</header>", html, re.DOTALL).group(1)
    assert "Presentation test" in header
    assert "Time range: Last 30 days · Tone: Cool" in header
    assert (
        'Data as of <time data-data-as-of datetime="2026-12-01T14:03:05+00:00">2026-12-01 14:03:05 UTC</time>'
        in header
    )


async def test_a_kept_shell_gets_the_time_of_each_request(present_dashboards):
    later = datetime(2026, 12, 1, 15, 0, 0, tzinfo=UTC)
    with mock.patch.object(views.timezone, "now", return_value=SERVED):
        _, first = await page_html(f"{PAGE}?range=24h")
    with mock.patch.object(views.timezone, "now", return_value=later):
        _, second = await page_html(f"{PAGE}?range=24h")
    assert "2026-12-01 14:03:05 UTC" in first
    assert "2026-12-01 15:00:00 UTC" in second
    assert stream.PER_REQUEST_SLOT not in first + second


async def test_a_filter_change_through_htmx_keeps_the_printed_header_current(present_dashboards):
    response = await AsyncClient().get(f"{PAGE}?range=24h&tone=cool", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "Time range: Last 24 hours · Tone: Cool" in html
    assert "Data as of <time data-data-as-of" in html


def test_filters_in_words_use_labels_choice_texts_and_period_labels():
    class Filters(forms.Form):
        period = PeriodField(label="Time range")
        size = forms.TypedChoiceField(choices=[("Small", [(1, "S"), (2, "M")])], coerce=int)
        colours = forms.MultipleChoiceField(choices=[("r", "Red"), ("g", "Green")])
        is_open = forms.BooleanField(label="Open only")
        note = forms.CharField()

    custom = Period.between(date(2026, 11, 1), date(2026, 11, 20))
    values = {"period": custom, "size": 2, "colours": ["r", "g"], "is_open": True, "note": ""}
    assert filters_in_words(Filters, values) == [
        ("Time range", "1 Nov 2026 – 20 Nov 2026"),
        ("Size", "M"),
        ("Colours", "Red, Green"),
        ("Open only", "Yes"),
    ]


def test_print_css_keeps_widgets_whole_on_paper():
    widgets_css = css_without_comments(STATIC / "widgets.css")
    dashboard_css = css_without_comments(STATIC / "dashboard.css")
    assert re.search(r"@media print \{\s*\.widget \{ break-inside: avoid;", widgets_css)
    assert "@page { size: auto; margin: 12mm; }" in dashboard_css
    assert ".print-header { display: none; }" in dashboard_css


# Small fixes of the demo


def test_a_url_as_a_check_label_may_wrap_after_its_separators():
    check = Check("https://status.example.com/health?deep=1", True, "HTTP 200", 12.0)
    assert check.label_parts == ["https://", "status.", "example.", "com/", "health?", "deep=", "1"]
    assert Check("api", True, "HTTP 200", 1.0).label_parts == ["api"]
