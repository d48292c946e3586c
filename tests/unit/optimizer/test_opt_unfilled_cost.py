"""A finite price for an unfilled unit (Params.unfilled_cost_factor, Jasin & Sinha's rule)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from opt_cases import MIP_BACKENDS, location
from test_opt_properties import BOUNDED, TOL, Case, brute_force, cases

from optimizer import LineSpec, OrderSpec, Params, Problem, build_problem, solve
from optimizer.backends.exact import applicable
from optimizer.objective import build_weights, evaluate
from optimizer.start import start_units


def _two_lines() -> tuple[Problem, list[OrderSpec]]:
    """Line 1 (SKU C) has a cheap near source and a dear far one; line 2 (SKU D) only the dear
    far one. The far location's one-unit shipment sets both lines' penalty."""
    near = location("NEAR", 40.0, shipment_cost=1.0)
    far = location("FAR", 40.0, shipment_cost=50.0, unit_cost=10.0)
    order = OrderSpec("o1", 40.0, -90.0, (LineSpec("1", "C", 1), LineSpec("2", "D", 1)))
    stock = {("NEAR", "C"): 1, ("FAR", "C"): 1, ("FAR", "D"): 1}
    return build_problem([order], [near, far], stock), [order]


@pytest.mark.parametrize("solver", [*MIP_BACKENDS, "exact", "auto", "lp_fix", "sequential"])
def test_a_unit_dearer_than_its_penalty_is_left_unfilled_and_the_cheap_one_filled(
    solver: str,
) -> None:
    problem, _ = _two_lines()
    params = Params(solver=solver, unfilled_cost_factor=0.5)
    w = build_weights(problem, params)
    # FAR ships one unit for 50 + 10 (+ distance-free here): the penalty is half of that
    assert w.line_penalty.tolist() == pytest.approx([30.0, 30.0])
    result = solve(problem, params)
    assignment = result.assignments[0]
    assert [(s.location_id, [ln[0] for ln in s.lines]) for s in assignment.shipments] == [
        ("NEAR", ["1"])
    ]
    assert [(u.line_id, u.qty, u.reason) for u in assignment.unallocated] == [
        ("2", 1, "dearer_than_unfilled")
    ]
    assert result.objective == pytest.approx(float(w.arc_unit.min()) + 1.0 + 30.0)
    # the default still fills everything it can, and an unfilled-by-choice reason never shows
    filled = solve(problem, Params(solver=solver))
    assert filled.unfilled_units() == 0


def test_under_reject_filling_comes_first_whatever_the_factor() -> None:
    problem, _ = _two_lines()
    result = solve(problem, Params(unfilled_cost_factor=0.5, backorder="reject"))
    assert result.unfilled_units() == 0


def test_with_factor_two_every_single_unit_is_worth_filling() -> None:
    problem, _ = _two_lines()
    result = solve(problem, Params(unfilled_cost_factor=2.0))
    assert result.unfilled_units() == 0


def test_scarce_stock_goes_where_leaving_it_unfilled_would_cost_most() -> None:
    """Fill-first gives the one unit to the order it is cheaper to ship to; priced, it goes to
    the order whose unfilled unit costs more (twice its dearer shipment), and the other one is
    short because the stock went elsewhere."""
    w = location("W", 40.0, shipment_cost=5.0, cost_per_km=0.01)
    near = OrderSpec("near", 40.0, -90.0, (LineSpec("1", "S", 1),))
    far = OrderSpec("far", 45.0, -90.0, (LineSpec("1", "S", 1),))
    problem = build_problem([near, far], [w], {("W", "S"): 1})
    assert [len(a.shipments) for a in solve(problem, Params()).assignments] == [1, 0]
    result = solve(problem, Params(unfilled_cost_factor=2.0))
    assert [len(a.shipments) for a in result.assignments] == [0, 1]
    assert result.assignment("near").unallocated[0].reason == "constrained"


def test_time_and_balanced_penalties_include_the_days_at_their_weight() -> None:
    problem, _ = _two_lines()
    for objective in ("time", "balanced"):
        params = Params(objective=objective, unfilled_cost_factor=2.0)
        w = build_weights(problem, params)
        assert w.time_weight > 0
        shipment = (
            w.arc_unit
            + w.pair_cost[problem.arc_pair]
            + w.time_weight * problem.pair_days[problem.arc_pair]
        )
        dearest = [shipment[problem.arc_line == n].max() for n in range(problem.n_lines)]
        assert w.line_penalty.tolist() == pytest.approx([2.0 * d for d in dearest])
        assert solve(problem, params).unfilled_units() == 0


def test_priority_rank_scales_the_penalty_and_lines_without_arcs_keep_fill_first() -> None:
    loc = location("W", 40.0, shipment_cost=4.0)
    low = OrderSpec("low", 40.0, -90.0, (LineSpec("1", "S", 1),), priority=0)
    high = OrderSpec("high", 40.0, -90.0, (LineSpec("1", "S", 1), LineSpec("2", "Z", 1)),
                     priority=7)
    problem = build_problem([low, high], [loc], {("W", "S"): 5})
    fill_first = build_weights(problem, Params())
    w = build_weights(problem, Params(unfilled_cost_factor=3.0))
    one = float(w.arc_unit[0] + w.pair_cost[0])
    assert w.line_penalty[:2].tolist() == pytest.approx([3.0 * one, 2 * 3.0 * one])
    assert w.line_penalty[2] == fill_first.line_penalty[2]  # no arc: unfilled in any answer
    assert not w.fill_first and fill_first.fill_first


@pytest.mark.parametrize("objective", ["cost", "time", "balanced"])
def test_without_a_factor_an_unfilled_unit_costs_more_than_any_whole_order(objective: str) -> None:
    """Fill first: a unit's penalty exceeds any order's dearest possible answer (every unit at
    its dearest arc, the dearest packages up to the limit, the slowest days); a factor changes
    the penalty and nothing else."""
    problem, _ = _two_lines()
    params = Params(objective=objective)  # type: ignore[arg-type]
    base = build_weights(problem, params)
    assert base.fill_first
    dearest_unit = np.zeros(problem.n_lines)
    np.maximum.at(dearest_unit, problem.arc_line, base.arc_unit)
    # one order here: its packages are at most min(its locations, the shipment limit)
    packages = min(problem.n_pairs, base.max_shipments) * float(base.pair_cost.max())
    days = base.time_weight * float(problem.pair_days.max())
    worst_order = float(dearest_unit @ problem.line_qty) + packages + days
    assert np.all(base.line_penalty > worst_order)

    priced = build_weights(problem, replace(params, unfilled_cost_factor=2.0))
    assert not priced.fill_first
    assert not np.array_equal(priced.line_penalty, base.line_penalty)
    for name in ("arc_plain", "arc_opportunity", "arc_unit", "pair_cost"):
        assert np.array_equal(getattr(base, name), getattr(priced, name)), name
    assert base.time_weight == priced.time_weight


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_the_factor_must_be_positive_and_finite(bad: float) -> None:
    with pytest.raises(ValueError, match="unfilled_cost_factor"):
        Params(unfilled_cost_factor=bad)


@BOUNDED
@given(cases(), st.sampled_from([0.3, 0.5, 1.0, 2.0]))
def test_the_mip_with_a_factor_matches_brute_force_and_beats_filling_first(
    case: Case, factor: float
) -> None:
    priced = Case(case.problem, replace(case.params, unfilled_cost_factor=factor))
    expected = brute_force(priced)
    weights = build_weights(priced.problem, priced.params)
    fill_first = solve(case.problem, case.params)
    fill_first_value = evaluate(
        case.problem, weights, start_units(case.problem, fill_first.placements())
    ).objective
    assert expected <= fill_first_value + TOL
    solvers = ["highs", "sequential"] + (["exact"] if applicable(case.problem) else [])
    for solver in solvers:
        result = solve(priced.problem, replace(priced.params, solver=solver))
        assert result.is_feasible()
        units = start_units(priced.problem, result.placements())
        value = evaluate(priced.problem, weights, units).objective
        assert value == pytest.approx(result.objective, rel=1e-9, abs=1e-6), solver
        if solver != "sequential" or applicable(case.problem):  # sequential: order by order
            assert value <= fill_first_value + TOL, solver
            assert value == pytest.approx(expected, rel=1e-6, abs=TOL), solver
        else:
            assert value >= expected - TOL, solver
