"""Small instance builders shared by the optimizer tests (not collected: no ``test_`` prefix)."""

from __future__ import annotations

import random

import numpy as np

from optimizer import LineSpec, LocationSpec, OrderSpec, Problem
from optimizer.objective import Weights

SHIP = frozenset({"ship"})
EXACT_BACKENDS = ("exact", "highs", "cpsat", "scip", "cbc")
MIP_BACKENDS = ("highs", "cpsat", "scip", "cbc")


def seed_example() -> tuple[list[OrderSpec], list[LocationSpec], dict[tuple[str, str], int]]:
    """design.md's seed: A is 10 km away with 2 laptops and dear shipping, B 2,000 km and cheap."""
    customer = (40.7128, -74.0060)  # New York
    a = LocationSpec("WH-A", "warehouse", 40.7128 + 0.09, -74.0060, SHIP, shipment_cost=15.0)
    b = LocationSpec("WH-B", "warehouse", 40.7128 - 17.99, -74.0060, SHIP, shipment_cost=6.0)
    order = OrderSpec("o1", *customer, lines=(LineSpec("1", "LAPTOP-15", 1),))
    stock = {("WH-A", "LAPTOP-15"): 2, ("WH-B", "LAPTOP-15"): 5}
    return [order], [a, b], stock


def location(loc_id: str, lat: float, lon: float = -90.0, **kw: object) -> LocationSpec:
    kw.setdefault("capabilities", SHIP)
    return LocationSpec(loc_id, str(kw.pop("type", "warehouse")), lat, lon, **kw)  # type: ignore[arg-type]


def one_line_order(order_id: str = "o1", sku: str = "S", qty: int = 1, **kw: object) -> OrderSpec:
    return OrderSpec(order_id, 40.0, -90.0, (LineSpec("1", sku, qty),), **kw)  # type: ignore[arg-type]


def random_batch(
    n_orders: int, n_locations: int, n_skus: int, seed: int
) -> tuple[list[OrderSpec], list[LocationSpec], dict[tuple[str, str], int]]:
    """A mid-sized random batch over the continental US with scarce stock."""
    rng = random.Random(seed)
    locations = [
        LocationSpec(
            f"L{n}",
            "warehouse",
            rng.uniform(30, 47),
            rng.uniform(-120, -75),
            SHIP,
            shipment_cost=rng.uniform(5, 12),
            unit_cost_per_km=0.0003,
            unit_cost=rng.uniform(0.2, 0.6),
        )
        for n in range(n_locations)
    ]
    orders = []
    for o in range(n_orders):
        lines = tuple(
            LineSpec(str(i), f"SKU{rng.randrange(n_skus)}", rng.randint(1, 3))
            for i in range(rng.randint(1, 3))
        )
        lines = tuple({ln.sku: ln for ln in lines}.values())
        orders.append(OrderSpec(f"O{o}", rng.uniform(30, 47), rng.uniform(-120, -75), lines))
    stock = {
        (loc.id, f"SKU{s}"): rng.randint(0, 6)
        for loc in locations
        for s in range(n_skus)
        if rng.random() < 0.5
    }
    return orders, locations, stock


def assert_feasible(problem: Problem, weights: Weights, units: np.ndarray) -> None:
    """Every constraint of the MIP: stock, capacity, per-arc reach, fill, shipments, splits."""
    p = problem
    assert np.all(units >= 0)
    assert np.all(units <= p.arc_stock)
    used = np.zeros_like(p.stock)
    np.add.at(used, (p.arc_loc, p.arc_sku), units)
    assert np.all(used <= p.stock)
    load = np.bincount(p.arc_loc, units, minlength=p.n_locations)
    assert np.all(load <= p.loc_capacity)
    assert np.all(np.bincount(p.arc_line, units, minlength=p.n_lines) <= p.line_qty)
    opened = np.bincount(p.arc_pair, units > 0, minlength=p.n_pairs) > 0
    assert np.all(np.bincount(p.pair_order[opened], minlength=p.n_orders) <= weights.max_shipments)
    if not weights.allow_split:
        carrying = np.bincount(p.arc_line, units > 0, minlength=p.n_lines)
        assert np.all(carrying <= 1)
        assert np.all((units == 0) | (units == p.line_qty[p.arc_line]))
