"""Properties that hold for any input: fuzzed parameters never crash, hostile upstream data never runs.

Hypothesis draws the inputs; the profile in conftest.py keeps them the same on
every run and few enough for a 2-core machine.
"""

import operator
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from html.parser import HTMLParser
from itertools import count
from typing import Any
from urllib.parse import urlencode

import pytest
import respx
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.test import override_settings
from django.utils import timezone
from django.utils.html import escape
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dashboard.filters import CURRENCIES
from dashboard.models import Customer, Order, Product
from tests.users import superuser_client
from widgets import dashboards
from widgets.base import Widget, query_keys
from widgets.builtin.rates import RATES_SHAPE, RatesWidget
from widgets.builtin.statuspage import SUMMARY_SHAPE, Component, StatuspageWidget
from widgets.builtin.uptime import UptimeWidget
from widgets.memo import clear_memos
from widgets.pages.periods import CUSTOM, FROM_KEY, RANGE_KEY, TO_KEY
from widgets.pages.periods import QUERY_KEYS as PERIOD_KEYS
from widgets.registry import registry
from widgets.render import load_frame, render_fragment
from widgets.sources import Shape

db = pytest.mark.django_db(transaction=True)
HTMX = {"HX-Request": "true"}
WIDGET_NAMES = registry.names()
DASHBOARD_SLUGS = dashboards.names()

# Markup, for HTML and for Django templates, that would show if it were not escaped.
MARKUP = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</td></tr></table><iframe src=javascript:alert(1)>",
    "{{ frame }}",
    "{% csrf_token %}",
    "&lt;b&gt;",
    "<!--",
    "]]>",
)
# Other text that has broken web apps: format strings, percent signs, control characters, right-to-left
# overrides, characters that change length when their case does, digits \d matches, a lot of it.
ODD_TEXTS = (
    "",
    " ",
    "\t\r\n",
    "x" * 5000,
    "%",
    "%%",
    "%s",
    "%(value)s",
    "%00",
    "%ff",
    "'",
    '"',
    "\\",
    "\x00",
    "\x1b[31m",
    "\r\nSet-Cookie: pwned=1",
    "\u202eLTR",
    "\ufeff",
    "😀",
    "İ",
    "ß",
    "٢٠٢٦-١١-٠١",
    "ＥＵＲ",
    "-1",
    "1e309",
    "NaN",
)
# Values the forms accept, so that fuzzing also reaches past validation.
VALID_VALUES = ("7d", "24h", "90d", CUSTOM, "2026-11-01", "2024-02-29", *CURRENCIES)
# Query strings a browser would not send but anyone can: broken percent escapes, empty keys and values.
RAW_QUERY_TAILS = ("", "&%", "&%zz=%", "&range=%ff%fe", "&currency=%E2%82", "&&=&==", "&from=%00", "&to")

texts = st.text(st.characters(codec="utf-8"), max_size=30)
query_value = st.one_of(
    st.sampled_from(VALID_VALUES),
    st.dates().map(date.isoformat),
    st.sampled_from(MARKUP),
    st.sampled_from(ODD_TEXTS),
    texts,
)
query_values = st.one_of(query_value, st.lists(query_value, min_size=2, max_size=3))
# What the date inputs of a custom period can send: a few days, often at the ends of what ``date`` holds.
first_days = st.one_of(st.just(date.min), st.just(date.max), st.dates())


def custom_period(first_day: date, days: int) -> dict[str, str]:
    """A custom period of ``days`` more days from ``first_day``, cut at the last day ``date`` holds."""
    last_day = first_day + timedelta(days=min(days, (date.max - first_day).days))
    return {RANGE_KEY: CUSTOM, FROM_KEY: first_day.isoformat(), TO_KEY: last_day.isoformat()}


custom_periods = st.builds(custom_period, first_days, st.integers(min_value=0, max_value=3))


