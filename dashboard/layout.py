"""Which widgets the demo dashboard shows, in which order and at which width."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Tile:
    widget: str
    span: int = 1  # grid columns on wide screens (1 or 2)


DEMO_LAYOUT = [
    Tile("revenue"),
    Tile("order_health"),
    Tile("service_status"),
    Tile("orders_over_time", span=2),
    Tile("uptime"),
    Tile("top_products"),
    Tile("orders_by_country"),
    Tile("fx_rates"),
    Tile("recent_orders", span=3),
]
