"""Scenarios as pure functions: changes applied, one joint solve, KPIs, comparisons, frontier."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models import InvalidInput
from optimizer import LineSpec, OrderSpec
from planner import compare, evaluate, frontier, parse_definition, prepare, sweep_inputs
from planner.definition import Changes
from planner.scenario import apply_changes, scale_demand
from tests.unit.planner.network import INVENTORY, LOCATIONS, definition, orders


def run(**extra: Any) -> dict[str, Any]:
    return evaluate(prepare(definition(**extra), None).input)


def test_cost_objective_ships_everything_from_the_cheap_far_warehouse() -> None:
    kpis = run(changes={"objective": "cost"})["kpis"]
    assert kpis["units_by_location"] == {"LA": 6}
    assert (kpis["orders"], kpis["total_cost"], kpis["cost_per_order"]) == (6, 6.0, 1.0)
    assert (kpis["mean_delivery_days"], kpis["p95_delivery_days"]) == (5.0, 5.0)
    assert (kpis["fill_rate"], kpis["split_rate"], kpis["shipments"]) == (1.0, 0.0, 6)
    assert kpis["utilization"] == {"NJ": 0.0, "CHI": 0.0, "DAL": 0.0, "LA": 0.12}
    assert set(kpis["utilization_basis"].values()) == {"stock"}


def test_time_objective_ships_from_the_near_warehouse_in_a_day() -> None:
    kpis = run(changes={"objective": "time"})["kpis"]
    assert kpis["units_by_location"] == {"NJ": 6}
    assert (kpis["total_cost"], kpis["mean_delivery_days"]) == (120.0, 1.0)


def test_closing_and_repricing_locations_moves_the_stock_it_uses() -> None:
    closed = run(changes={"close_locations": ["LA"]})["kpis"]
    assert closed["units_by_location"] == {"DAL": 6} and closed["utilization"]["LA"] == 0.0
    dearer = run(changes={"cost_multiplier": {"LA": 4.0}})["kpis"]
    assert dearer["units_by_location"] == {"DAL": 6} and dearer["total_cost"] == 18.0


def test_capacity_is_utilization_s_basis_where_it_is_set_and_it_binds() -> None:
    kpis = run(changes={"capacity": {"LA": 4}})["kpis"]
    assert kpis["units_by_location"] == {"DAL": 2, "LA": 4}
    assert kpis["utilization"]["LA"] == 1.0 and kpis["utilization_basis"]["LA"] == "capacity"


def test_inventory_deltas_change_stock_and_never_go_below_zero() -> None:
    kpis = run(changes={"inventory": [{"location_id": loc["id"], "sku": "LAPTOP",
                                       "delta": -1000} for loc in LOCATIONS[1:]]})["kpis"]
    assert kpis["units_by_location"] == {"NJ": 6}
    empty = run(changes={"inventory": [{"location_id": loc["id"], "sku": "LAPTOP",
                                        "delta": -1000} for loc in LOCATIONS]})["kpis"]
    assert (empty["fill_rate"], empty["mean_delivery_days"], empty["shipments"]) == \
        (0.0, None, 0)


def test_more_demand_than_stock_lowers_the_fill_rate() -> None:
    short = [{**row, "on_hand": 3} for row in INVENTORY]  # 12 units for 6 x 3 laptops
    kpis = run(inventory=short, changes={"demand_multiplier": 3})["kpis"]
    assert (kpis["orders"], kpis["units_ordered"], kpis["fill_rate"]) == (18, 18, 0.666667)


def test_a_split_order_counts_in_the_split_rate() -> None:
    kpis = run(orders=orders(1, qty=4), inventory=[{"location_id": "LA", "sku": "LAPTOP",
                                                   "on_hand": 2},
                                                  {"location_id": "DAL", "sku": "LAPTOP",
                                                   "on_hand": 2}])["kpis"]
    assert (kpis["split_rate"], kpis["shipments"], kpis["fill_rate"]) == (1.0, 2, 1.0)
    assert kpis["utilization"] == {"NJ": None, "CHI": None, "DAL": 1.0, "LA": 1.0}


def test_demand_multiplier_repeats_orders_and_samples_fractions_with_a_seed() -> None:
    base = [OrderSpec(f"O{k}", 40.0, -74.0, (LineSpec("1", "X", 1),)) for k in range(100)]
    assert len(scale_demand(base, 2.0, 0)) == 200
    assert len({o.order_id for o in scale_demand(base, 3.0, 0)}) == 300
    half = scale_demand(base, 1.5, seed=7)
    assert 120 < len(half) < 180 and half == scale_demand(base, 1.5, seed=7)
    assert half != scale_demand(base, 1.5, seed=8)


def test_demand_copies_never_take_an_id_a_real_order_has() -> None:
    base = [OrderSpec(order_id, 40.0, -74.0, (LineSpec("1", "X", 1),))
            for order_id in ("O1", "O1#2")]
    ids = [o.order_id for o in scale_demand(base, 2.0, 0)]
    assert len(ids) == 4 and len(set(ids)) == 4
    assert ids[:2] == ["O1", "O1#2+"] and "O1#2" in ids


def test_a_pickup_at_a_location_that_cannot_hand_over_is_refused() -> None:
    pickup = {"order_id": "P", "delivery": {"method": "pickup", "location_id": "NJ"},
              "lines": [{"line_id": "1", "sku": "LAPTOP", "qty": 1}]}
    with pytest.raises(InvalidInput, match="NJ cannot hand over pickups"):
        prepare(definition(orders=[pickup]), None)


@pytest.mark.parametrize(("field", "values", "says"), [
    ("cost_per_day", [1, -5], r"sweep.values\[1\] = -5 is not a valid cost_per_day"),
    ("demand_multiplier", [0], "demand_multiplier"),
    ("max_distance_km", [0, 100], r"values\[0\]"),
    ("max_shipments_per_order", [2, 500], r"values\[1\] = 500"),
    ("time_limit_ms", [5], "time_limit_ms"),
    ("cost_per_day", [1, float("inf")], r"sweep.values.1: Input should be a finite number"),
    ("max_shipments_per_order", [float("nan")], r"values.0: Input should be a finite number"),
])
def test_a_sweep_value_out_of_range_is_refused_before_any_point_runs(
        field: str, values: list[float], says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        parse_definition(definition(sweep={"field": field, "values": values}))


@pytest.mark.parametrize(("changes", "says"), [
    ({"close_locations": ["NOPE"]}, "NOPE"),
    ({"capacity": {"X1": 5}}, "X1"),
    ({"inventory": [{"location_id": "ZZ", "sku": "LAPTOP", "delta": 1}]}, "ZZ"),
    ({"solver": "magic"}, "solver"),
    ({"demand_multiplier": 0}, "demand_multiplier"),
    ({"colour": "red"}, "colour"),
])
def test_changes_that_cannot_apply_say_which_and_why(changes: dict[str, Any], says: str
                                                     ) -> None:
    with pytest.raises(InvalidInput, match=says):
        prepare(definition(changes=changes), None)


def test_rows_that_cannot_be_read_say_where() -> None:
    with pytest.raises(InvalidInput, match=r"orders\.0"):
        prepare(definition(orders=[{"order_id": "A", "lines": []}]), None)
    with pytest.raises(InvalidInput, match="live data"):
        prepare({"name": "x", "base": "current"}, None)
    with pytest.raises(InvalidInput, match="UNSTOCKED"):
        prepare(definition(orders=[{"order_id": "A", "ship_to": {"lat": 1, "lon": 1},
                                    "lines": [{"sku": "UNSTOCKED", "qty": 1}]}]), None)
    with pytest.raises(InvalidInput, match="name"):
        parse_definition({"base": "empty"})


def test_compare_lists_both_and_the_differences_b_minus_a() -> None:
    a = {"name": "a", "kpis": {"total_cost": 10.0, "fill_rate": 1.0, "mean_delivery_days": None,
                               "utilization": {"X": 0.5}}}
    b = {"name": "b", "kpis": {"total_cost": 12.5, "fill_rate": 0.75, "mean_delivery_days": 2.0,
                               "utilization": {"X": 0.25, "Y": 1.0}}}
    answer = compare(a, b)
    assert answer["scenarios"] == [a, b]
    assert answer["differences"] == {"total_cost": 2.5, "mean_delivery_days": None,
                                     "fill_rate": -0.25,
                                     "utilization": {"X": -0.25, "Y": None}}


def point(days: float | None, cost: float) -> dict[str, Any]:
    return {"name": f"{days}/{cost}", "kpis": {"mean_delivery_days": days, "total_cost": cost}}


def test_the_frontier_drops_dominated_points_and_is_monotone() -> None:
    points = [point(5, 10), point(3, 20), point(4, 25), point(1, 50), point(3, 20),
              point(2, 60), point(None, 0)]
    front = frontier(points)
    assert [(p["kpis"]["mean_delivery_days"], p["kpis"]["total_cost"]) for p in front] == \
        [(1, 50), (3, 20), (5, 10)]


def test_a_rejecting_policy_fills_first_and_refuses_a_price_for_unfilled_units() -> None:
    base = prepare(definition(), None).base
    rejecting = replace(base, policy={**base.policy, "backorder": "reject",
                                      "unfilled_cost_factor": 0.5})
    # the factor the optimizer applies (Params.priced_unfilled_factor, read by build_weights)
    assert apply_changes(rejecting, Changes()).params.priced_unfilled_factor is None
    allowing = replace(rejecting, policy={**rejecting.policy, "backorder": "allow"})
    assert apply_changes(allowing, Changes()).params.priced_unfilled_factor == 0.5
    with pytest.raises(InvalidInput, match="backorder is reject") as refused:
        apply_changes(rejecting, Changes(unfilled_cost_factor=2))
    assert refused.value.loc == ("changes", "unfilled_cost_factor")
    swept = parse_definition(definition(sweep={"field": "unfilled_cost_factor",
                                               "values": [0.5, 2]}))
    with pytest.raises(InvalidInput, match="backorder is reject") as refused:
        sweep_inputs(rejecting, swept)
    assert refused.value.loc == ("sweep", "field")
    assert len(sweep_inputs(allowing, swept)) == 2


def test_a_scenario_may_price_unfilled_units_and_sweep_the_price() -> None:
    assert prepare(definition(), None).input.params.unfilled_cost_factor is None
    priced = prepare(definition(changes={"unfilled_cost_factor": 2}), None).input.params
    assert priced.unfilled_cost_factor == 2.0
    raw = definition(sweep={"field": "unfilled_cost_factor", "values": [0.5, 2]})
    parsed = parse_definition(raw)
    inputs = sweep_inputs(prepare(parsed, None).base, parsed)
    assert [i.params.unfilled_cost_factor for i in inputs] == [0.5, 2.0]
    assert [i.label for i in inputs] == [{"unfilled_cost_factor": 0.5},
                                         {"unfilled_cost_factor": 2.0}]
    with pytest.raises(InvalidInput, match="unfilled_cost_factor"):
        prepare(definition(changes={"unfilled_cost_factor": 0}), None)
    with pytest.raises(InvalidInput, match="unfilled_cost_factor"):
        parse_definition(definition(sweep={"field": "unfilled_cost_factor", "values": [0, 1]}))


def test_a_refusal_listing_the_known_locations_says_when_it_cuts_the_list() -> None:
    from planner.scenario import _listed

    ids = [f"L{n:02d}" for n in range(12)]
    assert _listed(ids) == ", ".join(ids[:10]) + " and 2 more"
    assert _listed(ids[:10]) == ", ".join(ids[:10])


def _due_in(days: int, n: int = 6) -> list[dict[str, Any]]:
    """The network's orders with a deliver_by ``days`` from today (UTC)."""
    due = (datetime.now(UTC).date() + timedelta(days=days)).isoformat()
    return [{**body, "delivery": {"method": "ship", "deliver_by": due}} for body in orders(n)]


