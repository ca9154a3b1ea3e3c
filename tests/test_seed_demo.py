import os
import re
import signal
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Max, Min
from django.utils import timezone

from dashboard.demo_data import CATALOGUE, CUSTOMER_COUNT
from dashboard.models import Customer, Order, Product

ORDERS = 2_000

pytestmark = pytest.mark.django_db


def seed(*args: str, orders: int = ORDERS) -> str:
    out = StringIO()
    call_command("seed_demo", "--orders", str(orders), *args, stdout=out)
    return out.getvalue()


def simulate(*args: str) -> str:
    out = StringIO()
    call_command("simulate_orders", *args, stdout=out)
    return out.getvalue()


def orders_per_product() -> dict[str, int]:
    return dict(Product.objects.annotate(order_count=Count("orders")).values_list("name", "order_count"))


def test_seeding_creates_the_requested_orders_inside_the_window_ending_now() -> None:
    window_start = timezone.now() - timedelta(days=30)
    seed("--days", "30")
    window_end = timezone.now()

    assert Order.objects.count() == ORDERS
    bounds = Order.objects.aggregate(oldest=Min("created_at"), newest=Max("created_at"))
    assert window_start <= bounds["oldest"] < window_start + timedelta(days=1)
    assert window_end - timedelta(days=1) < bounds["newest"] <= window_end


def test_seeding_creates_the_catalogue_and_customers_in_many_countries() -> None:
    seed()

    assert Product.objects.count() == len(CATALOGUE)
    assert Customer.objects.count() == CUSTOMER_COUNT
    assert Customer.objects.values("country").distinct().count() >= 20


def test_order_amount_is_price_times_quantity() -> None:
    seed()

    assert not Order.objects.exclude(amount_cents=F("product__price_cents") * F("quantity")).exists()


def test_order_country_is_copied_from_the_customer() -> None:
    seed()

    assert not Order.objects.exclude(country=F("customer__country")).exists()


def test_refund_share_is_plausible() -> None:
    seed()

    refunded = Order.objects.filter(status=Order.Status.REFUNDED).count()
    assert 0.01 * ORDERS <= refunded <= 0.10 * ORDERS


def test_product_popularity_is_skewed() -> None:
    seed()

    counts = sorted(orders_per_product().values(), reverse=True)
    assert counts[0] > 5 * counts[-1]


def test_same_seed_gives_the_same_orders_per_product() -> None:
    seed()
    first = orders_per_product()
    seed("--force")

    assert orders_per_product() == first


def test_another_seed_gives_other_orders_per_product() -> None:
    seed()
    first = orders_per_product()
    seed("--force", "--seed", "7")

    assert orders_per_product() != first


def test_second_run_without_force_changes_nothing_and_says_so() -> None:
    seed()
    order_ids = set(Order.objects.values_list("pk", flat=True))

    output = seed(orders=10)

    assert output.strip().splitlines() == [
        "Demo users: admin, analyst, ops (rundemo prints their passwords).",
        f"Demo data already present ({ORDERS} orders); use --force to reseed.",
    ]
    assert set(Order.objects.values_list("pk", flat=True)) == order_ids


def test_force_replaces_orders_customers_and_products() -> None:
    seed()

    seed("--force", orders=500)

    assert Order.objects.count() == 500
    assert Product.objects.count() == len(CATALOGUE)
    assert Customer.objects.count() == CUSTOMER_COUNT


def test_seeding_reports_the_total_time() -> None:
    assert re.search(rf"Seeded {ORDERS:,} orders over 90 days in \d+\.\d s\.", seed())


def test_simulate_orders_adds_orders_placed_now() -> None:
    seed()
    last_seeded_pk = Order.objects.aggregate(last=Max("pk"))["last"]
    started = timezone.now()

    output = simulate("--count", "2", "--interval", "0", "--seed", "1")

    new_orders = Order.objects.filter(pk__gt=last_seeded_pk)
    assert 2 <= new_orders.count() <= 6
    assert all(started <= order.created_at <= timezone.now() for order in new_orders)
    assert not new_orders.exclude(amount_cents=F("product__price_cents") * F("quantity")).exists()
    assert len([line for line in output.splitlines() if " orders  €" in line]) == 2
    assert f"Stopped after 2 batches ({new_orders.count()} orders)." in output


def test_simulate_orders_without_demo_data_fails_clearly() -> None:
    with pytest.raises(
        CommandError, match=re.escape("No demo data: run `python manage.py seed_demo` first.")
    ):
        simulate("--count", "1", "--interval", "0")


def test_simulate_orders_stops_cleanly_on_sigterm() -> None:
    seed()
    leaked_signals: list[int] = []

    def record_leaked_sigterm(signum: int, frame: object) -> None:
        leaked_signals.append(signum)

    # Our own handler first, so a SIGTERM the command fails to catch cannot end the test run.
    previous = signal.signal(signal.SIGTERM, record_leaked_sigterm)
    try:
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()
        output = simulate("--count", "1000", "--interval", "0.01")
        assert signal.getsignal(signal.SIGTERM) is record_leaked_sigterm
    finally:
        signal.signal(signal.SIGTERM, previous)

    assert not leaked_signals
    batches = int(re.findall(r"Stopped after (\d+) batches", output)[0])
    assert 0 < batches < 1000
