"""Seeded, named sourcing instances at real US geography.

Customers are drawn from real ZIP centroids (the offline ``zipcodes`` package; ZIP density
follows population well enough), locations sit in real cities. Everything is derived from one
``random.Random(seed)``, so a name and a seed always give the same instance.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from dataclasses import dataclass

import zipcodes

from optimizer import LineSpec, LocationSpec, OrderSpec

# Real distribution / retail cities (city, state); the first ones host warehouses.
CITIES = [
    ("Memphis", "TN"),
    ("Louisville", "KY"),
    ("Columbus", "OH"),
    ("Dallas", "TX"),
    ("Reno", "NV"),
    ("Allentown", "PA"),
    ("Atlanta", "GA"),
    ("Chicago", "IL"),
    ("Phoenix", "AZ"),
    ("Kansas City", "MO"),
    ("Indianapolis", "IN"),
    ("Denver", "CO"),
    ("Sacramento", "CA"),
    ("Salt Lake City", "UT"),
    ("Jacksonville", "FL"),
    ("Charlotte", "NC"),
    ("Seattle", "WA"),
    ("Portland", "OR"),
    ("Houston", "TX"),
    ("Nashville", "TN"),
    ("Minneapolis", "MN"),
    ("Saint Louis", "MO"),
    ("Baltimore", "MD"),
    ("Boston", "MA"),
    ("New York", "NY"),
    ("Los Angeles", "CA"),
    ("San Antonio", "TX"),
    ("San Diego", "CA"),
    ("Philadelphia", "PA"),
    ("Detroit", "MI"),
    ("Miami", "FL"),
    ("Orlando", "FL"),
    ("Tampa", "FL"),
    ("Pittsburgh", "PA"),
    ("Cincinnati", "OH"),
    ("Cleveland", "OH"),
    ("Milwaukee", "WI"),
    ("Omaha", "NE"),
    ("Oklahoma City", "OK"),
    ("Albuquerque", "NM"),
    ("Tucson", "AZ"),
    ("Las Vegas", "NV"),
    ("Boise", "ID"),
    ("Spokane", "WA"),
    ("Richmond", "VA"),
    ("Raleigh", "NC"),
    ("Birmingham", "AL"),
    ("New Orleans", "LA"),
    ("Little Rock", "AR"),
    ("Des Moines", "IA"),
    ("Buffalo", "NY"),
    ("Hartford", "CT"),
    ("Austin", "TX"),
    ("El Paso", "TX"),
    ("Fresno", "CA"),
    ("Tulsa", "OK"),
]

MILE_KM = 1.609344


@dataclass(frozen=True)
class CostModel:
    """Per-package and per-unit prices by location type."""

    name: str
    warehouse_package: float
    store_package: float
    package_per_km: float
    unit: float
    unit_per_km: float
    store_unit_markup: float = 1.3  # a store's unit costs this much more (handling on a shop floor)
    order_priorities: bool = True  # one order in ten at priority 1


DEFAULT_COSTS = CostModel("default", 6.5, 9.0, 0.0015, 0.35, 0.0002)
# Jasin & Sinha (2015): $8.759 per package, $0.423 per item plus $0.000541 per item-mile at every
# location, and an unfilled item costs twice the farthest shipment (Params.unfilled_cost_factor)
# for every order alike: no store markup and no order priorities (a priority would double the
# unfilled price of its orders' items).
JASIN_SINHA = CostModel("jasin_sinha", 8.759, 8.759, 0.0, 0.423, 0.000541 / MILE_KM,
                        store_unit_markup=1.0, order_priorities=False)
JASIN_SINHA_UNFILLED = 2.0


@dataclass(frozen=True)
class Instance:
    name: str
    orders: list[OrderSpec]
    locations: list[LocationSpec]
    stock: Mapping[tuple[str, str], int]
    note: str = ""
    # the setting's price of an unfilled unit (Params.unfilled_cost_factor); None: fill first
    unfilled_cost_factor: float | None = None


@functools.cache
def _city_points() -> list[tuple[str, float, float]]:
    points = []
    for city, state in CITIES:
        found = zipcodes.filter_by(city=city, state=state)  # type: ignore[no-untyped-call]
        if found:
            points.append((f"{city}, {state}", float(found[0]["lat"]), float(found[0]["long"])))
    return points


@functools.cache
def _zip_points() -> list[tuple[float, float]]:
    """Standard ZIP centroids in the lower 48 states."""
    skip = {"AK", "HI", "PR", "VI", "GU", "AS", "MP", "AA", "AE", "AP", "FM", "MH", "PW"}
    return [
        (float(z["lat"]), float(z["long"]))
        for z in zipcodes.list_all()  # type: ignore[no-untyped-call]
        if z["zip_code_type"] == "STANDARD" and z["state"] not in skip and z["lat"]
    ]


def _locations(rng: random.Random, n: int, costs: CostModel, n_orders: int) -> list[LocationSpec]:
    cities = _city_points()
    n_wh = max(1, n // 3)
    out = []
    for i in range(n):
        _, lat, lon = cities[i % len(cities)]
        jitter_lat, jitter_lon = (0.0, 0.0) if i < len(cities) else \
            (rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3))
        if i == n - 1 and n >= 5:
            kind, caps, package = "supplier", frozenset({"dropship"}), costs.warehouse_package
        elif i < n_wh:
            kind, caps, package = "warehouse", frozenset({"ship"}), costs.warehouse_package
        else:
            kind, caps, package = "store", frozenset({"ship", "pickup"}), costs.store_package
        store = kind == "store"
        out.append(
            LocationSpec(
                id=f"{kind[:2].upper()}-{i:02d}",
                type=kind,
                lat=lat + jitter_lat,
                lon=lon + jitter_lon,
                capabilities=caps,
                shipment_cost=package,
                cost_per_km=costs.package_per_km,
                unit_cost=costs.unit * (costs.store_unit_markup if store else 1.0),
                unit_cost_per_km=costs.unit_per_km,
                processing_days=2 if kind == "supplier" else (0 if store else 1),
                capacity_units_per_day=max(20, n_orders // 4) if store else None,
                priority=1 if kind == "warehouse" else 0,
            )
        )
    return out


def _orders(rng: random.Random, n: int, n_skus: int, max_lines: int,
            priorities: bool = True) -> list[OrderSpec]:
    zips = _zip_points()
    weights = [1.0 / (k + 1) ** 0.8 for k in range(n_skus)]  # Zipf-like popularity
    orders = []
    for o in range(n):
        lat, lon = rng.choice(zips)
        n_lines = min(max_lines, 1 + int(rng.expovariate(1.2)))
        skus = list(dict.fromkeys(rng.choices(range(n_skus), weights, k=n_lines)))
        lines = tuple(
            LineSpec(str(i + 1), f"SKU-{s:04d}", 1 if rng.random() < 0.7 else rng.randint(2, 3))
            for i, s in enumerate(skus)
        )
        urgent = rng.random() < 0.1  # drawn either way: the rest of the instance stays the same
        orders.append(OrderSpec(f"O-{o:05d}", lat, lon, lines, priority=int(urgent and priorities)))
    return orders


def _stock(
    rng: random.Random, orders: list[OrderSpec], locations: list[LocationSpec], cover: float
) -> dict[tuple[str, str], int]:
    """About ``cover`` times each SKU's demand, spread over the locations that carry it."""
    demand: dict[str, int] = {}
    for order in orders:
        for line in order.lines:
            demand[line.sku] = demand.get(line.sku, 0) + line.qty
    stock: dict[tuple[str, str], int] = {}
    for sku, units in demand.items():
        carriers = [
            loc for loc in locations if rng.random() < (0.6 if loc.type != "store" else 0.3)
        ]
        carriers = carriers or [rng.choice(locations)]
        total = max(1, round(units * cover))
        for _ in range(total):
            loc = rng.choice(carriers)
            stock[(loc.id, sku)] = stock.get((loc.id, sku), 0) + 1
    return stock