def queries(keys: Sequence[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Query dicts: any of ``keys`` with fuzzed values (or a custom period), a few more keys of any name."""
    known = st.fixed_dictionaries({}, optional=dict.fromkeys(keys, query_values))
    if set(PERIOD_KEYS) <= set(keys):
        known = st.one_of(known, st.builds(operator.or_, known, custom_periods))
    names = st.one_of(st.sampled_from(MARKUP), st.sampled_from(ODD_TEXTS), texts)
    extra = st.dictionaries(names, query_values, max_size=2)
    return st.builds(lambda extra, known: extra | known, extra, known)


def query_string(query: Mapping[str, Any], tail: str) -> str:
    return urlencode(query, doseq=True) + tail


class ParsedPage(HTMLParser):
    """The elements (tag, attributes) and the text of an HTML page or fragment, as a browser reads them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)

    @property
    def words(self) -> str:
        """The text with its whitespace collapsed, to show in a failure."""
        return " ".join(self.text.split())

    @property
    def structure(self) -> list[tuple[str, list[str]]]:
        """Each element's tag and attribute names, in document order: what markup would change.

        ``<wbr>`` is left out: the templates put one after each separator of a URL-like label, so how
        many there are depends on the text, and it holds nothing.
        """
        return [(tag, sorted(attrs)) for tag, attrs in self.elements if tag != "wbr"]

    def widget_states(self) -> dict[str, str]:
        """``data-state`` of each widget root, by ``data-widget``."""
        return {
            attrs["data-widget"]: attrs.get("data-state", "")
            for tag, attrs in self.elements
            if tag == "section" and "data-widget" in attrs
        }


def assert_only_the_pages_own_markup(page: ParsedPage) -> None:
    """No element or attribute a request could have smuggled in: no inline script, image or handler."""
    for tag, attrs in page.elements:
        assert tag not in {"img", "iframe", "object", "embed"}, (tag, attrs)
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), attrs


@pytest.fixture
async def small_shop() -> AsyncIterator[None]:
    """An order on each of the last three days, so the shop widgets have rows to format."""
    product = await Product.objects.acreate(name="Anvil", category="tools", price_cents=1999)
    customer = await Customer.objects.acreate(name="Ada", country="DE")
    for days_ago in range(3):
        await Order.objects.acreate(
            created_at=timezone.now() - timedelta(days=days_ago, hours=1),
            customer=customer,
            product=product,
            country="DE",
            amount_cents=1999,
        )
    yield
    await sync_to_async(connections.close_all)()


VALID_RATES = {
    "amount": 1.0,
    "base": "EUR",
    "date": "2026-11-25",
    "rates": {code: 1.0 + index / 10 for index, code in enumerate(CURRENCIES) if code != "EUR"},
}
VALID_SUMMARY = {
    "page": {"name": "Example"},
    "status": {"indicator": "none", "description": "All Systems Operational"},
    "components": [{"name": "API", "status": "operational"}],
    "incidents": [],
}
HEALTH_URL = "http://127.0.0.1:9/health/api"


@contextmanager
def upstreams_answering_valid_data() -> Iterator[None]:
    """Every upstream the demo's widgets read (FX rates, status page, an uptime check) mocked by respx."""
    with (
        override_settings(HEALTHCHECK_URLS={"api": HEALTH_URL}),
        respx.mock(assert_all_called=False) as upstream,
    ):
        upstream.get(f"{settings.RATES_API_URL}/latest").respond(json=VALID_RATES)
        upstream.get(f"{settings.STATUS_API_URL}/api/v2/summary.json").respond(json=VALID_SUMMARY)
        upstream.get(HEALTH_URL).respond(200)
        yield


# Fuzzed parameters: 200 (and the widgets load) or 400, never 500


@db
@pytest.mark.usefixtures("small_shop")
@pytest.mark.parametrize("name", WIDGET_NAMES)
@hypothesis_settings(max_examples=60)
@given(data=st.data(), is_htmx=st.booleans(), tail=st.sampled_from(RAW_QUERY_TAILS))
async def test_fuzzed_widget_parameters_give_a_loaded_200_or_a_400_never_a_500(
    name: str, data: st.DataObject, is_htmx: bool, tail: str
) -> None:
    widget = registry.get(name)
    assert widget is not None
    query = query_string(data.draw(queries(query_keys(widget.params_form)), label="query"), tail)
    # An htmx request also carries the page's address, whose filters the widget falls back on.
    headers = (HTMX | {"HX-Current-URL": f"http://testserver/dashboards/shop/?{query}"}) if is_htmx else {}

    with upstreams_answering_valid_data():
        client = await superuser_client()  # it may see every widget
        response = await client.get(f"/widgets/{name}/?{query}", headers=headers)

    body = response.content.decode()
    assert response.status_code in {200, 400}
    assert "Traceback" not in body
    page = ParsedPage(body)
    # Valid parameters load (every upstream answers well); invalid ones name what was wrong.
    assert page.widget_states() == {name: "ready" if response.status_code == 200 else "error"}, page.words
    assert_only_the_pages_own_markup(page)


