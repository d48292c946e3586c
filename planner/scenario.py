"""A scenario: a base with changes applied, solved as one joint batch, measured by KPIs.

:func:`apply_changes` turns a base and its changes into a :class:`ScenarioInput` (plain,
picklable data); :func:`evaluate` is pure (a scenario in, KPIs out), so it runs the same inline,
in a local process or on a Dask worker.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from models import InvalidInput
from optimizer import LocationSpec, OrderSpec, Params, Result, build_problem, solve
from optimizer.params import prices_unfilled
from planner.base import Decision, ScenarioBase
from planner.definition import Changes

COST_FIELDS = ("shipment_cost", "cost_per_km", "unit_cost", "unit_cost_per_km")
# Orders one scenario solves at most (after the demand multiplier): more is refused with a 422
# instead of building a problem that exhausts the server's memory.
MAX_SCENARIO_ORDERS = 200_000


@dataclass(frozen=True)
class ScenarioInput:
    """Exactly what one solve needs; a sweep ships these to its workers."""

    name: str
    orders: tuple[OrderSpec, ...]
    locations: tuple[LocationSpec, ...]
    stock: dict[tuple[str, str], int]
    params: Params
    decided: dict[str, Decision] | None = None
    label: dict[str, Any] = field(default_factory=dict)  # e.g. the sweep value


def _listed(ids: list[str], most: int = 10) -> str:
    """The first ``most`` ids, and how many more there are (a cut list must say it is cut)."""
    more = f" and {len(ids) - most} more" if len(ids) > most else ""
    return ", ".join(ids[:most]) + more


def _check_ids(ids: set[str], known: set[str], where: str) -> None:
    unknown = sorted(ids - known)
    if unknown:
        raise InvalidInput(f"changes.{where} names locations the scenario does not have: "
                           f"{_listed(unknown)} (locations: {_listed(sorted(known)) or 'none'})",
                           loc=("changes", where))


def _locations(base: ScenarioBase, changes: Changes) -> tuple[LocationSpec, ...]:
    known = {loc.id for loc in base.locations}
    _check_ids(set(changes.close_locations), known, "close_locations")
    _check_ids(set(changes.cost_multiplier), known, "cost_multiplier")
    _check_ids(set(changes.capacity), known, "capacity")
    closed = set(changes.close_locations)
    out = []
    for loc in base.locations:
        updates: dict[str, Any] = {}
        if loc.id in closed:
            updates["active"] = False
        factor = changes.cost_multiplier.get(loc.id)
        if factor is not None:
            updates.update({f: getattr(loc, f) * factor for f in COST_FIELDS})
        if loc.id in changes.capacity:
            # the location's capacity: what orders outside the scenario hold still counts
            capacity = changes.capacity[loc.id]
            updates["capacity_units_per_day"] = None if capacity is None \
                else max(0, capacity - base.held.get(loc.id, 0))
        out.append(replace(loc, **updates) if updates else loc)
    return tuple(out)


def _stock(base: ScenarioBase, changes: Changes) -> dict[tuple[str, str], int]:
    _check_ids({d.location_id for d in changes.inventory}, {loc.id for loc in base.locations},
               "inventory")
    # A SKU neither stocked nor ordered is almost always a typo, whose change would do nothing.
    known = {sku for _, sku in base.stock} | {line.sku for o in base.orders for line in o.lines}
    unknown = sorted({d.sku for d in changes.inventory} - known)
    if unknown:
        raise InvalidInput(f"changes.inventory names SKUs the scenario neither stocks nor "
                           f"orders: {', '.join(unknown[:10])}", loc=("changes", "inventory"))
    stock = dict(base.stock)
    for delta in changes.inventory:
        key = (delta.location_id, delta.sku)
        stock[key] = max(0, stock.get(key, 0) + delta.delta)  # cannot remove more than is there
    return {k: v for k, v in stock.items() if v > 0}


def scale_demand(orders: list[OrderSpec], multiplier: float, seed: int) -> tuple[OrderSpec, ...]:
    """Each order ``floor(m)`` times, plus once more with probability ``m - floor(m)`` (seeded).

    Copies get the ids ``<id>#2``, ``<id>#3``... (with ``+`` added while an order already has
    the id); a multiplier below 1 samples the orders.
    More than ``MAX_SCENARIO_ORDERS`` orders after scaling is refused before any is made.
    """
    if len(orders) * multiplier > MAX_SCENARIO_ORDERS:
        raise InvalidInput(
            f"changes.demand_multiplier {multiplier:g} makes about "
            f"{math.ceil(len(orders) * multiplier)} orders from {len(orders)}; a scenario "
            f"solves at most {MAX_SCENARIO_ORDERS} orders (lower the multiplier or send fewer "
            "orders)", loc=("changes", "demand_multiplier"))
    whole = math.floor(multiplier)
    fraction = multiplier - whole
    rng = random.Random(seed)
    used = {order.order_id for order in orders}
    out: list[OrderSpec] = []
    for order in orders:
        copies = whole + (1 if fraction > 0 and rng.random() < fraction else 0)
        for k in range(copies):
            if k == 0:
                out.append(order)
                continue
            copy_id = f"{order.order_id}#{k + 1}"
            while copy_id in used:  # a real order already has that id (O1 next to O1#2)
                copy_id += "+"
            used.add(copy_id)
            out.append(replace(order, order_id=copy_id))
    return tuple(out)


def params_of(policy: dict[str, Any], changes: Changes, seed: int = 0) -> Params:
    """The optimizer's parameters for ``policy`` with ``changes`` applied.

    As live (``lifecycle.network.params_for``), the policy's ``backorder`` goes with it, so
    under ``reject`` the optimizer fills first whatever ``unfilled_cost_factor`` says and a
    scenario of the live policy sources as the live system would."""
    overrides = changes.policy_overrides()
    values = {**policy, **overrides}
    backorder = str(values.get("backorder", "allow"))
    if overrides.get("unfilled_cost_factor") is not None:
        refuse_unpriced_factor(backorder, ("changes", "unfilled_cost_factor"))
    try:
        return Params(objective=values.get("objective", "cost"),
                      cost_per_day=float(values.get("cost_per_day", 5.0)),
                      max_shipments_per_order=int(values.get("max_shipments_per_order", 3)),
                      allow_line_split=bool(values.get("allow_line_split", True)),
                      max_distance_km=values.get("max_distance_km"),
                      solver=str(values.get("solver", "auto")),
                      time_limit_ms=int(values.get("time_limit_ms", 2000)), seed=seed,
                      backorder=backorder,  # type: ignore[arg-type]
                      unfilled_cost_factor=_factor(values.get("unfilled_cost_factor")))
    except ValueError as error:
        raise InvalidInput(f"changes: {error}", loc=("changes",)) from error


def refuse_unpriced_factor(backorder: str, loc: tuple[str, ...]) -> None:
    """A scenario that sets ``unfilled_cost_factor`` where the policy ignores it is refused
    rather than run unchanged."""
    if not prices_unfilled(backorder):
        raise InvalidInput(f"{loc[0]}: unfilled_cost_factor has no effect: the policy's "
                           f"backorder is {backorder}, which fills every unit it can (set "
                           "backorder: allow in the live policy to price unfilled units)",
                           loc=loc)


def _factor(value: Any) -> float | None:
    return None if value is None else float(value)


def apply_changes(base: ScenarioBase, changes: Changes, name: str = "scenario",
                  label: dict[str, Any] | None = None) -> ScenarioInput:
    """The base with ``changes`` applied; raises ``InvalidInput`` for ids it does not know."""
    return ScenarioInput(
        name=name, orders=scale_demand(base.orders, changes.demand_multiplier, changes.seed),
        locations=_locations(base, changes), stock=_stock(base, changes),
        params=params_of(base.policy, changes, changes.seed), decided=base.decided,
        label=dict(label or {}))


def _percentile(values: list[int], q: float) -> float | None:
    """Nearest-rank percentile (a delivery day that some order actually had)."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(q * len(ordered)) - 1)])


