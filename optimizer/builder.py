"""Turn specs into a :class:`Problem` with array operations only.

A 10,000 x 50 batch must build in well under a second, so distances, costs, days and eligibility
are computed as whole matrices; the only Python loops run over orders, lines and locations once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence

import numpy as np

from optimizer.geo import distance_matrix
from optimizer.params import Params
from optimizer.problem import REASON_CODES, AnyArray, Problem
from optimizer.specs import LocationSpec, OrderSpec


def build_problem(
    orders: Sequence[OrderSpec],
    locations: Sequence[LocationSpec],
    stock: Mapping[tuple[str, str], int],
    params: Params | None = None,
) -> Problem:
    """Vectorized problem construction; ineligible pairs are dropped but their reason is kept."""
    params = params or Params()
    started = time.perf_counter()
    orders, locations = tuple(orders), tuple(locations)
    loc_index = {loc.id: n for n, loc in enumerate(locations)}
    if len(loc_index) != len(locations):
        raise ValueError("Location ids must be unique.")
    if len({o.order_id for o in orders}) != len(orders):
        raise ValueError("Order ids must be unique.")

    skus = tuple(dict.fromkeys(line.sku for o in orders for line in o.lines))
    sku_index = {s: i for i, s in enumerate(skus)}
    line_order = np.array([o for o, od in enumerate(orders) for _ in od.lines], dtype=np.int64)
    line_sku = np.array([sku_index[ln.sku] for od in orders for ln in od.lines], dtype=np.int64)
    line_qty = np.array([ln.qty for od in orders for ln in od.lines], dtype=np.int64)

    stock_arr = np.zeros((len(locations), len(skus)), dtype=np.int64)
    for (loc_id, sku), units in stock.items():
        n, s = loc_index.get(loc_id), sku_index.get(sku)
        if n is not None and s is not None:
            stock_arr[n, s] = max(0, int(units))

    km, days, package_cost, unit_cost, reason = _pair_matrices(orders, locations, params)
    return _with_arcs(
        orders,
        locations,
        skus,
        line_order,
        line_sku,
        line_qty,
        stock_arr,
        km,
        days,
        package_cost,
        unit_cost,
        reason,
        started,
    )


def _loc_column(locations: tuple[LocationSpec, ...], name: str) -> AnyArray:
    return np.array([getattr(loc, name) for loc in locations], dtype=float)


def _pair_matrices(
    orders: tuple[OrderSpec, ...], locations: tuple[LocationSpec, ...], params: Params
) -> tuple[AnyArray, ...]:
    """Distance, days, costs and eligibility code for every (order, location)."""
    o_lat = np.array([o.lat for o in orders], dtype=float)
    o_lon = np.array([o.lon for o in orders], dtype=float)
    km = distance_matrix(o_lat, o_lon, _loc_column(locations, "lat"), _loc_column(locations, "lon"))

    is_pickup = np.array([o.method == "pickup" for o in orders], dtype=bool)
    pickup_loc = np.array(
        [
            -1 if o.method != "pickup" else _index_of(locations, o.pickup_location_id)
            for o in orders
        ],
        dtype=np.int64,
    )
    n_range = np.arange(len(locations))
    is_pickup_here = pickup_loc[:, None] == n_range[None, :]
    km = np.where(is_pickup[:, None], 0.0, km)

    processing = _loc_column(locations, "processing_days")
    transit = np.maximum(1.0, np.ceil(km / _loc_column(locations, "km_per_day")[None, :] - 1e-9))
    days = (processing[None, :] + np.where(is_pickup[:, None], 0.0, transit)).astype(np.int64)
    package_cost = (
        _loc_column(locations, "shipment_cost") + _loc_column(locations, "cost_per_km") * km
    )
    unit_cost = (
        _loc_column(locations, "unit_cost") + _loc_column(locations, "unit_cost_per_km") * km
    )

    reason = np.zeros(km.shape, dtype=np.int8)
    active = np.array([loc.active for loc in locations], dtype=bool)
    can_ship = np.array(
        [
            ("dropship" if loc.type == "supplier" else "ship") in loc.capabilities
            for loc in locations
        ],
        dtype=bool,
    )
    can_pickup = np.array(
        [loc.type != "supplier" and "pickup" in loc.capabilities for loc in locations], dtype=bool
    )
    deadline = np.array(
        [math.inf if o.deadline_days is None else o.deadline_days for o in orders], dtype=float
    )
    max_km = math.inf if params.max_distance_km is None else params.max_distance_km
    excluded = np.zeros(km.shape, dtype=bool)
    if any(o.excluded_location_ids for o in orders):  # rare: a location rejected the order
        location_index = {loc.id: n for n, loc in enumerate(locations)}
        for row, o in enumerate(orders):
            for loc_id in o.excluded_location_ids:
                if loc_id in location_index:
                    excluded[row, location_index[loc_id]] = True
    # Later rules overwrite earlier ones, so the most fundamental reason wins.
    rules: list[tuple[str, AnyArray]] = [
        ("deadline", days > deadline[:, None]),
        ("max_distance", ~is_pickup[:, None] & (km > max_km)),
        ("no_pickup_capability", is_pickup_here & ~can_pickup[None, :]),
        ("not_pickup_location", is_pickup[:, None] & ~is_pickup_here),
        ("no_ship_capability", ~is_pickup[:, None] & ~can_ship[None, :]),
        # after deadline: "no location can deliver by then" must not be said of one the order
        # excluded (decode reads a deadline code as the only rule a location breaks)
        ("excluded", excluded),
        ("inactive", np.broadcast_to(~active[None, :], km.shape)),
    ]
    for name, mask in rules:
        reason[mask] = REASON_CODES[name]
    return km, days, package_cost, unit_cost, reason


def _index_of(locations: tuple[LocationSpec, ...], loc_id: str | None) -> int:
    for n, loc in enumerate(locations):
        if loc.id == loc_id:
            return n
    return -1


def _with_arcs(
    orders: tuple[OrderSpec, ...],
    locations: tuple[LocationSpec, ...],
    skus: tuple[str, ...],
    line_order: AnyArray,
    line_sku: AnyArray,
    line_qty: AnyArray,
    stock: AnyArray,
    km: AnyArray,
    days: AnyArray,
    package_cost: AnyArray,
    unit_cost: AnyArray,
    reason: AnyArray,
    started: float,
) -> Problem:
    """Keep (line, location) arcs that are eligible and stocked, and the pairs they need."""
    n_orders, n_locs = km.shape
    eligible_line = (reason[line_order] == 0) & (stock[:, line_sku].T > 0)
    arc_line, arc_loc = np.nonzero(eligible_line)
    used = np.zeros((n_orders, n_locs), dtype=bool)
    used[line_order[arc_line], arc_loc] = True
    pair_order, pair_loc = np.nonzero(used)
    pair_id = np.full((n_orders, n_locs), -1, dtype=np.int64)
    pair_id[pair_order, pair_loc] = np.arange(pair_order.shape[0])
    capacity = np.array(
        [
            math.inf if c.capacity_units_per_day is None else c.capacity_units_per_day
            for c in locations
        ],
        dtype=float,
    )
    return Problem(
        orders=orders,
        locations=locations,
        skus=skus,
        line_order=line_order.astype(np.int64),
        line_sku=line_sku.astype(np.int64),
        line_qty=line_qty.astype(np.int64),
        order_priority=np.array([o.priority for o in orders], dtype=np.int64),
        order_shipments_made=np.array([o.shipments_made for o in orders], dtype=np.int64),
        order_days_made=np.array([o.days_made for o in orders], dtype=np.int64),
        loc_priority=np.array([loc.priority for loc in locations], dtype=np.int64),
        loc_capacity=capacity,
        km=km,
        package_cost=package_cost,
        unit_cost=unit_cost,
        days=days,
        reason=reason,
        stock=stock,
        pair_order=pair_order.astype(np.int64),
        pair_loc=pair_loc.astype(np.int64),
        arc_line=arc_line.astype(np.int64),
        arc_loc=arc_loc.astype(np.int64),
        arc_pair=pair_id[line_order[arc_line], arc_loc],
        build_ms=(time.perf_counter() - started) * 1000.0,
    )
