"""The bench's ORM aggregate over the seeded orders, as an async call and its sync twin."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, Max, QuerySet, Sum
from django.db.models.expressions import RawSQL

from dashboard.models import Order


@dataclass(frozen=True)
class PaidOrders:
    total_cents: int
    count: int


def paid_orders() -> QuerySet[Order]:
    return Order.objects.filter(status=Order.Status.PAID)


def paid_orders_aggregates(pause_seconds: float = 0.0) -> dict[str, Any]:
    """Sum and count of every paid order; on PostgreSQL optionally padded by a pause.

    The pause is an uncorrelated scalar subquery, which PostgreSQL runs once per
    query (an InitPlan), so the aggregate takes about ``pause_seconds`` plus its
    real cost: a stand-in for a slow report whose duration does not depend on
    how many cores the machine has.
    """
    aggregates: dict[str, Any] = {"total": Sum("amount_cents"), "count": Count("id")}
    if pause_seconds:
        pause = RawSQL("(SELECT 1 FROM pg_sleep(%s))", [pause_seconds], output_field=IntegerField())
        aggregates["paused"] = Max(pause)
    return aggregates


def to_paid_orders(result: dict[str, Any]) -> PaidOrders:
    return PaidOrders(int(result["total"] or 0), int(result["count"]))


async def asummarise_paid_orders(pause_seconds: float = 0.0) -> PaidOrders:
    return to_paid_orders(await paid_orders().aaggregate(**paid_orders_aggregates(pause_seconds)))


def summarise_paid_orders(pause_seconds: float = 0.0) -> PaidOrders:
    return to_paid_orders(paid_orders().aggregate(**paid_orders_aggregates(pause_seconds)))