async def page_of(response: Any) -> str:
    """The whole page: a streamed one as it arrived, or one in a piece."""
    if not response.streaming:
        return str(response.content, "utf-8")
    return "".join([chunk.decode() async for chunk in response.streaming_content])


@db
@pytest.mark.usefixtures("small_shop")
@pytest.mark.parametrize("slug", DASHBOARD_SLUGS)
@hypothesis_settings(max_examples=40)
@given(data=st.data(), is_htmx=st.booleans(), tail=st.sampled_from(RAW_QUERY_TAILS))
async def test_fuzzed_dashboard_filters_give_a_loaded_200_or_a_400_never_a_500(
    slug: str, data: st.DataObject, is_htmx: bool, tail: str
) -> None:
    dashboard = dashboards.get(slug)
    assert dashboard is not None
    query = query_string(data.draw(queries(query_keys(dashboard.filters_form)), label="query"), tail)

    with upstreams_answering_valid_data():
        client = await superuser_client()  # it may see every dashboard and widget
        response = await client.get(f"/dashboards/{slug}/?{query}", headers=HTMX if is_htmx else {})
        body = await page_of(response)

    assert response.status_code in {200, 400}
    assert "Traceback" not in body
    page = ParsedPage(body)
    states = page.widget_states()
    assert set(states) == {tile.widget for tile in dashboard.layout}
    # Invalid filters fall back to their defaults: the widgets still load. After a filter change
    # (htmx), the body's placeholders load themselves.
    assert set(states.values()) == {"loading" if is_htmx else "ready"}, page.words
    assert_only_the_pages_own_markup(page)


# Hostile upstream data: shown as text, never as markup

hostile_texts = st.one_of(
    st.sampled_from(MARKUP),
    st.builds(operator.add, st.sampled_from(MARKUP), st.sampled_from(ODD_TEXTS)),
    texts,
)
UPSTREAM = "http://127.0.0.1:9"


def json_of(shape: Shape, strings: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """JSON that passes ``shape.check``, every string in it (map keys too) drawn from ``strings``."""
    if shape.kind == "string":
        return strings
    if shape.kind == "number":
        return st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False))
    if shape.kind == "boolean":
        return st.booleans()
    if shape.kind == "array":
        return st.lists(json_of(shape.items, strings) if shape.items else st.none(), max_size=3)
    fields = {key: json_of(field, strings) for key, field in (shape.fields or {}).items()}
    optional = {key: json_of(field, strings) for key, field in (shape.optional or {}).items()}
    known = st.fixed_dictionaries(fields, optional=optional)
    if shape.values is None:
        return known
    extra = st.dictionaries(strings, json_of(shape.values, strings), max_size=3)
    return st.builds(lambda extra, known: extra | known, extra, known)


def plain_twin(shape: Shape, data: Any, tokens: Iterator[str]) -> Any:
    """``data`` with every string (map keys too) replaced by a plain word: the same page, without markup."""
    if shape.kind == "string":
        return next(tokens)
    if shape.kind == "array" and shape.items is not None:
        return [plain_twin(shape.items, item, tokens) for item in data]
    if shape.kind == "object":
        fields = {**(shape.fields or {}), **(shape.optional or {})}
        twin = {}
        for key, value in data.items():
            if key in fields:
                twin[key] = plain_twin(fields[key], value, tokens)
            else:  # a key of a map, such as a currency code in ``rates``
                assert shape.values is not None
                twin[next(tokens)] = plain_twin(shape.values, value, tokens)
        return twin
    return data


def plain_words() -> Iterator[str]:
    return (f"word{number}" for number in count())


