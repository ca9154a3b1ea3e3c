import re

from django.test import AsyncClient

from dashboard.layout import DEMO_LAYOUT


async def test_page_places_every_layout_widget_as_a_lazy_placeholder():
    response = await AsyncClient().get("/")
    assert response.status_code == 200
    html = response.content.decode()
    names = re.findall(r'data-widget="([a-z_]+)"', html)
    assert names == [tile.widget for tile in DEMO_LAYOUT]
    assert html.count('data-state="loading"') == len(DEMO_LAYOUT)
    assert html.count('aria-busy="true"') == len(DEMO_LAYOUT)
    assert html.count('hx-trigger="load"') == len(DEMO_LAYOUT)


async def test_filters_from_the_url_reach_each_widget_url_that_takes_them():
    html = (await AsyncClient().get("/?range=30d&currency=GBP")).content.decode()
    assert 'hx-get="/widgets/revenue/?range=30d&amp;currency=GBP"' in html
    assert 'hx-get="/widgets/orders_over_time/?range=30d"' in html
    assert 'hx-get="/widgets/fx_rates/"' in html
    assert '<option value="30d" selected>' in html
    assert '<option value="GBP" selected>' in html


async def test_invalid_filter_names_field_and_value_and_falls_back_to_defaults():
    response = await AsyncClient().get("/?range=1y&currency=USD")
    assert response.status_code == 400
    html = response.content.decode()
    assert "<strong>range</strong> = “1y”" in html
    assert 'role="alert"' in html
    assert 'hx-get="/widgets/revenue/?range=7d&amp;currency=USD"' in html


async def test_filter_change_through_htmx_gets_only_the_dashboard_partial():
    response = await AsyncClient().get(
        "/?range=24h&currency=EUR", headers={"HX-Request": "true", "HX-Target": "dashboard"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<main id="dashboard"')
    assert "<html" not in html
    assert 'hx-get="/widgets/revenue/?range=24h&amp;currency=EUR"' in html
    assert "HX-Request" in response["Vary"]


async def test_full_page_loads_htmx_from_the_package_with_a_csp_nonce():
    response = await AsyncClient().get("/")
    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'src="/static/django_htmx/htmx-2.min.js" defer nonce="{nonce}"' in html
    assert '"allowEval":false' in html
