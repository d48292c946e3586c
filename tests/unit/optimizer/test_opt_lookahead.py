"""Lookahead: duals of the joint LP keep scarce stock where a later order needs it."""

from __future__ import annotations

import pytest

from optimizer import (
    LineSpec,
    LocationSpec,
    OrderSpec,
    Params,
    build_problem,
    joint_opportunity_costs,
    solve,
    solve_orders,
)

STORE = LocationSpec("ST", "store", 40.0, -90.0, frozenset({"ship", "pickup"}), shipment_cost=4.0)
WAREHOUSE = LocationSpec("WH", "warehouse", 41.0, -90.0, frozenset({"ship"}), shipment_cost=7.0)
STOCK = {("ST", "S"): 1, ("WH", "S"): 5}
FIRST = OrderSpec("ship", 40.0, -90.0, (LineSpec("1", "S", 1),))
LATER = OrderSpec("pickup", 40.0, -90.0, (LineSpec("1", "S", 1),), method="pickup",
                  pickup_location_id="ST")  # fmt: skip


def test_the_contested_unit_has_a_positive_price() -> None:
    prices = joint_opportunity_costs(build_problem([FIRST, LATER], [STORE, WAREHOUSE], STOCK))
    assert prices.get(("ST", "S"), 0.0) > 0.0
    assert ("WH", "S") not in prices


def test_without_lookahead_the_first_order_takes_the_scarce_unit() -> None:
    alone = solve_orders([FIRST], [STORE, WAREHOUSE], STOCK)
    assert alone.assignments[0].shipments[0].location_id == "ST"


def test_with_lookahead_the_first_order_leaves_it_and_reports_both_costs() -> None:
    prices = joint_opportunity_costs(build_problem([FIRST, LATER], [STORE, WAREHOUSE], STOCK))
    params = Params(opportunity_costs=prices)
    result = solve_orders([FIRST], [STORE, WAREHOUSE], STOCK, params)
    assignment = result.assignments[0]
    assert assignment.shipments[0].location_id == "WH"
    assert assignment.plain_cost == pytest.approx(7.0)
    assert assignment.opportunity_cost == 0.0
    assert [(a.location_id, a.why_not) for a in assignment.alternatives] == [
        ("ST", "held_for_later_orders")
    ]
    # the joint answer serves both
    joint = solve(build_problem([FIRST, LATER], [STORE, WAREHOUSE], STOCK), Params())
    assert joint.unfilled_units() == 0


def test_lp_fix_returns_the_duals_it_computed_anyway() -> None:
    problem = build_problem([FIRST, LATER], [STORE, WAREHOUSE], STOCK)
    result = solve(problem, Params(solver="lp_fix"))
    assert result.duals().get(("ST", "S"), 0.0) > 0.0


@pytest.mark.parametrize("solver", ["exact", "highs"])
def test_a_tie_made_by_the_opportunity_cost_is_explained_by_it(solver: str) -> None:
    # ST is 3.00 cheaper in money and carries exactly 3.00 of opportunity cost: a tie that
    # either location may win; when WH wins, ST lost to the price lookahead put on its stock
    params = Params(solver=solver, opportunity_costs={("ST", "S"): 3.0})
    result = solve_orders([FIRST], [WAREHOUSE, STORE], STOCK, params)
    assignment = result.assignments[0]
    chosen = assignment.shipments[0].location_id
    why = {a.location_id: a.why_not for a in assignment.alternatives}
    assert why == ({"ST": "held_for_later_orders"} if chosen == "WH" else {"WH": "dearer"})
    assert assignment.cost == pytest.approx(7.0)
