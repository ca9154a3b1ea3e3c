import asyncio
import copy
import logging
import re

import pytest
from django import forms
from django.template import TemplateSyntaxError, engines
from django.template.loader import render_to_string
from django.test import RequestFactory

from tests.forms import FiltersForm, RangeForm
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.pages.periods import PeriodField
from widgets.registry import registry
from widgets.render.inline import InlineWidgets, render_with_widgets
from widgets.sources import SourceError, SourcesFailed

LOADED: list[str] = []


class TagProbeWidget(KpiWidget):
    """Shows the range it was loaded with, and notes each load."""

    name = "tag_probe"
    title = "Tag probe"
    params_form = RangeForm
    refresh_seconds = 30

    async def load(self, params):
        LOADED.append(params["range"])
        return {"kpis": [Kpi("Range", params["range"])]}


class TagBrokenWidget(KpiWidget):
    name = "tag_broken"
    title = "Tag broken"

    async def load(self, params):
        raise SourcesFailed([SourceError("orders-db", "timed out after 3 s")])


class TagFiltersWidget(KpiWidget):
    """Takes two parameters: a range and a currency, each with a default."""

    name = "tag_filters"
    title = "Tag filters"
    params_form = FiltersForm

    async def load(self, params):
        return {"kpis": [Kpi("Range", params["range"])]}


TEST_WIDGETS = (TagProbeWidget, TagBrokenWidget, TagFiltersWidget)


@pytest.fixture(autouse=True)
def registered_test_widgets():
    LOADED.clear()
    for widget_class in TEST_WIDGETS:
        registry.register(widget_class)
    yield
    for widget_class in TEST_WIDGETS:
        registry.unregister(widget_class.name)


@pytest.fixture
def page_templates(settings):
    """Serve the given templates by name, next to the project's own."""

    def use(**templates):
        config = copy.deepcopy(settings.TEMPLATES)
        config[0]["APP_DIRS"] = False
        config[0]["OPTIONS"]["loaders"] = [
            ("django.template.loaders.locmem.Loader", templates),
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ]
        settings.TEMPLATES = config

    return use


@pytest.fixture
def request_():
    return RequestFactory().get("/article/")


def render(source, context=None):
    return engines["django"].from_string("{% load widgets %}" + source).render(context or {})


async def render_inline(page_templates, request, source, context=None):
    page_templates(**{"page.html": "{% load widgets %}" + source})
    response = await render_with_widgets(request, "page.html", context or {})
    return response.content.decode()


def root_of(html, name):
    """The opening tag of the widget's root element."""
    match = re.search(rf'<section [^>]*data-widget="{name}"[^>]*>', html)
    assert match, html
    return match[0]


# Lazy (default) mode


def test_lazy_widget_is_a_loading_placeholder_that_htmx_loads_from_the_endpoint():
    html = render('{% widget "tag_probe" range="30d" %}')
    root = root_of(html, "tag_probe")
    assert 'data-state="loading"' in root
    assert 'aria-busy="true"' in root
    assert 'hx-get="/widgets/tag_probe/?range=30d" hx-trigger="load" hx-swap="outerHTML"' in root
    assert 'aria-live="polite"' in html
    assert 'id="widget-tag_probe-title">Tag probe</h2>' in html
    assert LOADED == []


def test_lazy_widget_url_carries_every_cleaned_param_with_defaults():
    html = render('{% widget "tag_filters" range="30d" %}')
    assert 'hx-get="/widgets/tag_filters/?range=30d&amp;currency=EUR"' in root_of(html, "tag_filters")


def test_widget_name_and_params_can_be_variables():
    html = render("{% widget name range=period %}", {"name": "tag_probe", "period": "90d"})
    assert 'hx-get="/widgets/tag_probe/?range=90d"' in root_of(html, "tag_probe")


def test_invalid_param_renders_the_invalid_state_naming_field_and_value():
    html = render('{% widget "tag_probe" range="1y" %}')
    root = root_of(html, "tag_probe")
    assert 'data-state="error"' in root
    assert "hx-get" not in root
    assert '<strong data-field="range">range</strong> = “1y”: Select a valid choice.' in html


def test_param_the_widget_does_not_take_is_named_as_invalid():
    html = render('{% widget "tag_probe" rnage="7d" %}')
    assert 'data-state="error"' in root_of(html, "tag_probe")
    expected = (
        '<strong data-field="rnage">rnage</strong> = “7d”: Not a parameter of this widget (it takes range).'
    )
    assert expected in html


def test_unknown_widget_renders_the_unknown_state():
    html = render('{% widget "nope" range="7d" %}')
    root = root_of(html, "nope")
    assert 'data-state="error"' in root
    assert "hx-get" not in root
    assert "There is no widget named “nope”." in html


