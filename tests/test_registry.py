import pytest

from widgets.base import Widget
from widgets.registry import AlreadyRegistered, WidgetRegistry, autodiscover, registry

DEMO_WIDGETS = {
    "revenue",
    "orders_over_time",
    "top_products",
    "orders_by_country",
    "order_health",
    "fx_rates",
    "service_status",
    "uptime",
    "recent_orders",
}


def widget_class(name, **attributes):
    return type(f"{name.title()}Widget", (Widget,), {"name": name, **attributes})


@pytest.fixture
def fresh_registry():
    return WidgetRegistry()


def test_registered_widget_is_found_by_name(fresh_registry):
    fresh_registry.register(widget_class("sales"))
    widget = fresh_registry.get("sales")
    assert isinstance(widget, Widget)
    assert widget.name == "sales"
    assert "sales" in fresh_registry


def test_unknown_name_gives_none(fresh_registry):
    assert fresh_registry.get("nope") is None
    assert "nope" not in fresh_registry


def test_register_returns_the_class_so_it_works_as_a_decorator(fresh_registry):
    sales = widget_class("sales")
    assert fresh_registry.register(sales) is sales


def test_names_and_iteration_follow_registration_order(fresh_registry):
    for name in ("b", "c", "a"):
        fresh_registry.register(widget_class(name))
    assert fresh_registry.names() == ["b", "c", "a"]
    assert [widget.name for widget in fresh_registry] == ["b", "c", "a"]


def test_second_class_under_a_taken_name_raises(fresh_registry):
    fresh_registry.register(widget_class("sales"))
    with pytest.raises(AlreadyRegistered, match="'sales' is already registered"):
        fresh_registry.register(widget_class("sales"))


def test_registering_the_same_class_again_is_idempotent(fresh_registry):
    sales = widget_class("sales")
    fresh_registry.register(sales)
    fresh_registry.register(sales)
    assert fresh_registry.names() == ["sales"]


def test_class_without_name_is_rejected(fresh_registry):
    with pytest.raises(ValueError, match="has no name"):
        fresh_registry.register(type("NamelessWidget", (Widget,), {}))


def test_unregister_removes_the_widget_and_ignores_unknown_names(fresh_registry):
    fresh_registry.register(widget_class("sales"))
    fresh_registry.unregister("sales")
    fresh_registry.unregister("never-registered")
    assert fresh_registry.names() == []


def test_autodiscover_registers_the_demo_widgets():
    assert set(registry.names()) >= DEMO_WIDGETS


def test_autodiscover_twice_registers_nothing_new():
    names = registry.names()
    autodiscover()
    assert registry.names() == names
