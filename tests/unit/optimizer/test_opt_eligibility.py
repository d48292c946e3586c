"""build_problem: distances, days, costs and every eligibility rule."""

from __future__ import annotations

import math

import numpy as np
import pytest
from opt_cases import location, one_line_order

from optimizer import LineSpec, OrderSpec, Params, build_problem, haversine_km, solve_orders
from optimizer.problem import REASONS


def _reason(problem: object, n: int) -> str | None:
    code = int(problem.reason[0, n])  # type: ignore[attr-defined]
    return REASONS.get(code)


def test_haversine_knows_new_york_to_los_angeles() -> None:
    assert float(haversine_km(40.7128, -74.0060, 34.0522, -118.2437)) == pytest.approx(3936, 0.01)


def test_days_are_processing_plus_at_least_one_day_in_transit() -> None:
    locs = [
        location("A", 40.0, -90.0, processing_days=1),
        location("B", 40.0 + 9.0, -90.0, km_per_day=500),
    ]
    problem = build_problem([one_line_order()], locs, {})
    km_b = float(haversine_km(40.0, -90.0, 49.0, -90.0))
    assert problem.days[0].tolist() == [2, math.ceil(km_b / 500)]


def test_costs_per_package_and_per_unit_grow_with_distance() -> None:
    loc = location(
        "A", 41.0, shipment_cost=5, cost_per_km=0.01, unit_cost=1, unit_cost_per_km=0.002
    )
    problem = build_problem([one_line_order()], [loc], {("A", "S"): 3})
    km = float(problem.km[0, 0])
    assert problem.package_cost[0, 0] == pytest.approx(5 + 0.01 * km)
    assert problem.unit_cost[0, 0] == pytest.approx(1 + 0.002 * km)


def test_every_ineligibility_rule_has_its_code() -> None:
    locs = [
        location("inactive", 40.1, active=False),
        location("store_no_ship", 40.1, type="store", capabilities=frozenset({"pickup"})),
        location("supplier_ship_only", 40.1, type="supplier", capabilities=frozenset({"ship"})),
        location("supplier_dropship", 40.1, type="supplier", capabilities=frozenset({"dropship"})),
        location("far", 48.0),
        location("slow", 40.1, processing_days=4),
    ]
    order = one_line_order(deadline_days=3)
    problem = build_problem([order], locs, {(loc.id, "S"): 1 for loc in locs},
                            Params(max_distance_km=500))  # fmt: skip
    assert [_reason(problem, n) for n in range(len(locs))] == [
        "inactive", "no_ship_capability", "no_ship_capability", None, "max_distance", "deadline",
    ]  # fmt: skip
    assert problem.arc_loc.tolist() == [3]


def test_pickup_uses_only_the_chosen_pickup_store_at_processing_days() -> None:
    locs = [
        location("ST-1", 42.0, type="store", capabilities=frozenset({"pickup"}), processing_days=1),
        location("ST-2", 40.0, type="store", capabilities=frozenset({"pickup", "ship"})),
        location("WH", 42.0, type="warehouse", capabilities=frozenset({"ship", "pickup"})),
    ]
    order = one_line_order(method="pickup", pickup_location_id="ST-1")
    problem = build_problem([order], locs, {(loc.id, "S"): 2 for loc in locs})
    assert [_reason(problem, n) for n in range(3)] == [None, "not_pickup_location"] * 1 + [
        "not_pickup_location"
    ]
    assert problem.days[0, 0] == 1 and problem.km[0, 0] == 0


def test_a_pickup_costs_the_parcel_the_store_packs_and_its_units_with_no_distance() -> None:
    store = location("ST-1", 42.0, type="store", capabilities=frozenset({"pickup", "ship"}),
                     shipment_cost=7.0, cost_per_km=0.5, unit_cost=2.0)
    pickup = one_line_order("p", qty=3, method="pickup", pickup_location_id="ST-1")
    result = solve_orders([pickup], [store], {("ST-1", "S"): 6})
    assert result.assignments[0].plain_cost == pytest.approx(7.0 + 6.0)
    # priced below filling (f = 0.5 of the parcel + a unit), a pickup is still filled: 3 units
    # for one parcel (13) beat leaving them (3 x 0.5 x 9 = 13.5)
    priced = solve_orders([pickup], [store], {("ST-1", "S"): 6},
                          Params(unfilled_cost_factor=0.5))
    assert priced.assignments[0].unallocated == []


def test_a_pickup_store_without_pickup_capability_is_refused() -> None:
    locs = [location("ST-1", 42.0, type="store", capabilities=frozenset({"ship"}))]
    order = one_line_order(method="pickup", pickup_location_id="ST-1")
    problem = build_problem([order], locs, {("ST-1", "S"): 2})
    assert _reason(problem, 0) == "no_pickup_capability"
    assert problem.n_arcs == 0