def test_widget_name_from_a_missing_variable_is_an_unknown_widget():
    html = render("{% widget missing %}")
    assert "There is no widget named “”." in html


def test_widget_name_is_escaped():
    html = render("{% widget name %}", {"name": '<img src=x onerror="alert(1)">'})
    assert "<img" not in html
    assert "&lt;img" in html


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% widget %}", "needs a widget name first"),
        ("{% widget inline %}", "needs a widget name first"),
        ('{% widget range="7d" %}', "needs a widget name first"),
        ('{% widget "tag_probe" "7d" %}', "got '\"7d\"' where a parameter belongs"),
        ('{% widget "tag_probe" inline range="7d" %}', "got 'inline' where a parameter belongs"),
        ('{% widget "tag_probe" range="7d" range="30d" %}', "got the parameter 'range' twice"),
    ],
)
def test_wrong_arguments_fail_at_parse_time_with_a_clear_message(source, message):
    with pytest.raises(TemplateSyntaxError, match=re.escape(message)):
        engines["django"].from_string("{% load widgets %}" + source)


# Inline mode


async def test_inline_widget_is_rendered_ready_in_the_same_response(page_templates, request_):
    html = await render_inline(
        page_templates, request_, '<p>Before</p>{% widget "tag_probe" range="30d" inline %}'
    )
    root = root_of(html, "tag_probe")
    assert html.startswith("<p>Before</p>")
    assert 'data-state="ready"' in root
    assert 'aria-busy="false"' in root
    assert 'hx-get="/widgets/tag_probe/?range=30d" hx-trigger="every 30s"' in root
    assert '<dd class="kpi__value" data-kpi="range">30d</dd>' in html
    assert "<!--widget-inline:" not in html
    assert LOADED == ["30d"]


async def test_render_with_widgets_passes_the_status_and_context(page_templates, request_):
    page_templates(**{"page.html": '{% load widgets %}<h1>{{ heading }}</h1>{% widget "tag_probe" inline %}'})
    response = await render_with_widgets(request_, "page.html", {"heading": "Week 12"}, status=202)
    assert response.status_code == 202
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Week 12</h1>" in response.content.decode()


async def test_inline_widgets_load_concurrently(page_templates, request_):
    """Each widget waits for the other to have started: loaded one after the other, they would deadlock."""
    started = {"tag_left": asyncio.Event(), "tag_right": asyncio.Event()}

    class PairedWidget(KpiWidget):
        other: str

        async def load(self, params):
            started[self.name].set()
            await started[self.other].wait()
            return {"kpis": [Kpi(self.name, "loaded")]}

    class LeftWidget(PairedWidget):
        name, title, other = "tag_left", "Left", "tag_right"

    class RightWidget(PairedWidget):
        name, title, other = "tag_right", "Right", "tag_left"

    registry.register(LeftWidget)
    registry.register(RightWidget)
    try:
        async with asyncio.timeout(2):
            html = await render_inline(
                page_templates, request_, '{% widget "tag_left" inline %}{% widget "tag_right" inline %}'
            )
    finally:
        registry.unregister("tag_left")
        registry.unregister("tag_right")
    assert 'data-state="ready"' in root_of(html, "tag_left")
    assert 'data-state="ready"' in root_of(html, "tag_right")
    assert html.index('data-widget="tag_left"') < html.index('data-widget="tag_right"')


async def test_inline_widget_with_a_failing_source_renders_the_error_state(page_templates, request_):
    html = await render_inline(page_templates, request_, '{% widget "tag_broken" inline %}')
    assert 'data-state="error"' in root_of(html, "tag_broken")
    assert '<strong data-source="orders-db">orders-db</strong>: timed out after 3 s' in html


async def test_inline_widget_with_invalid_params_renders_the_invalid_state_without_loading(
    page_templates, request_
):
    html = await render_inline(
        page_templates, request_, '{% widget "tag_probe" range="1y" inline %}{% widget "nope" inline %}'
    )
    assert '<strong data-field="range">range</strong> = “1y”' in html
    assert "There is no widget named “nope”." in html
    assert LOADED == []


async def test_one_inline_widget_twice_on_a_page_is_loaded_once(page_templates, request_, settings):
    settings.WIDGETS_CACHE_ENABLED = False
    html = await render_inline(
        page_templates, request_, '{% for _ in "ab" %}{% widget "tag_probe" range="24h" inline %}{% endfor %}'
    )
    assert html.count('data-widget="tag_probe"') == 2
    assert html.count('data-state="ready"') == 2
    assert LOADED == ["24h"]