def _ratio(num: float, den: float) -> float | None:
    return None if den <= 0 else round(num / den, 6)


def _utilization(inp: ScenarioInput, shipped: dict[str, int]
                 ) -> tuple[dict[str, float | None], dict[str, str]]:
    """Units shipped / capacity where a capacity is set (what the scenario may use of it: live
    orders it leaves out hold the rest), else units shipped / stock held there."""
    stock_at: dict[str, int] = defaultdict(int)
    for (loc_id, _), units in inp.stock.items():
        stock_at[loc_id] += units
    values: dict[str, float | None] = {}
    basis: dict[str, str] = {}
    for loc in inp.locations:
        units = shipped.get(loc.id, 0)
        if loc.capacity_units_per_day is not None:
            basis[loc.id] = "capacity"
            values[loc.id] = _ratio(units, loc.capacity_units_per_day) if \
                loc.capacity_units_per_day > 0 else (0.0 if units == 0 else None)
        else:
            basis[loc.id] = "stock"
            values[loc.id] = _ratio(units, stock_at.get(loc.id, 0))
    return values, basis


def kpis_of(inp: ScenarioInput, result: Result, run_ms: float) -> dict[str, Any]:
    """The numbers a planner compares scenarios by (see planner/README.md)."""
    n_orders = len(inp.orders)
    ordered = sum(line.qty for o in inp.orders for line in o.lines)
    unfilled = result.unfilled_units()
    days = [a.delivery_days for a in result.assignments
            if a.shipments and a.delivery_days is not None]
    shipped: dict[str, int] = defaultdict(int)
    for a in result.assignments:
        for s in a.shipments:
            shipped[s.location_id] += sum(q for _, _, q in s.lines)
    utilization, basis = _utilization(inp, shipped)
    cost = round(result.cost(), 2)
    kpis: dict[str, Any] = {
        "orders": n_orders,
        "units_ordered": ordered,
        "units_filled": ordered - unfilled,
        "total_cost": cost,
        "cost_per_order": round(cost / n_orders, 4) if n_orders else None,
        "mean_delivery_days": round(sum(days) / len(days), 4) if days else None,
        "p95_delivery_days": _percentile(days, 0.95),
        "fill_rate": _ratio(ordered - unfilled, ordered),
        "split_rate": _ratio(result.split_orders(), n_orders),
        "shipments": result.shipments(),
        "units_by_location": dict(sorted(shipped.items())),
        "utilization": utilization,
        "utilization_basis": basis,
        "run_ms": round(run_ms, 1),
    }
    if inp.decided is not None:
        kpis["replay"] = replay_comparison(inp.decided, result)
    return kpis