def test_unfilled_lines_say_why() -> None:
    locs = [location("A", 41.0), location("B", 41.0, active=False)]
    order = OrderSpec("o", 40.0, -90.0, (
        LineSpec("gone", "NOWHERE", 1), LineSpec("locked", "ONLY_B", 1),
        LineSpec("short", "FEW", 3),
    ))  # fmt: skip
    stock = {("B", "ONLY_B"): 4, ("A", "FEW"): 1}
    result = solve_orders([order], locs, stock)
    reasons = {u.line_id: (u.reason, u.qty) for u in result.assignments[0].unallocated}
    assert reasons == {
        "gone": ("no_stock", 1), "locked": ("no_eligible_location", 1),
        "short": ("insufficient_stock", 2),
    }  # fmt: skip
    assert result.assignments[0].status == "partially_allocated"


@pytest.mark.parametrize("split", [True, False])
def test_a_line_short_of_room_not_taken_by_anyone_is_over_capacity(split: bool) -> None:
    """A store closed for the day (no capacity) and a warehouse with room for one unit hold
    the units; one order, nobody took the room: it is over capacity, not 'constrained' (other
    orders took the stock or the room)."""
    locs = [location("S", 41.0, capacity_units_per_day=0),
            location("W", 42.0, capacity_units_per_day=1)]
    result = solve_orders([one_line_order(qty=2)], locs, {("S", "S"): 5, ("W", "S"): 5},
                          Params(allow_line_split=split))
    (short,) = result.assignments[0].unallocated
    assert (short.reason, short.qty) == ("over_capacity", 1 if split else 2)


def test_room_taken_by_another_order_in_the_answer_is_constrained() -> None:
    locs = [location("W", 41.0, capacity_units_per_day=1)]
    orders = [one_line_order("first", priority=1), one_line_order("second")]
    result = solve_orders(orders, locs, {("W", "S"): 5})
    assert result.assignment("first").shipments
    assert [u.reason for u in result.assignment("second").unallocated] == ["constrained"]


def test_no_split_means_one_location_per_line() -> None:
    locs = [location("A", 41.0), location("B", 42.0)]
    stock = {("A", "S"): 2, ("B", "S"): 2}
    split = solve_orders([one_line_order(qty=3)], locs, stock, Params(allow_line_split=True))
    whole = solve_orders([one_line_order(qty=3)], locs, stock, Params(allow_line_split=False))
    assert len(split.assignments[0].shipments) == 2
    assert whole.assignments[0].shipments == []
    assert whole.assignments[0].unallocated[0].reason == "no_single_location"


def test_bad_input_is_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match="qty >= 1"):
        LineSpec("1", "S", 0)
    with pytest.raises(ValueError, match="pickup_location_id"):
        OrderSpec("o", 0, 0, (), method="pickup")
    with pytest.raises(ValueError, match="unique"):
        build_problem([one_line_order(), one_line_order()], [], {})
    assert np.array_equal(build_problem([], [], {}).line_qty, np.zeros(0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"objective": "fast"}, "objective"),
        ({"max_shipments_per_order": 0}, "max_shipments_per_order >= 1"),
        ({"solver": "gurobi"}, "solver"),
        ({"time_limit_ms": 0}, "time_limit_ms >= 1"),
        ({"cost_per_day": -1}, "cost_per_day >= 0"),
        ({"opportunity_costs": {("A", "S"): -1.0}}, "opportunity cost >= 0"),
    ],
)
def test_params_are_validated(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Params(**kwargs)  # type: ignore[arg-type]


def test_an_order_never_goes_to_a_location_it_excludes() -> None:
    locs = [location("rejected_it", 40.1, shipment_cost=1.0), location("other", 40.2)]
    excluded = one_line_order(excluded_location_ids=("rejected_it",))
    problem = build_problem([excluded, one_line_order("o2")], locs,
                            {(loc.id, "S"): 5 for loc in locs})
    assert [_reason(problem, n) for n in range(2)] == ["excluded", None]
    assert int(problem.reason[1, 0]) == 0  # only the order that excludes it
    result = solve_orders([excluded], locs, {(loc.id, "S"): 5 for loc in locs})
    (shipment,) = result.assignment("o1").shipments
    assert shipment.location_id == "other"


def test_an_excluded_location_is_not_blamed_on_the_deadline() -> None:
    far = location("FAR", 48.0)  # beyond a one-day deadline, and excluded by the order
    order = one_line_order(deadline_days=1, excluded_location_ids=("FAR",))
    result = solve_orders([order], [far], {("FAR", "S"): 5})
    (short,) = result.assignment("o1").unallocated
    assert short.reason == "no_eligible_location"
    assert [(a.location_id, a.why_not) for a in result.assignment("o1").alternatives] == \
        [("FAR", "ineligible:excluded")]


@pytest.mark.parametrize("field", ["lat", "km_per_day", "shipment_cost", "unit_cost"])
@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_location_number_that_is_not_finite_is_refused_by_name(field: str,
                                                                value: float) -> None:
    """NaN passes every comparison: a km_per_day of NaN made days negative and passed a
    1-day deadline."""
    with pytest.raises(ValueError, match=field):
        if field == "lat":
            location("A", value)
        else:
            location("A", 40.0, **{field: value})


def test_an_order_position_that_is_not_finite_is_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        OrderSpec("o", math.nan, -90.0, (LineSpec("1", "S", 1),))
