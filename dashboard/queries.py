"""The demo's async ORM aggregates over orders. Each returns plain data."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncHour

from dashboard.models import Order
from widgets import TimeWindow


def paid_in(period: TimeWindow) -> QuerySet[Order]:
    return Order.objects.filter(
        created_at__gte=period.start, created_at__lt=period.end, status=Order.Status.PAID
    )


async def revenue_cents(period: TimeWindow) -> int:
    result = await paid_in(period).aaggregate(total=Sum("amount_cents"))
    return int(result["total"] or 0)


async def orders_per_bucket(period: TimeWindow) -> list[tuple[datetime, int]]:
    """Order counts per hour (ranges up to two days) or per day, empty buckets included."""
    trunc = TruncHour if period.is_hourly else TruncDay
    rows = (
        Order.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
        .annotate(bucket=trunc("created_at"))
        .values("bucket")
        .annotate(count=Count("id"))
        .order_by("bucket")
    )
    counts = {row["bucket"]: row["count"] async for row in rows}
    step = timedelta(hours=1) if period.is_hourly else timedelta(days=1)
    bucket = period.start.replace(minute=0, second=0, microsecond=0)
    if not period.is_hourly:
        bucket = bucket.replace(hour=0)
    series = []
    while bucket < period.end:
        series.append((bucket, counts.get(bucket, 0)))
        bucket += step
    return series


async def top_products(period: TimeWindow, limit: int = 10) -> list[tuple[str, int, int]]:
    """``(product name, revenue cents, units)`` by revenue, highest first."""
    rows = (
        paid_in(period)
        .values("product__name")
        .annotate(revenue=Sum("amount_cents"), units=Sum("quantity"))
        .order_by("-revenue", "product__name")[:limit]
    )
    return [(row["product__name"], int(row["revenue"]), int(row["units"])) async for row in rows]


async def orders_by_country(period: TimeWindow) -> list[tuple[str, int]]:
    rows = (
        Order.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
        .values("country")
        .annotate(count=Count("id"))
        .order_by("-count", "country")
    )
    return [(row["country"], row["count"]) async for row in rows]


@dataclass(frozen=True)
class OrderStats:
    orders: int
    refunded: int
    average_paid_cents: float

    @property
    def refund_rate(self) -> float:
        return self.refunded / self.orders if self.orders else 0.0


async def order_stats(period: TimeWindow) -> OrderStats:
    result = await Order.objects.filter(created_at__gte=period.start, created_at__lt=period.end).aaggregate(
        orders=Count("id"),
        refunded=Count("id", filter=Q(status=Order.Status.REFUNDED)),
        average_paid=Avg("amount_cents", filter=Q(status=Order.Status.PAID)),
    )
    return OrderStats(result["orders"], result["refunded"], float(result["average_paid"] or 0))


@dataclass(frozen=True)
class RecentOrder:
    id: int
    created_at: datetime
    customer: str
    country: str
    product: str
    amount_cents: int
    status: str


async def latest_orders(limit: int = 10) -> list[RecentOrder]:
    rows = Order.objects.select_related("customer", "product").order_by("-created_at", "-id")[:limit]
    return [
        RecentOrder(
            order.pk,
            order.created_at,
            order.customer.name,
            order.country,
            order.product.name,
            order.amount_cents,
            order.get_status_display(),
        )
        async for order in rows
    ]