def replay_comparison(decided: dict[str, Decision], result: Result) -> dict[str, Any]:
    """What live sourcing decided against what this policy does with the same orders.

    Only orders both sides have are compared: copies made by a demand multiplier were never
    decided live, and orders it sampled away were not re-sourced.
    """
    same = total = 0
    compared = [a for a in result.assignments if a.order_id in decided]
    for a in compared:
        decision = decided[a.order_id]
        now: dict[tuple[str, str], int] = defaultdict(int)
        for s in a.shipments:
            for line_id, _, qty in s.lines:
                now[(line_id, s.location_id)] += qty
        total += sum(decision.units.values())
        same += sum(min(q, now.get(k, 0)) for k, q in decision.units.items())
    decisions = [decided[a.order_id] for a in compared]
    decided_days = [d.delivery_days for d in decisions if d.delivery_days is not None]
    replay_days = [a.delivery_days for a in compared
                   if a.shipments and a.delivery_days is not None]
    decided_cost = round(sum(d.cost for d in decisions), 2)
    replay_cost = round(sum(a.plain_cost for a in compared), 2)
    return {
        "orders": len(compared),
        "decided_cost": decided_cost,
        "replay_cost": replay_cost,
        "cost_difference": round(replay_cost - decided_cost, 2),
        "decided_mean_delivery_days": round(sum(decided_days) / len(decided_days), 4)
        if decided_days else None,
        "replay_mean_delivery_days": round(sum(replay_days) / len(replay_days), 4)
        if replay_days else None,
        "same_location_rate": _ratio(same, total),
    }


def solver_info(result: Result) -> dict[str, Any]:
    return {"name": result.solver, "status": result.status,
            "gap": None if result.gap is None else round(result.gap, 6),
            "bound": None if result.bound is None else round(result.bound, 4),
            "objective": round(result.objective, 4),
            "ms": round(result.build_ms + result.solve_ms, 3),
            **({"message": result.message} if result.message else {})}


def evaluate(inp: ScenarioInput) -> dict[str, Any]:
    """Solve the scenario as one joint batch: ``{"name", "label", "kpis", "solver"}``. Pure."""
    started = time.perf_counter()
    if inp.orders:
        result = solve(build_problem(inp.orders, inp.locations, inp.stock, inp.params),
                       inp.params)
    else:
        result = Result(status="optimal", solver="none", objective=0.0, bound=0.0, gap=0.0,
                        build_ms=0.0, solve_ms=0.0, assignments=[])
    run_ms = (time.perf_counter() - started) * 1000.0
    return {"name": inp.name, "label": dict(inp.label),
            "kpis": kpis_of(inp, result, run_ms), "solver": solver_info(result)}
