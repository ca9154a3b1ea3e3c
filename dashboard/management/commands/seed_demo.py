"""Fill the database with a deterministic demo shop: products, customers and orders."""

import random
import time
from argparse import ArgumentParser
from itertools import batched
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from dashboard.demo_data import OrderDraft, build_customers, build_orders, build_products, order_times
from dashboard.demo_users import ensure_demo_users
from dashboard.models import Customer, Order, Product

BATCH_SIZE = 5_000
PROGRESS_EVERY = 50_000


def order_from_draft(draft: OrderDraft, *, product_id: int, customer_id: int, country: str) -> Order:
    """An unsaved order for ``draft``, placed by the given customer for the given product."""
    return Order(
        created_at=draft.created_at,
        product_id=product_id,
        customer_id=customer_id,
        country=country,
        quantity=draft.quantity,
        amount_cents=draft.amount_cents,
        status=Order.Status.REFUNDED if draft.is_refunded else Order.Status.PAID,
    )


class Command(BaseCommand):
    help = "Seed demo products, customers and orders (deterministic for a given --seed)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--orders", type=int, default=200_000, help="Orders to create.")
        parser.add_argument("--days", type=int, default=90, help="Days of history, ending now.")
        parser.add_argument("--force", action="store_true", help="Replace existing demo data.")
        parser.add_argument("--seed", type=int, default=42, help="Random seed.")

    def handle(self, *args: Any, orders: int, days: int, force: bool, seed: int, **options: Any) -> None:
        if orders < 0:
            raise CommandError("--orders must be 0 or more.")
        if days < 1:
            raise CommandError("--days must be 1 or more.")
        users = ensure_demo_users()
        names = ", ".join(user.username for user in users)
        self.stdout.write(f"Demo users: {names} (rundemo prints their passwords).")
        existing = Order.objects.count()
        if existing and not force:
            self.stdout.write(f"Demo data already present ({existing} orders); use --force to reseed.")
            return

        started = time.perf_counter()
        rng = random.Random(seed)
        products = build_products(rng)
        customers = build_customers(rng)
        drafts = build_orders(
            rng,
            order_times(rng, orders, end=timezone.now(), days=days),
            prices_cents=[product.price_cents for product in products],
            product_weights=[product.popularity for product in products],
            customer_weights=[customer.activity for customer in customers],
        )
        self.stdout.write(f"Generated {orders:,} orders in {time.perf_counter() - started:.1f} s.")

        with transaction.atomic():
            # Customers and products go too even without --force: with no orders
            # they are leftovers, and product names must stay unique.
            Order.objects.all().delete()
            Customer.objects.all().delete()
            Product.objects.all().delete()
            if existing:
                self.stdout.write(f"Deleted {existing:,} existing orders and their customers and products.")
            product_rows = Product.objects.bulk_create(
                Product(name=product.name, category=product.category, price_cents=product.price_cents)
                for product in products
            )
            customer_rows = Customer.objects.bulk_create(
                (Customer(name=customer.name, country=customer.country) for customer in customers),
                batch_size=BATCH_SIZE,
            )
            self.stdout.write(f"Inserted {len(product_rows)} products, {len(customer_rows):,} customers.")
            product_ids = [row.pk for row in product_rows]
            customer_ids = [row.pk for row in customer_rows]
            countries = [customer.country for customer in customers]
            inserted = 0
            for batch in batched(drafts, BATCH_SIZE):
                Order.objects.bulk_create(
                    order_from_draft(
                        draft,
                        product_id=product_ids[draft.product_index],
                        customer_id=customer_ids[draft.customer_index],
                        country=countries[draft.customer_index],
                    )
                    for draft in batch
                )
                inserted += len(batch)
                if inserted % PROGRESS_EVERY == 0 or inserted == orders:
                    self.stdout.write(f"Inserted {inserted:,} / {orders:,} orders.")

        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {orders:,} orders over {days} days in {time.perf_counter() - started:.1f} s."
            )
        )
