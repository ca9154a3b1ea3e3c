"""A person downloads a widget's figures from its menu, as CSV and as JSON."""

import csv
import io
import json

from playwright.sync_api import expect

from e2e.pages import Dashboard


def download(dashboard: Dashboard, widget: str, label: str) -> tuple[str, str]:
    """Open the widget's download menu, take the link ``label``; the file's name and text."""
    menu = dashboard.widget(widget).locator("details.widget__menu")
    menu.locator("summary").click()
    with dashboard.page.expect_download() as started:
        menu.get_by_role("link", name=label).click()
    downloaded = started.value
    path = downloaded.path()
    assert path is not None
    with open(path, encoding="utf-8") as file:
        return downloaded.suggested_filename, file.read()


def test_top_products_download_as_csv_with_the_filters_of_the_page(dashboard: Dashboard) -> None:
    dashboard.open("?range=30d&currency=USD")
    dashboard.expect_ready("top_products")
    shown = dashboard.widget("top_products").locator("tbody tr").first.locator("td").nth(1).inner_text()

    name, text = download(dashboard, "top_products", "CSV")

    assert name.startswith("top_products-")
    assert name.endswith(".csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["#", "Product"]
    assert len(rows) > 1
    assert rows[1][1] == shown  # the same figures the widget shows, in the same order


def test_a_chart_downloads_as_json_with_its_rows(dashboard: Dashboard) -> None:
    dashboard.open("?range=7d")
    dashboard.expect_ready("orders_over_time")

    name, text = download(dashboard, "orders_over_time", "JSON")

    assert name.endswith(".json")
    data = json.loads(text)
    assert data["widget"] == "orders_over_time"
    assert data["state"] in {"ready", "stale"}
    assert data["params"]["range"] == "7d"
    assert len(data["rows"]) == len(
        dashboard.widget("orders_over_time").locator("details table tbody tr").all()
    )
    expect(dashboard.widget("orders_over_time")).to_have_attribute("data-state", "ready")