def make_instance(
    name: str,
    n_orders: int,
    n_locations: int,
    n_skus: int,
    seed: int = 0,
    costs: CostModel = DEFAULT_COSTS,
    cover: float = 1.3,
    max_lines: int = 5,
    unfilled_cost_factor: float | None = None,
) -> Instance:
    """A batch of ``n_orders`` over ``n_locations`` with ``cover`` x demand in stock."""
    rng = random.Random(f"{name}:{seed}")
    locations = _locations(rng, n_locations, costs, n_orders)
    orders = _orders(rng, n_orders, n_skus, max_lines, costs.order_priorities)
    stock = _stock(rng, orders, locations, cover)
    return Instance(name, orders, locations, stock, unfilled_cost_factor=unfilled_cost_factor)


def single_orders(n: int, n_locations: int, n_lines: int, seed: int = 0) -> list[Instance]:
    """``n`` one-order instances with exactly ``n_lines`` lines, every location stocked a bit."""
    rng = random.Random(f"single:{seed}:{n_locations}:{n_lines}")
    locations = _locations(rng, n_locations, DEFAULT_COSTS, 1000)
    zips = _zip_points()
    out = []
    for k in range(n):
        lat, lon = rng.choice(zips)
        lines = tuple(
            LineSpec(str(i + 1), f"SKU-{i:04d}", rng.randint(1, 3)) for i in range(n_lines)
        )
        order = OrderSpec(f"S-{k}", lat, lon, lines)
        stock = {
            (loc.id, line.sku): rng.randint(0, 4)
            for loc in locations
            for line in lines
            if rng.random() < 0.5
        }
        out.append(Instance(f"single_{n_lines}x{n_locations}", [order], locations, stock))
    return out


NAMED = {
    "batch_200x20": lambda seed: make_instance("batch_200x20", 200, 20, 60, seed),
    "batch_1000x25": lambda seed: make_instance("batch_1000x25", 1000, 25, 150, seed),
    "jasin_sinha_1000x25": lambda seed: make_instance(
        "jasin_sinha_1000x25", 1000, 25, 150, seed, costs=JASIN_SINHA,
        unfilled_cost_factor=JASIN_SINHA_UNFILLED,
    ),
    "scarce_1000x25": lambda seed: make_instance("scarce_1000x25", 1000, 25, 150, seed, cover=0.8),
    "batch_2000x30": lambda seed: make_instance("batch_2000x30", 2000, 30, 200, seed),
    "batch_10000x50": lambda seed: make_instance("batch_10000x50", 10000, 50, 400, seed),
}