async def fragment_of(widget: Widget) -> str:
    """The widget's fragment as its endpoint renders it for htmx, loaded now."""
    clear_memos()
    frame = await load_frame(widget, {})
    assert frame.state == "ready", frame.source_errors
    return str(render_fragment(frame))


def assert_shown_as_text(hostile: str, plain: str, shown: Sequence[str]) -> None:
    """Each ``shown`` string is in the page, escaped, and no element or attribute came from the data."""
    page = ParsedPage(hostile)
    assert page.structure == ParsedPage(plain).structure
    for text in shown:
        assert escape(text) in hostile.replace("<wbr>", "")  # a label may wrap between its parts
        assert text in page.text


class UpstreamRates(RatesWidget):
    name = "upstream_rates"
    title = "Rates"
    cache_seconds = 0

    def base_url(self) -> str:
        return f"{UPSTREAM}/rates"


class UpstreamStatus(StatuspageWidget):
    name = "upstream_status"
    title = "Status"
    cache_seconds = 0

    def base_url(self) -> str:
        return f"{UPSTREAM}/status"


class UpstreamUptime(UptimeWidget):
    name = "upstream_uptime"
    title = "Uptime"
    cache_seconds = 0

    def __init__(self, checks: Mapping[str, str]) -> None:
        self.labelled_urls = checks

    def checks(self) -> Mapping[str, str]:
        return self.labelled_urls


async def render_with_upstream(widget: Widget, url: str, answer: Any) -> str:
    with respx.mock() as upstream:
        upstream.get(url).respond(json=answer)
        return await fragment_of(widget)


@given(answer=json_of(RATES_SHAPE, hostile_texts))
async def test_hostile_strings_in_rates_are_shown_as_text(answer: dict[str, Any]) -> None:
    RATES_SHAPE.check(answer)
    url = f"{UPSTREAM}/rates/latest"

    hostile = await render_with_upstream(UpstreamRates(), url, answer)
    plain = await render_with_upstream(UpstreamRates(), url, plain_twin(RATES_SHAPE, answer, plain_words()))

    assert_shown_as_text(hostile, plain, [answer["base"], answer["date"], *answer["rates"]])


@given(answer=json_of(SUMMARY_SHAPE, hostile_texts))
async def test_hostile_strings_in_a_status_page_are_shown_as_text(answer: dict[str, Any]) -> None:
    SUMMARY_SHAPE.check(answer)
    url = f"{UPSTREAM}/status/api/v2/summary.json"
    twin = plain_twin(SUMMARY_SHAPE, answer, plain_words())

    hostile = await render_with_upstream(UpstreamStatus(), url, answer)
    plain = await render_with_upstream(UpstreamStatus(), url, twin)

    components = [Component(item["name"], item["status"]) for item in answer["components"]]
    incidents = answer.get("incidents", [])
    assert_shown_as_text(
        hostile,
        plain,
        [
            answer["page"]["name"],
            answer["status"]["description"],
            *(component.name for component in components),
            *(component.label for component in components),
            *(incident["name"] for incident in incidents),
            *(incident["status"] for incident in incidents),
        ],
    )
    # The indicator is a class name: it stays inside its attribute.
    classes = [attrs.get("class", "") for _, attrs in ParsedPage(hostile).elements]
    assert f"status status--{answer['status']['indicator']}" in classes


@given(
    labels=st.lists(hostile_texts, min_size=1, max_size=3, unique=True),
    status_codes=st.lists(st.sampled_from([200, 204, 301, 404, 500, 503]), min_size=3, max_size=3),
)
async def test_hostile_uptime_labels_are_shown_as_text(labels: list[str], status_codes: list[int]) -> None:
    # Uptime never reads an answer's body: what it shows is its labels and the status codes.
    urls = [f"{UPSTREAM}/health/{index}" for index in range(len(labels))]

    async def render(labelled: list[str]) -> str:
        with respx.mock() as upstream:
            for url, status_code in zip(urls, status_codes, strict=False):
                upstream.get(url).respond(status_code, text="<script>alert(1)</script>")
            return await fragment_of(UpstreamUptime(dict(zip(labelled, urls, strict=True))))

    hostile = await render(labels)
    plain = await render([f"word{index}" for index in range(len(labels))])

    assert_shown_as_text(hostile, plain, labels)
