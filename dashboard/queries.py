"""The demo's async ORM aggregates over orders. Each returns plain data."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from dashboard.models import Order
from widgets import TimeWindow


def paid_in(period: TimeWindow) -> QuerySet[Order]:
    return Order.objects.filter(
        created_at__gte=period.start, created_at__lt=period.end, status=Order.Status.PAID
    )


async def revenue_cents(period: TimeWindow) -> int:
    result = await paid_in(period).aaggregate(total=Sum("amount_cents"))
    return int(result["total"] or 0)


def bucket_starts(period: TimeWindow) -> list[datetime]:
    """The start of every hour (ranges up to two days) or day that ``period`` touches, in order."""
    step = timedelta(hours=1) if period.is_hourly else timedelta(days=1)
    bucket = period.start.replace(minute=0, second=0, microsecond=0)
    if not period.is_hourly:  # local days, as TruncDay counts them; a day is added by the wall clock
        bucket = timezone.localtime(bucket).replace(hour=0)
    starts = []
    while bucket < period.end:
        starts.append(bucket)
        bucket += step
    return starts


def per_bucket(period: TimeWindow, queryset: QuerySet[Order], **totals: Any) -> QuerySet[Any, Any]:
    """``totals`` of ``queryset``'s orders of ``period`` per hour or day, as rows with a ``bucket``."""
    trunc = TruncHour if period.is_hourly else TruncDay
    return (
        queryset.filter(created_at__gte=period.start, created_at__lt=period.end)
        .annotate(bucket=trunc("created_at"))
        .values("bucket")
        .annotate(**totals)
        .order_by("bucket")
    )


async def orders_per_bucket(period: TimeWindow) -> list[tuple[datetime, int]]:
    """Order counts per hour (ranges up to two days) or per day, empty buckets included."""
    rows = per_bucket(period, Order.objects.all(), count=Count("id"))
    counts = {row["bucket"]: row["count"] async for row in rows}
    return [(bucket, counts.get(bucket, 0)) for bucket in bucket_starts(period)]


async def revenue_per_bucket(period: TimeWindow) -> list[tuple[datetime, int]]:
    """Paid revenue in cents per hour or day, empty buckets included."""
    rows = per_bucket(period, Order.objects.filter(status=Order.Status.PAID), cents=Sum("amount_cents"))
    cents = {row["bucket"]: int(row["cents"]) async for row in rows}
    return [(bucket, cents.get(bucket, 0)) for bucket in bucket_starts(period)]


async def orders_by_status_per_bucket(period: TimeWindow) -> list[tuple[datetime, int, int]]:
    """``(bucket, paid orders, refunded orders)`` per hour or day, empty buckets included."""
    rows = per_bucket(
        period,
        Order.objects.all(),
        paid=Count("id", filter=Q(status=Order.Status.PAID)),
        refunded=Count("id", filter=Q(status=Order.Status.REFUNDED)),
    )
    counts = {row["bucket"]: (row["paid"], row["refunded"]) async for row in rows}
    return [(bucket, *counts.get(bucket, (0, 0))) for bucket in bucket_starts(period)]


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
