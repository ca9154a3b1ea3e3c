"""Deterministic demo shop data, as plain values: no database, no models.

``seed_demo`` and ``simulate_orders`` turn these into rows. Every function takes
the ``random.Random`` to draw from, so one seed always gives the same shop.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from typing import NamedTuple

# (name, category, price in EUR cents)
CATALOGUE: list[tuple[str, str, int]] = [
    ("Wireless Earbuds Pro", "Audio", 129_00),
    ("Over-Ear Headphones", "Audio", 199_00),
    ("Studio Monitor Headphones", "Audio", 149_00),
    ("Bluetooth Speaker Mini", "Audio", 39_90),
    ("Portable Soundbar", "Audio", 249_00),
    ("Earbud Tips Set", "Audio", 9_90),
    ("3.5 mm Audio Cable", "Audio", 4_90),
    ("Mechanical Keyboard", "Computing", 119_00),
    ("Wireless Mouse", "Computing", 29_90),
    ("27-inch 4K Monitor", "Computing", 379_00),
    ("USB-C Hub 7-in-1", "Computing", 49_90),
    ("USB-C Cable 1 m", "Computing", 7_90),
    ("HDMI Cable 2 m", "Computing", 8_90),
    ("Webcam 1080p", "Computing", 69_00),
    ("Portable SSD 1 TB", "Computing", 99_00),
    ("Mouse Pad XL", "Computing", 14_90),
    ("Laptop Stand", "Computing", 39_00),
    ("Ergonomic Office Chair", "Home Office", 399_00),
    ("Standing Desk Converter", "Home Office", 229_00),
    ("LED Desk Lamp", "Home Office", 44_90),
    ("Monitor Light Bar", "Home Office", 59_00),
    ("Cable Management Kit", "Home Office", 19_90),
    ("Dotted Notebook A5", "Home Office", 6_50),
    ("Gel Pen Set", "Home Office", 4_90),
    ("Sticky Notes", "Home Office", 2_50),
    ("Smart Plug", "Smart Home", 19_90),
    ("Smart Bulb E27", "Smart Home", 14_90),
    ("Motion Sensor", "Smart Home", 24_90),
    ("Indoor Camera", "Smart Home", 59_90),
    ("Video Doorbell", "Smart Home", 179_00),
    ("Smart Thermostat", "Smart Home", 219_00),
    ("Pour-Over Coffee Kit", "Kitchen", 49_00),
    ("Burr Coffee Grinder", "Kitchen", 139_00),
    ("Electric Kettle", "Kitchen", 69_90),
    ("Espresso Cups (Set of 4)", "Kitchen", 24_90),
    ("Insulated Bottle 750 ml", "Kitchen", 27_90),
    ("Phone Case", "Accessories", 19_90),
    ("Screen Protector", "Accessories", 9_90),
    ("Wireless Charger", "Accessories", 34_90),
    ("Power Bank 20,000 mAh", "Accessories", 44_90),
    ("Travel Adapter", "Accessories", 24_90),
    ("Laptop Sleeve 14-inch", "Accessories", 29_90),
]

# ISO 3166-1 alpha-2 code -> relative share of customers.
COUNTRY_WEIGHTS: dict[str, float] = {
    "DE": 18, "US": 14, "FR": 12, "GB": 11, "NL": 7, "ES": 7, "IT": 7,
    "BE": 3, "AT": 3, "CH": 3, "SE": 2.5, "PL": 2.5, "CA": 2, "PT": 1.5,
    "DK": 1.5, "AU": 1.5, "IE": 1.2, "NO": 1.2, "FI": 1, "CZ": 1, "JP": 1,
    "BR": 0.8, "MX": 0.6, "IN": 0.6, "SG": 0.5,
}  # fmt: skip

FIRST_NAMES = [
    "Anna", "Lukas", "Emma", "Noah", "Léa", "Hugo", "Olivia", "James", "Sophie",
    "Daan", "Lucía", "Mateo", "Giulia", "Marco", "Maja", "Jan", "Freja", "Oskar",
    "Chloé", "Liam", "Amelia", "Jack", "Sofia", "Leon", "Ines", "Tomás", "Hana",
    "Kenji", "Priya", "Arjun", "Camila", "Diego", "Elif", "Mia", "Ella", "Finn",
]  # fmt: skip
LAST_NAMES = [
    "Müller", "Schmidt", "Martin", "Bernard", "Smith", "Johnson", "Brown", "Jones",
    "de Jong", "Jansen", "García", "Fernández", "Rossi", "Russo", "Kowalski",
    "Nowak", "Andersson", "Nielsen", "Hansen", "Virtanen", "Novák", "Dubois",
    "Silva", "Santos", "Murphy", "Walsh", "Tanaka", "Sato", "Sharma", "Patel",
    "Wong", "Taylor", "Moreau", "Weber", "Bianchi", "Lopez",
]  # fmt: skip

CUSTOMER_COUNT = 5_000
# Popularity of the product at rank r is proportional to 1 / r**ZIPF_EXPONENT.
ZIPF_EXPONENT = 0.8
REFUND_RATE = 0.04
QUANTITY_WEIGHTS: dict[int, float] = {1: 70, 2: 19, 3: 7, 4: 2.5, 5: 1.5}
# Relative order volume by UTC hour: Europe's day, then the Americas' evening.
HOUR_WEIGHTS: list[float] = [
    0.30, 0.22, 0.16, 0.12, 0.10, 0.12, 0.20, 0.35, 0.55, 0.75, 0.90, 1.00,
    1.00, 0.95, 0.95, 1.00, 1.00, 0.95, 0.95, 1.00, 0.95, 0.80, 0.60, 0.42,
]  # fmt: skip
# Monday .. Sunday.
WEEKDAY_WEIGHTS: list[float] = [1.00, 1.00, 1.00, 1.00, 0.95, 0.70, 0.65]
# The last hour of the window gets this much more traffic than the first.
TREND_GROWTH = 0.30


@dataclass(frozen=True)
class DemoProduct:
    name: str
    category: str
    price_cents: int
    popularity: float


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    country: str
    activity: float


class OrderDraft(NamedTuple):
    """One order to insert; the indexes point into the product and customer lists."""

    created_at: datetime
    product_index: int
    customer_index: int
    quantity: int
    amount_cents: int
    is_refunded: bool


def zipf_weights(count: int, exponent: float = ZIPF_EXPONENT) -> list[float]:
    """The relative weight of ranks 1..count in a Zipf distribution."""
    return [1 / rank**exponent for rank in range(1, count + 1)]


def build_products(rng: random.Random) -> list[DemoProduct]:
    """The catalogue, each product with a Zipf popularity; cheap ones tend to rank higher."""
    ranked = sorted(CATALOGUE, key=lambda item: item[2] * rng.uniform(0.2, 5.0))
    popularity = dict(zip((name for name, _, _ in ranked), zipf_weights(len(ranked)), strict=True))
    return [
        DemoProduct(name, category, price_cents, popularity[name])
        for name, category, price_cents in CATALOGUE
    ]


def build_customers(rng: random.Random, count: int = CUSTOMER_COUNT) -> list[DemoCustomer]:
    """Customers in skewed countries; a few of them buy far more often than the rest."""
    countries = rng.choices(list(COUNTRY_WEIGHTS), weights=list(COUNTRY_WEIGHTS.values()), k=count)
    return [
        DemoCustomer(
            name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            country=country,
            activity=rng.lognormvariate(0.0, 0.8),
        )
        for country in countries
    ]


def traffic_weight(moment: datetime, progress: float) -> float:
    """Relative order volume at ``moment``, ``progress`` (0..1) of the way through the window."""
    return HOUR_WEIGHTS[moment.hour] * WEEKDAY_WEIGHTS[moment.weekday()] * (1 + TREND_GROWTH * progress)


def order_times(rng: random.Random, count: int, *, end: datetime, days: int) -> list[datetime]:
    """``count`` sorted timestamps in ``[end - days, end)`` following the traffic rhythm.

    Draws an hour of the window by its weight, then a uniform moment within it:
    two passes over ``count`` numbers instead of a weighted draw per second.
    """
    start = end - timedelta(days=days)
    hours = days * 24
    cumulative_weights = list(
        accumulate(
            traffic_weight(start + timedelta(hours=hour, minutes=30), hour / hours) for hour in range(hours)
        )
    )
    chosen_hours = rng.choices(range(hours), cum_weights=cumulative_weights, k=count)
    seconds = sorted((hour + rng.random()) * 3600 for hour in chosen_hours)
    return [start + timedelta(seconds=offset) for offset in seconds]


def build_orders(
    rng: random.Random,
    times: Sequence[datetime],
    *,
    prices_cents: Sequence[int],
    product_weights: Sequence[float],
    customer_weights: Sequence[float],
) -> list[OrderDraft]:
    """One order per timestamp, for products and customers picked by their weights."""
    count = len(times)
    product_indexes = rng.choices(range(len(prices_cents)), weights=product_weights, k=count)
    customer_indexes = rng.choices(range(len(customer_weights)), weights=customer_weights, k=count)
    quantities = rng.choices(list(QUANTITY_WEIGHTS), weights=list(QUANTITY_WEIGHTS.values()), k=count)
    return [
        OrderDraft(
            created_at,
            product_index,
            customer_index,
            quantity,
            prices_cents[product_index] * quantity,
            rng.random() < REFUND_RATE,
        )
        for created_at, product_index, customer_index, quantity in zip(
            times, product_indexes, customer_indexes, quantities, strict=True
        )
    ]
