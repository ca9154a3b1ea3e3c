import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from dashboard.demo_data import (
    CATALOGUE,
    COUNTRY_WEIGHTS,
    build_customers,
    build_orders,
    build_products,
    order_times,
    zipf_weights,
)

END = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday


def test_catalogue_prices_are_between_2_and_400_eur() -> None:
    assert all(200 <= price_cents <= 400_00 for _, _, price_cents in CATALOGUE)


def test_catalogue_names_are_unique() -> None:
    assert len({name for name, _, _ in CATALOGUE}) == len(CATALOGUE)


def test_zipf_weights_fall_with_rank() -> None:
    assert zipf_weights(3, exponent=1.0) == [1.0, 0.5, 1 / 3]


def test_build_products_gives_each_product_a_distinct_zipf_popularity() -> None:
    products = build_products(random.Random(1))

    assert sorted(product.popularity for product in products) == sorted(zipf_weights(len(CATALOGUE)))


def test_build_customers_is_deterministic_and_skewed_to_big_countries() -> None:
    customers = build_customers(random.Random(1), 2_000)

    assert customers == build_customers(random.Random(1), 2_000)
    countries = Counter(customer.country for customer in customers)
    assert set(countries) <= set(COUNTRY_WEIGHTS)
    assert countries["DE"] > 5 * countries["SG"]


def test_order_times_are_sorted_inside_the_window() -> None:
    times = order_times(random.Random(1), 5_000, end=END, days=14)

    assert len(times) == 5_000
    assert times == sorted(times)
    assert END - timedelta(days=14) <= times[0]
    assert times[-1] < END


def test_order_times_favour_daytime_and_weekdays() -> None:
    times = order_times(random.Random(1), 20_000, end=END, days=28)

    hours = Counter(moment.hour for moment in times)
    assert hours[14] > 3 * hours[4]
    weekdays = Counter(moment.weekday() for moment in times)
    assert weekdays[2] > 1.2 * weekdays[6]  # Wednesday vs Sunday


def test_order_times_trend_upwards() -> None:
    times = order_times(random.Random(1), 20_000, end=END, days=28)

    first_week = sum(moment < END - timedelta(days=21) for moment in times)
    last_week = sum(moment >= END - timedelta(days=7) for moment in times)
    assert last_week > 1.1 * first_week


def test_build_orders_prices_quantities_and_refunds() -> None:
    times = [END] * 10_000
    orders = build_orders(
        random.Random(1),
        times,
        prices_cents=[100, 250],
        product_weights=[1, 1],
        customer_weights=[1, 1, 1],
    )

    assert [order.created_at for order in orders] == times
    assert all(order.amount_cents == [100, 250][order.product_index] * order.quantity for order in orders)
    assert {order.customer_index for order in orders} == {0, 1, 2}
    assert sum(order.quantity <= 3 for order in orders) > 0.9 * len(orders)
    assert 0.02 < sum(order.is_refunded for order in orders) / len(orders) < 0.06


def test_build_orders_follows_the_weights() -> None:
    orders = build_orders(
        random.Random(1),
        [END] * 1_000,
        prices_cents=[100, 100],
        product_weights=[1, 0],
        customer_weights=[0, 1],
    )

    assert {(order.product_index, order.customer_index) for order in orders} == {(0, 1)}
