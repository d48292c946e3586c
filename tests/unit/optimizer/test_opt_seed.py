"""design.md's seed example on every exact backend: time picks the near A, cost the cheap B."""

from __future__ import annotations

import pytest
from opt_cases import EXACT_BACKENDS, seed_example

from optimizer import Params, solve_orders

# What is checked is the answer, not the speed: CBC runs as a subprocess, which a loaded machine
# can keep from starting within the default 2 s.
SLACK_MS = 30_000


@pytest.mark.parametrize("solver", [*EXACT_BACKENDS, "auto"])
def test_minimising_time_ships_from_the_near_warehouse(solver: str) -> None:
    params = Params(objective="time", solver=solver, time_limit_ms=SLACK_MS)
    result = solve_orders(*seed_example(), params)
    assert result.status == "optimal"
    assert [s.location_id for s in result.assignments[0].shipments] == ["WH-A"]
    assert result.assignments[0].delivery_days == 1


@pytest.mark.parametrize("solver", [*EXACT_BACKENDS, "auto", "lp_fix"])
def test_minimising_cost_ships_from_the_cheap_far_warehouse(solver: str) -> None:
    params = Params(objective="cost", solver=solver, time_limit_ms=SLACK_MS)
    result = solve_orders(*seed_example(), params)
    assert result.status == "optimal"
    assignment = result.assignments[0]
    assert [s.location_id for s in assignment.shipments] == ["WH-B"]
    assert assignment.plain_cost == pytest.approx(6.0)
    assert assignment.delivery_days == 3  # 2,000 km at 800 km/day


def test_the_loser_is_explained() -> None:
    by_time = solve_orders(*seed_example(), Params(objective="time"))
    by_cost = solve_orders(*seed_example(), Params(objective="cost"))
    assert [(a.location_id, a.why_not) for a in by_time.assignments[0].alternatives] == [
        ("WH-B", "slower")
    ]
    assert [(a.location_id, a.why_not) for a in by_cost.assignments[0].alternatives] == [
        ("WH-A", "dearer")
    ]


def test_result_carries_proof_and_timings() -> None:
    result = solve_orders(*seed_example(), Params(solver="highs"))
    assert result.is_feasible()
    assert result.bound is not None and result.gap is not None and result.gap <= 1e-6
    assert result.build_ms >= 0 and result.solve_ms > 0
    assert result.cost() == pytest.approx(6.0)
    assert "highs: optimal" in result.summary()
