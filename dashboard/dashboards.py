"""The demo's dashboards, found by the widgets app's autodiscovery (a ``dashboards`` module)."""

from django.urls import reverse_lazy

from dashboard.demo_users import VIEW_REVENUE
from dashboard.filters import ShopFilters
from dashboard.i18n import _
from widgets import Dashboard, Tile, register


@register
class ShopDashboard(Dashboard):
    slug = "shop"
    title = _("Shop dashboard")
    description = _(
        "Revenue, orders, refunds, products and countries, in the currency and time range you pick."
    )
    permissions = (VIEW_REVENUE,)
    filters_form = ShopFilters
    links = ((_("Widgets in a page"), reverse_lazy("embed_example")),)
    layout = (
        Tile("revenue"),
        Tile("order_health"),
        Tile("service_status"),
        Tile("orders_over_time", span=2),
        Tile("uptime"),
        Tile("revenue_over_time", span=2),
        Tile("paid_vs_refunded"),
        Tile("top_products"),
        Tile("orders_by_country"),
        Tile("fx_rates"),
        Tile("recent_orders", span=3),
    )


@register
class OperationsDashboard(Dashboard):
    slug = "operations"
    title = _("Operations")
    description = _("Is everything up? Service status, uptime checks, FX rates and orders as they arrive.")
    # Any logged-in user may open it; each sees the tiles their rights allow (ops: no revenue, no names).
    layout = (
        Tile("service_status"),
        Tile("uptime"),
        Tile("fx_rates"),
        Tile("orders_over_time", span=2, params={"range": "24h"}),
        Tile("revenue", params={"range": "24h", "currency": "EUR"}),
        Tile("recent_orders", span=3),
    )
