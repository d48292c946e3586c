"""Lookahead prices are money per unit whatever the policy's objective.

Single-order sourcing adds a price to each unit's money cost, so a price in the ``time``
objective's units (a day outweighs any order's whole cost) would swamp the money it is added to.
"""

from __future__ import annotations

import pytest

from optimizer import LineSpec, LocationSpec, OrderSpec, Params, build_problem
from optimizer.lookahead import joint_opportunity_costs

NEAR = LocationSpec("NEAR", "warehouse", 40.8, -74.05, frozenset({"ship"}), shipment_cost=15.0)
FAR = LocationSpec("FAR", "warehouse", 34.05, -118.24, frozenset({"ship"}), shipment_cost=3.0)
STOCK = {("NEAR", "S"): 10, ("FAR", "S"): 1}  # one cheap unit for two orders
ORDERS = [OrderSpec(f"O-{n}", 40.71, -74.0, (LineSpec("1", "S", 1),)) for n in range(2)]


@pytest.mark.parametrize("objective", ["cost", "time"])
def test_the_cheap_unit_is_worth_what_the_runner_up_costs_more(objective: str) -> None:
    params = Params(objective=objective)  # type: ignore[arg-type]
    prices = joint_opportunity_costs(build_problem(ORDERS, [NEAR, FAR], STOCK, params), params)
    assert prices == {("FAR", "S"): pytest.approx(12.0)}


def test_an_unfinished_lp_gives_no_prices_rather_than_empty_ones(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from optimizer.lookahead import fresh_opportunity_costs

    monkeypatch.setattr("optimizer.lookahead.solve_lp", lambda *args, **kwargs: None)
    problem = build_problem(ORDERS, [NEAR, FAR], STOCK)
    assert fresh_opportunity_costs(problem) is None
    assert joint_opportunity_costs(problem) == {}