@pytest.mark.parametrize(("days", "chosen"), [(1, "NJ"), (2, "CHI"), (3, "DAL"), (5, "LA")])
def test_an_inline_order_s_deliver_by_rules_out_the_locations_that_cannot_make_it(
        days: int, chosen: str) -> None:
    """Under cost the far cheap warehouse wins (LA, 5 days); a deadline leaves it out, as live
    sourcing does, and the cheapest location that still makes it wins."""
    kpis = run(orders=_due_in(days), changes={"objective": "cost"})["kpis"]
    assert kpis["units_by_location"] == {chosen: 6} and kpis["fill_rate"] == 1.0


def test_a_deadline_today_leaves_every_unit_short() -> None:
    kpis = run(orders=_due_in(0), changes={"objective": "cost"})["kpis"]
    assert kpis["units_filled"] == 0 and kpis["fill_rate"] == 0.0


@pytest.mark.parametrize(("deliver_by", "says"), [
    ("2020-01-01", r"orders\.0: deliver_by 2020-01-01 is before today"),
    (20261203, "deliver_by must be an ISO date"),
    ("03/12/2026", "deliver_by must be an ISO date"),
    ("2026-02-30", r"orders\.0\.delivery\.deliver_by"),
])
def test_a_deliver_by_that_is_not_a_coming_date_is_refused(deliver_by: object, says: str
                                                           ) -> None:
    body = {**orders(1)[0], "delivery": {"method": "ship", "deliver_by": deliver_by}}
    with pytest.raises(InvalidInput, match=says) as refused:
        prepare(definition(orders=[body]), None)
    assert refused.value.loc == ("orders", 0, "delivery", "deliver_by")
