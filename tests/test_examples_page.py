import re
from datetime import timedelta

import httpx
import pytest
import respx
from asgiref.sync import sync_to_async
from django.db import connections
from django.template.loader import render_to_string
from django.test import AsyncClient
from django.utils import timezone

from dashboard.models import Customer, Order, Product
from tests.users import superuser_client
from widgets import dashboards

pytestmark = pytest.mark.django_db(transaction=True)

RATES = {"amount": 1.0, "base": "EUR", "date": "2025-05-02", "rates": {"USD": 1.5}}


@pytest.fixture
def rates_upstream(settings):
    settings.RATES_API_URL = "http://rates.test"
    with respx.mock(assert_all_called=False) as mock:
        mock.get("http://rates.test/latest", params={"from": "EUR"}).mock(
            return_value=httpx.Response(200, json=RATES)
        )
        yield mock


@pytest.fixture
async def an_order_this_month():
    """One paid order of €100 a week ago."""
    product = await Product.objects.acreate(name="Anvil", category="tools", price_cents=10000)
    customer = await Customer.objects.acreate(name="Ada", country="DE")
    await Order.objects.acreate(
        created_at=timezone.now() - timedelta(days=7),
        customer=customer,
        product=product,
        country="DE",
        amount_cents=10000,
    )
    yield
    await sync_to_async(connections.close_all)()


def embedded(html, mode):
    """The element holding the page's widget embedded in ``mode``, and the widget's root tag."""
    match = re.search(rf'<div class="[^"]*" data-embed-mode="{mode}">(.*?)</section>', html, re.DOTALL)
    assert match, html
    root = re.search(r"<section [^>]*>", match[1])
    assert root, match[1]
    return match[1], root[0]


@pytest.fixture
async def page(rates_upstream, an_order_this_month):
    client = await superuser_client()  # the revenue widget needs the right to see revenue
    response = await client.get("/examples/embed/")
    assert response.status_code == 200
    return response, response.content.decode()


async def test_page_is_an_article_with_prose_around_the_widgets(page):
    _, html = page
    assert "<title>Our week in numbers · Shop journal</title>" in html
    assert "<h1>Our week in numbers</h1>" in html
    assert "<strong>Lazy widget.</strong>" in html
    assert "<strong>Inline widget.</strong>" in html
    assert '{% widget "revenue" range="30d" currency="USD" inline %}' in html


async def test_lazy_widget_arrives_as_a_placeholder_htmx_loads(page):
    _, html = page
    widget, root = embedded(html, "lazy")
    assert 'data-widget="orders_over_time"' in root
    assert 'data-state="loading"' in root
    assert 'hx-get="/widgets/orders_over_time/?range=7d" hx-trigger="load"' in root
    assert "Loading…" in widget


async def test_inline_widget_arrives_loaded_in_the_same_response(page, rates_upstream):
    _, html = page
    widget, root = embedded(html, "inline")
    assert 'data-widget="revenue"' in root
    assert 'data-state="ready"' in root
    assert 'hx-get="/widgets/revenue/?range=30d&amp;currency=USD" hx-trigger="every 30s"' in root
    assert '<dd class="kpi__value" data-kpi="revenue-last-30-days">$150.00</dd>' in widget
    assert rates_upstream.calls.call_count == 1


async def test_lazy_widget_url_serves_the_widget(page):
    _, html = page
    _, root = embedded(html, "lazy")
    url = re.search(r'hx-get="([^"]+)"', root)[1].replace("&amp;", "&")
    response = await AsyncClient().get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'data-state="ready"' in response.content.decode()


async def test_page_keeps_to_the_strict_content_security_policy(page):
    response, html = page
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])[1]
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts
    assert all(f'nonce="{nonce}"' in tag and "src=" in tag for tag in scripts)
    assert "<style" not in html
    assert " style=" not in html
    assert " hx-on" not in html


def test_the_shop_dashboard_header_links_to_the_example():
    context = {"dashboard": dashboards.get("shop"), "filters_form": None, "placed": []}
    html = render_to_string("widgets/dashboard.html", context)
    header = re.search(r'<header class="topbar">.*?</header>', html, re.DOTALL)[0]
    assert '<a class="topbar__link" href="/examples/embed/">Widgets in a page</a>' in header


async def test_page_reads_in_german_with_the_figure_in_german(rates_upstream, an_order_this_month):
    client = await superuser_client()
    response = await client.get("/examples/embed/", headers={"Accept-Language": "de"})
    html = response.content.decode()
    assert "<title>Unsere Woche in Zahlen · Shop-Journal</title>" in html
    assert "<h1>Unsere Woche in Zahlen</h1>" in html
    assert "<strong>Mitgeliefertes Widget.</strong>" in html
    assert "<code>render_with_widgets()</code> statt mit <code>render()</code>" in html
    widget, _ = embedded(html, "inline")
    assert "150,00\N{NO-BREAK SPACE}$" in widget
