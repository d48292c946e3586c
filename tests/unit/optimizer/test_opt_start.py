"""A known answer as the floor of a solve (``solve(start=...)``, optimizer/start.py).

A re-optimization run starts from the allocations it may move, and a run that solves again
after restoring orders starts from its previous answer; with little of the limit left the
answer must still be at least as good as that start, feasible for the problem as it is now.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opt_cases import assert_feasible, location, one_line_order, random_batch

from optimizer import LineSpec, OrderSpec, Params, build_problem, solve
from optimizer.objective import build_weights, evaluate, order_objectives
from optimizer.start import (
    mixed,
    rule_breakers,
    start_floor,
    start_units,
)

solve_module = importlib.import_module("optimizer.solve")  # the package exports solve()

# the customer sits at 40.0; NEAR is dear to ship from, FAR cheap: greedy takes NEAR
NEAR, FAR = 40.1, 44.0


def _pair() -> list:
    return [location("NEAR", NEAR, shipment_cost=20.0), location("FAR", FAR, shipment_cost=5.0)]


def _where(result: object) -> dict[str, list[tuple[str, int]]]:
    return {a.order_id: sorted((s.location_id, sum(q for *_, q in s.lines))
                               for s in a.shipments)
            for a in result.assignments}  # type: ignore[attr-defined]


def test_placements_map_onto_arcs_and_unknown_ones_are_left_out() -> None:
    orders = [one_line_order("a", qty=2), one_line_order("b", qty=1)]
    problem = build_problem(orders, _pair(), {("NEAR", "S"): 5, ("FAR", "S"): 5})
    units = start_units(problem, {("a", "1", "FAR"): 2, ("b", "1", "NEAR"): 1,
                                  ("gone", "1", "FAR"): 4, ("a", "9", "FAR"): 1,
                                  ("b", "1", "CLOSED"): 1, ("b", "1", "FAR"): 0})
    placed = {(problem.orders[int(problem.arc_order[a])].order_id,
               problem.locations[int(problem.arc_loc[a])].id): int(units[a])
              for a in np.nonzero(units)[0]}
    assert placed == {("a", "FAR"): 2, ("b", "NEAR"): 1}


def test_a_location_without_the_sku_now_has_no_arc() -> None:
    problem = build_problem([one_line_order("a")], _pair(), {("NEAR", "S"): 1})
    assert not start_units(problem, {("a", "1", "FAR"): 1}).any()


@pytest.mark.parametrize("solver", ["greedy", "sequential", "highs", "auto"])
def test_a_start_no_worse_than_the_answer_is_kept(solver: str) -> None:
    """Greedy sends the unit from NEAR (dear); started from FAR, even greedy keeps FAR."""
    orders, stock = [one_line_order("a")], {("NEAR", "S"): 1, ("FAR", "S"): 1}
    fresh = solve(build_problem(orders, _pair(), stock), Params(solver="greedy"))
    assert _where(fresh) == {"a": [("NEAR", 1)]}
    started = solve(build_problem(orders, _pair(), stock), Params(solver=solver),
                    start={("a", "1", "FAR"): 1})
    assert _where(started) == {"a": [("FAR", 1)]}


def test_a_start_worse_than_greedy_is_not_the_floor() -> None:
    """Here the near location is the cheap one: greedy's answer (NEAR) beats a start at FAR,
    so even ``solver: greedy`` answers NEAR rather than keep the dearer start."""
    locs = [location("NEAR", NEAR, shipment_cost=5.0), location("FAR", FAR, shipment_cost=20.0)]
    problem = build_problem([one_line_order("a")], locs, {("NEAR", "S"): 1, ("FAR", "S"): 1})
    result = solve(problem, Params(solver="greedy"), start={("a", "1", "FAR"): 1})
    assert _where(result) == {"a": [("NEAR", 1)]}


def test_plans_that_no_longer_fit_are_sourced_again() -> None:
    """Both orders start at FAR, which now holds one unit: the first (higher priority) keeps
    it, the other is sourced again at NEAR."""
    orders = [one_line_order("a", priority=5), one_line_order("b")]
    problem = build_problem(orders, _pair(), {("NEAR", "S"): 1, ("FAR", "S"): 1})
    weights = build_weights(problem, Params())
    units = start_floor(problem, weights,
                        start_units(problem, {("a", "1", "FAR"): 1, ("b", "1", "FAR"): 1}))
    assert_feasible(problem, weights, units)
    result = solve(problem, Params(solver="greedy"),
                   start={("a", "1", "FAR"): 1, ("b", "1", "FAR"): 1})
    assert _where(result) == {"a": [("FAR", 1)], "b": [("NEAR", 1)]}
    assert evaluate(problem, weights, units).unfilled_units == 0


def test_stock_that_went_down_cuts_the_arc() -> None:
    problem = build_problem([one_line_order("a", qty=3)], _pair(),
                            {("NEAR", "S"): 5, ("FAR", "S"): 1})
    weights = build_weights(problem, Params())
    units = start_floor(problem, weights, start_units(problem, {("a", "1", "FAR"): 3}))
    assert_feasible(problem, weights, units)
    assert int(units.sum()) == 3  # the two FAR no longer has come from NEAR


def _two_line_problem(params: Params):  # type: ignore[no-untyped-def]
    order = OrderSpec("a", 40.0, -90.0, (LineSpec("1", "S", 2), LineSpec("2", "T", 1)))
    stock = {("NEAR", "S"): 2, ("FAR", "S"): 2, ("NEAR", "T"): 1, ("FAR", "T"): 1}
    problem = build_problem([order], _pair(), stock, params)
    return problem, build_weights(problem, params)


@pytest.mark.parametrize(("params", "placements"), [
    # two packages where the policy now allows one
    (Params(max_shipments_per_order=1), {("a", "1", "FAR"): 2, ("a", "2", "NEAR"): 1}),
    # a line from two locations while splits are off
    (Params(allow_line_split=False), {("a", "1", "FAR"): 1, ("a", "1", "NEAR"): 1}),
    # part of a line while splits are off
    (Params(allow_line_split=False), {("a", "1", "NEAR"): 1}),
    # more units than the line asks for
    (Params(), {("a", "1", "FAR"): 2, ("a", "1", "NEAR"): 1}),
])
def test_a_plan_that_breaks_a_rule_is_dropped_whole(
    params: Params, placements: dict[tuple[str, str, str], int]
) -> None:
    problem, weights = _two_line_problem(params)
    units = start_units(problem, placements)
    assert rule_breakers(problem, weights, units).tolist() == [0]
    floor = start_floor(problem, weights, units)
    assert_feasible(problem, weights, floor)
    assert evaluate(problem, weights, floor).unfilled_units == 0  # sourced again, whole


def test_a_plan_within_the_rules_is_not_a_breaker() -> None:
    problem, weights = _two_line_problem(Params(max_shipments_per_order=2))
    units = start_units(problem, {("a", "1", "FAR"): 2, ("a", "2", "NEAR"): 1})
    assert rule_breakers(problem, weights, units).size == 0


def test_with_no_time_for_order_by_order_the_start_is_the_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When order-by-order sourcing would not finish in the limit (a run's later round at a
    big batch), ``sequential`` does not begin it beside a start: the start is the answer."""
    orders, locations, stock = random_batch(30, 6, 4, seed=3)
    problem = build_problem(orders, locations, stock)
    first = solve(problem, Params(solver="highs"))
    placements = first.placements()
    calls: list[object] = []
    real = solve_module.sequential_units_until
    monkeypatch.setattr(solve_module, "sequential_ms", lambda p: 1e9)
    monkeypatch.setattr(solve_module, "sequential_units_until",
                        lambda *a, **k: calls.append(a) or real(*a, **k))
    again = solve(problem, Params(solver="sequential", time_limit_ms=50), start=placements)
    assert not calls
    assert again.objective == pytest.approx(first.objective)
    assert _where(again) == _where(first)


SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(seed=st.integers(0, 10_000), solver=st.sampled_from(["greedy", "sequential", "highs"]),
       split=st.booleans(), max_shipments=st.integers(1, 3), drop=st.integers(0, 6),
       shift=st.integers(-2, 2))
def test_the_answer_is_feasible_and_never_worse_than_its_start(
    seed: int, solver: str, split: bool, max_shipments: int, drop: int, shift: int
) -> None:
    """From any start (another policy's answer, with stock moved since): the answer respects
    every constraint and is no worse than the start made feasible."""
    orders, locations, stock = random_batch(12, 5, 3, seed)
    before = build_problem(orders, locations, stock)
    earlier = solve(before, Params(solver="greedy"))
    placements = earlier.placements()
    changed = {key: max(0, units + (shift if n % 3 == 0 else 0))
               for n, (key, units) in enumerate(sorted(stock.items()))}
    changed = dict(list(changed.items())[drop:])  # some locations lost a SKU altogether
    params = Params(solver=solver, allow_line_split=split,
                    max_shipments_per_order=max_shipments)
    problem = build_problem(orders, locations, changed, params)
    weights = build_weights(problem, params)
    floor = start_floor(problem, weights, start_units(problem, placements))
    assert_feasible(problem, weights, floor)
    result = solve(problem, params, start=placements)
    units = start_units(problem, result.placements())
    assert_feasible(problem, weights, units)
    got, kept = evaluate(problem, weights, units), evaluate(problem, weights, floor)
    assert got.shortfall <= kept.shortfall + 1e-6
    if got.shortfall == pytest.approx(kept.shortfall):
        assert got.objective <= kept.objective + 1e-6



