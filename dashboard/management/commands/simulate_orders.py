"""Keep the demo live: a few new orders every couple of seconds, until stopped."""

import random
import signal
import threading
import time
from argparse import ArgumentParser
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Self

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from dashboard.demo_data import build_orders
from dashboard.management.commands.seed_demo import order_from_draft
from dashboard.models import Customer, Order, Product
from dashboard.money import format_money

MAX_ORDERS_PER_BATCH = 3
# Each pause is the interval times a factor drawn from this range.
JITTER = (0.5, 1.5)


@dataclass(frozen=True)
class Shop:
    """The products and customers to pick from, weighted by their past orders."""

    products: Sequence[Product]
    customers: Sequence[Customer]
    product_weights: list[int]
    customer_weights: list[int]

    @classmethod
    def load(cls) -> Self:
        # Past order counts as weights keep the seeded popularity skew going.
        products = list(Product.objects.annotate(order_count=Count("orders")).order_by("pk"))
        customers = list(Customer.objects.annotate(order_count=Count("orders")).order_by("pk"))
        return cls(
            products=products,
            customers=customers,
            product_weights=[product.order_count + 1 for product in products],
            customer_weights=[customer.order_count + 1 for customer in customers],
        )

    def new_orders(self, rng: random.Random, count: int) -> list[Order]:
        """``count`` unsaved orders placed now."""
        drafts = build_orders(
            rng,
            [timezone.now()] * count,
            prices_cents=[product.price_cents for product in self.products],
            product_weights=self.product_weights,
            customer_weights=self.customer_weights,
        )
        return [
            order_from_draft(
                draft,
                product_id=self.products[draft.product_index].pk,
                customer_id=self.customers[draft.customer_index].pk,
                country=self.customers[draft.customer_index].country,
            )
            for draft in drafts
        ]


class Command(BaseCommand):
    help = "Create 1-3 orders every --interval seconds for existing demo customers and products."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=2.0, help="Mean seconds between batches (jittered)."
        )
        parser.add_argument("--count", type=int, default=0, help="Batches to create; 0 runs until stopped.")
        parser.add_argument("--seed", type=int, default=None, help="Random seed (default: unpredictable).")

    def handle(self, *args: Any, interval: float, count: int, seed: int | None, **options: Any) -> None:
        if interval < 0:
            raise CommandError("--interval must be 0 or more.")
        if count < 0:
            raise CommandError("--count must be 0 or more.")
        shop = Shop.load()
        if not shop.products or not shop.customers:
            raise CommandError("No demo data: run `python manage.py seed_demo` first.")
        product_names = {product.pk: product.name for product in shop.products}

        rng = random.Random(seed)
        batches = created = 0
        with sigterm_raises_keyboard_interrupt():
            try:
                while count == 0 or batches < count:
                    if batches:
                        time.sleep(interval * rng.uniform(*JITTER))
                    orders = Order.objects.bulk_create(
                        shop.new_orders(rng, rng.randint(1, MAX_ORDERS_PER_BATCH))
                    )
                    batches += 1
                    created += len(orders)
                    self.stdout.write(describe_batch(orders, product_names))
            except KeyboardInterrupt:
                pass
        self.stdout.write(f"Stopped after {batches} batches ({created} orders).")


@contextmanager
def sigterm_raises_keyboard_interrupt() -> Iterator[None]:
    """Within the block SIGTERM (docker stop, systemd, honcho) stops us the way Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may install signal handlers
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def describe_batch(orders: list[Order], product_names: dict[int, str]) -> str:
    """One log line: time, order count, total and what was bought where."""
    items = ", ".join(
        f"{order.country} {order.quantity}x {product_names[order.product_id]}"
        + (" (refunded)" if order.status == Order.Status.REFUNDED else "")
        for order in orders
    )
    total = format_money(sum(order.amount_cents for order in orders), Decimal(1), "EUR")
    return f"{orders[0].created_at:%H:%M:%S}  +{len(orders)} orders  {total}  {items}"