def test_inline_widget_in_a_plain_render_falls_back_to_lazy_and_warns_once(page_templates, caplog):
    page_templates(**{"plain.html": '{% load widgets %}{% widget "tag_probe" range="7d" inline %}'})
    with caplog.at_level(logging.WARNING, logger="widgets.render.inline"):
        first = render_to_string("plain.html")
        second = render_to_string("plain.html")
    assert first == second
    root = root_of(first, "tag_probe")
    assert 'data-state="loading"' in root
    assert 'hx-get="/widgets/tag_probe/?range=7d" hx-trigger="load"' in root
    assert "<!--" not in first
    assert [record.getMessage() for record in caplog.records] == [
        "plain.html asks for inline widgets but was not rendered with render_with_widgets(): "
        "rendering lazy placeholders instead"
    ]


async def test_marker_lookalikes_in_page_content_are_not_replaced(page_templates, request_):
    fake = "<!--widget-inline:0123456789abcdef0123456789abcdef:0-->"
    html = await render_inline(
        page_templates, request_, '{{ note }}|{{ note|safe }}|{% widget "tag_probe" inline %}', {"note": fake}
    )
    escaped, raw, widget = html.split("|")
    assert escaped == "&lt;!--widget-inline:0123456789abcdef0123456789abcdef:0--&gt;"
    assert raw == fake
    assert 'data-state="ready"' in root_of(widget, "tag_probe")
    assert html.count("<section") == 1


async def test_a_render_cannot_fill_another_renders_markers():
    first, second = InlineWidgets(), InlineWidgets()
    assert first.token != second.token
    marker = first.add(registry.get("tag_probe"), {"range": "7d"})
    second.add(registry.get("tag_probe"), {"range": "7d"})
    assert await second.fill(f"<p>{marker}</p>") == f"<p>{marker}</p>"
    assert LOADED == []


async def test_inline_widget_in_an_included_template_is_loaded(page_templates, request_):
    page_templates(
        **{
            "page.html": '{% include "part.html" %}|{% include "part.html" only %}',
            "part.html": '{% load widgets %}{% widget "tag_probe" range="24h" inline %}',
        }
    )
    included, included_only = (await render_with_widgets(request_, "page.html")).content.decode().split("|")
    assert 'data-state="ready"' in root_of(included, "tag_probe")
    # "only" leaves the collector behind with the rest of the context: the widget loads lazily.
    assert 'data-state="loading"' in root_of(included_only, "tag_probe")


# A period parameter


class TagPeriodForm(forms.Form):
    period = PeriodField()


class TagPeriodWidget(KpiWidget):
    """Shows the period it was loaded with."""

    name = "tag_period"
    title = "Tag period"
    params_form = TagPeriodForm

    async def load(self, params):
        return {"kpis": [Kpi("Period", params["period"].label)]}


@pytest.fixture
def tag_period():
    registry.register(TagPeriodWidget)
    yield
    registry.unregister(TagPeriodWidget.name)


def test_period_preset_is_given_by_its_query_key(tag_period):
    html = render('{% widget "tag_period" range="30d" %}')
    assert 'hx-get="/widgets/tag_period/?range=30d"' in root_of(html, "tag_period")


def test_custom_period_is_given_by_its_query_keys(tag_period):
    html = render('{% widget "tag_period" range="custom" from="2026-11-01" to="2026-11-20" %}')
    expected = 'hx-get="/widgets/tag_period/?range=custom&amp;from=2026-11-01&amp;to=2026-11-20"'
    assert expected in root_of(html, "tag_period")


def test_period_field_name_is_not_a_parameter(tag_period):
    html = render('{% widget "tag_period" period="7d" %}')
    expected = (
        '<strong data-field="period">period</strong> = “7d”: '
        "Not a parameter of this widget (it takes range, from, to)."
    )
    assert expected in html


def test_invalid_period_names_the_query_key_and_value(tag_period):
    html = render('{% widget "tag_period" range="custom" from="2026-11-20" to="2026-11-01" %}')
    assert 'data-state="error"' in root_of(html, "tag_period")
    expected = (
        '<strong data-field="from">from</strong> = “2026-11-20”: from: 2026-11-20 is after to (2026-11-01).'
    )
    assert expected in html


async def test_inline_widget_gets_one_period(tag_period, page_templates, request_):
    html = await render_inline(page_templates, request_, '{% widget "tag_period" range="24h" inline %}')
    assert 'data-state="ready"' in root_of(html, "tag_period")
    assert '<dd class="kpi__value" data-kpi="period">Last 24 hours</dd>' in html