@pytest.mark.parametrize("solver", ["highs", "cbc", "greedy"])
@pytest.mark.parametrize("holder", ["a", "b"])
def test_on_a_tie_the_start_stays(solver: str, holder: str) -> None:
    """Two orders as urgent as each other, one unit: whichever held it keeps it (giving it to
    the other saves nothing), whatever the backend would pick on its own."""
    orders = [one_line_order("a"), one_line_order("b")]
    problem = build_problem(orders, _pair(), {("FAR", "S"): 1})
    result = solve(problem, Params(solver=solver), start={(holder, "1", "FAR"): 1})
    assert {a.order_id for a in result.assignments if a.shipments} == {holder}
    if solver != "greedy":
        assert result.status == "optimal"


def test_orders_the_answer_serves_better_are_taken_into_the_start() -> None:
    """The start sends a from NEAR (dear) and b from FAR; an answer sends a from FAR but
    leaves b short: worse as a whole, better for a. The mix takes a's plan from the answer
    and keeps b's: cheaper than either."""
    orders = [one_line_order("a"), one_line_order("b")]
    problem = build_problem(orders, _pair(), {("NEAR", "S"): 5, ("FAR", "S"): 5})
    weights = build_weights(problem, Params())
    start = start_units(problem, {("a", "1", "NEAR"): 1, ("b", "1", "FAR"): 1})
    answer = start_units(problem, {("a", "1", "FAR"): 1})
    assert evaluate(problem, weights, answer).objective > \
        evaluate(problem, weights, start).objective
    mix = mixed(problem, weights, start, answer)
    assert mix is not None
    assert_feasible(problem, weights, mix)
    placed = {(problem.orders[int(problem.arc_order[a])].order_id,
               problem.locations[int(problem.arc_loc[a])].id) for a in np.nonzero(mix)[0]}
    assert placed == {("a", "FAR"), ("b", "FAR")}
    per_order = order_objectives(problem, weights, mix)
    assert per_order.sum() == pytest.approx(evaluate(problem, weights, mix).objective)


def test_no_mix_when_the_answer_serves_no_order_better() -> None:
    orders = [one_line_order("a"), one_line_order("b")]
    problem = build_problem(orders, _pair(), {("NEAR", "S"): 5, ("FAR", "S"): 5})
    weights = build_weights(problem, Params())
    start = start_units(problem, {("a", "1", "FAR"): 1, ("b", "1", "FAR"): 1})
    answer = start_units(problem, {("a", "1", "NEAR"): 1})
    assert mixed(problem, weights, start, answer) is None


def test_kept_start_is_the_start_made_feasible_even_when_worse() -> None:
    """``keep_start``: the caller wants what is left of its answer, not a better one. A start
    at the dear FAR stays there (every backend, even greedy, would answer NEAR), and a unit
    the stock no longer has is sourced again."""
    locs = [location("NEAR", NEAR, shipment_cost=5.0), location("FAR", FAR, shipment_cost=20.0)]
    orders = [one_line_order("a"), one_line_order("b")]
    problem = build_problem(orders, locs, {("NEAR", "S"): 2, ("FAR", "S"): 1})
    start = {("a", "1", "FAR"): 1, ("b", "1", "FAR"): 1}  # FAR holds only one now
    kept = solve(problem, Params(), start=start, keep_start=True)
    assert kept.solver == "start" and kept.start_kept
    assert _where(kept) == {"a": [("FAR", 1)], "b": [("NEAR", 1)]}
    solved = solve(problem, Params(), start=start)
    assert _where(solved) == {"a": [("NEAR", 1)], "b": [("NEAR", 1)]}
    assert not solved.start_kept


def test_a_solve_says_when_it_kept_its_start() -> None:
    orders, stock = [one_line_order("a")], {("NEAR", "S"): 1, ("FAR", "S"): 1}
    started = solve(build_problem(orders, _pair(), stock), Params(solver="highs"),
                    start={("a", "1", "FAR"): 1})
    assert _where(started) == {"a": [("FAR", 1)]} and started.start_kept
    moved = solve(build_problem(orders, _pair(), stock), Params(solver="highs"),
                  start={("a", "1", "NEAR"): 1})
    assert _where(moved) == {"a": [("FAR", 1)]} and not moved.start_kept
    assert not solve(build_problem(orders, _pair(), stock), Params()).start_kept


def test_an_answer_solved_unexplained_is_explained_afterwards_as_a_solve_would() -> None:
    from optimizer.explain import explain_result

    orders, locations, stock = random_batch(6, 4, 2, 7)
    problem = build_problem(orders, locations, stock)
    start = solve(problem, Params()).placements()
    explained = solve(problem, Params(), start=start, keep_start=True)
    bare = solve(problem, Params(), start=start, keep_start=True, explain=False)
    assert all(not a.alternatives for a in bare.assignments)
    assert "not asked for" in bare.message
    assert explain_result(problem, Params(), bare) == problem.n_orders
    assert [a.alternatives for a in bare.assignments] == \
        [a.alternatives for a in explained.assignments]
    assert any(a.alternatives for a in bare.assignments)
    assert "runner-ups" not in bare.message
