"""The Lagrangian bound (optimizer/lagrange.py) on random small batches, against HiGHS.

A bound that is ever above the optimum is worse than none, so every property compares with the
MIP solved to optimality (HiGHS, gap 0) on the same model: for random multipliers, for the LP's
own duals (where it must also reach the LP value), with the exact searches cut off by a past
deadline, and after the subgradient loop. Instances have scarce stock split over locations
(lines need several of them), location capacities, every objective, splits on and off.
"""

from __future__ import annotations

import importlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import highspy
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opt_cases import random_batch

from optimizer import Params, Problem, build_problem, solve
from optimizer.backends.highs import new_highs
from optimizer.lagrange import Duals, Relaxation, improve_bound, lagrangian_bound
from optimizer.model import MipModel, build_model
from optimizer.objective import Weights, build_weights
from optimizer.split import solve_split
from optimizer.subproblem import take

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REL = 1e-6


@dataclass(frozen=True)
class Case:
    problem: Problem
    weights: Weights
    params: Params


@st.composite
def cases(draw: st.DrawFn) -> Case:
    orders, locations, stock = random_batch(
        draw(st.integers(2, 7)), draw(st.integers(2, 5)), draw(st.integers(1, 3)),
        draw(st.integers(0, 10_000)),
    )
    if draw(st.booleans()):  # capacities that bind: a few units per location
        locations = [
            replace(loc, capacity_units_per_day=draw(st.sampled_from([None, 1, 2, 4])))
            for loc in locations
        ]
    params = Params(
        objective=draw(st.sampled_from(["cost", "time", "balanced"])),
        max_shipments_per_order=draw(st.integers(1, 3)),
        allow_line_split=draw(st.booleans()),
    )
    problem = build_problem(orders, locations, stock, params)
    return Case(problem, build_weights(problem, params), params)


def optimum(case: Case) -> float:
    """The MIP's optimum (HiGHS, gap 0): what no valid bound may exceed."""
    model = build_model(case.problem, case.weights)
    h = new_highs(model, True, 60.0, 0)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.0)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(h.getInfo().objective_function_value)


def capacity_rows(case: Case, model: MipModel) -> tuple[np.ndarray, np.ndarray]:
    """(rows, locations) of the capacity rows: built after fill, stock, link and shipments."""
    p, w = case.problem, case.weights
    n_ship = int((np.bincount(p.pair_order, minlength=p.n_orders) > w.max_shipments).sum())
    first = p.n_lines + model.stock_rows.size + p.n_arcs + n_ship
    reach = model.arc_units * model.col_upper[: model.n_arcs]
    locs = np.nonzero(np.bincount(p.arc_loc, reach, minlength=p.n_locations) > p.loc_capacity)[0]
    rows = first + np.arange(locs.size)
    assert np.allclose(model.row_upper[rows], p.loc_capacity[locs])  # the layout still holds
    return rows, locs


def lp_and_duals(case: Case) -> tuple[float, Duals]:
    """The LP relaxation's value and its optimal stock and capacity duals (>= 0 per unit)."""
    model = build_model(case.problem, case.weights)
    h = new_highs(model, False, 60.0, 0)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    row_dual = np.asarray(h.getSolution().row_dual, dtype=float)
    duals = Duals.zeros(case.problem)
    keys = model.stock_keys
    duals.stock[keys[:, 0], keys[:, 1]] = np.maximum(-row_dual[model.stock_rows], 0.0)
    rows, locs = capacity_rows(case, model)
    duals.capacity[locs] = np.maximum(-row_dual[rows], 0.0)
    return float(h.getInfo().objective_function_value), duals


def below(bound: float, value: float) -> bool:
    return bound <= value + REL * max(1.0, abs(value))


def random_duals(case: Case, rng: np.random.Generator, scale: float) -> Duals:
    """Multipliers around the objective's own scale: a unit's cost, a package, a penalty."""
    p = case.problem
    mask = rng.random(p.stock.shape) < 0.6
    stock = np.where(mask, rng.exponential(scale, p.stock.shape), 0.0)
    capacity = np.where(rng.random(p.n_locations) < 0.6, rng.exponential(scale, p.n_locations), 0)
    return Duals(stock, capacity.astype(float))


@SETTINGS
@given(cases(), st.integers(0, 2**32 - 1), st.sampled_from([0.5, 5.0, 50.0]))
def test_bound_never_exceeds_the_optimum_for_any_multipliers(
    case: Case, seed: int, scale: float
) -> None:
    duals = random_duals(case, np.random.default_rng(seed), scale)
    ev = lagrangian_bound(case.problem, case.weights, duals.stock, duals.capacity)
    assert ev.exact.all()
    assert below(ev.bound, optimum(case))


@SETTINGS
@given(cases())
def test_lp_duals_give_at_least_the_lp_and_at_most_the_optimum(case: Case) -> None:
    lp, duals = lp_and_duals(case)
    ev = lagrangian_bound(case.problem, case.weights, duals.stock, duals.capacity)
    best = optimum(case)
    assert ev.bound >= lp - REL * max(1.0, abs(lp))
    assert below(ev.bound, best)


@SETTINGS
@given(cases())
def test_zero_multipliers_give_the_sum_of_each_orders_own_optimum(case: Case) -> None:
    """Each order alone with all the stock and no capacity limit, solved by HiGHS."""
    p, w = case.problem, case.weights
    ev = lagrangian_bound(p, w, np.zeros(p.stock.shape), np.zeros(p.n_locations))
    alone = []
    for o in range(p.n_orders):
        part = take(p, w, np.array([o]), capacity=np.full(p.n_locations, np.inf))
        alone.append(optimum(Case(part.problem, part.weights, case.params)))
    assert np.allclose(ev.order_value, alone, rtol=REL, atol=1e-6)
    assert abs(ev.bound - sum(alone)) <= REL * max(1.0, abs(ev.bound))


@SETTINGS
@given(cases(), st.integers(0, 2**32 - 1))
def test_a_cut_off_search_still_gives_a_valid_weaker_bound(case: Case, seed: int) -> None:
    """Past the deadline no order is searched: the orders left count with a lower value."""
    duals = random_duals(case, np.random.default_rng(seed), 5.0)
    relaxation = Relaxation(case.problem, case.weights)
    full = relaxation.evaluate(duals)
    cut = relaxation.evaluate(duals, deadline=time.perf_counter() - 1.0)
    assert cut.searched == 0
    assert np.all(cut.order_value <= full.order_value + 1e-9 * np.abs(full.order_value) + 1e-9)
    assert np.allclose(cut.order_value[cut.exact], full.order_value[cut.exact])
    assert below(cut.bound, full.bound)


@settings(SETTINGS, max_examples=30)
@given(cases(), st.integers(0, 2**32 - 1), st.booleans())
def test_subgradient_loop_never_ends_below_its_start(case: Case, seed: int, warm: bool) -> None:
    p, w = case.problem, case.weights
    start = random_duals(case, np.random.default_rng(seed), 5.0) if warm else Duals.zeros(p)
    first = lagrangian_bound(p, w, start.stock, start.capacity).bound
    best = optimum(case)
    found = improve_bound(p, w, start, time.perf_counter() + 0.3, best * 1.05 + 1.0, max_steps=8)
    assert found.start_bound == first
    assert found.bound >= first
    assert found.bound == max(found.history)
    assert below(found.bound, best)
    again = lagrangian_bound(p, w, found.duals.stock, found.duals.capacity).bound
    assert abs(again - found.bound) <= 1e-9 * max(1.0, abs(again))  # its duals give its bound


def test_subgradient_steps_raise_a_bound_from_zero() -> None:
    """Scarce stock that every order wants: L(0) ignores it, a few steps price it in."""
    orders, locations, stock = random_batch(12, 3, 2, 7)
    params = Params()
    problem = build_problem(orders, locations, stock, params)
    weights = build_weights(problem, params)
    case = Case(problem, weights, params)
    best = optimum(case)
    found = improve_bound(problem, weights, Duals.zeros(problem), time.perf_counter() + 5, best)
    assert found.start_bound < found.bound
    assert below(found.bound, best)


def test_split_reports_the_lagrangian_bound_when_it_is_higher() -> None:
    """Regions with no joint LP (its limit is tiny) still report a proven bound and say so."""
    orders, locations, stock = random_batch(60, 6, 4, 3)
    params = Params(time_limit_ms=3000)
    problem = build_problem(orders, locations, stock, params)
    weights = build_weights(problem, params)
    best = optimum(Case(problem, weights, params))
    with ThreadPoolExecutor(2) as pool:
        answer, report = solve_split(
            problem, weights, params, 3.0, pool, workers=2, part_orders=20, bound=-1e9
        )
    assert answer.bound is not None and answer.bound > 0
    assert below(answer.bound, best)
    assert "bound = Lagrangian" in answer.message
    assert report.lagrangian is not None and report.lagrangian.bound == answer.bound


def test_a_split_batch_without_lp_duals_searches_its_plan_and_bound_from_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the joint LP gives nothing in time, the plan search starts from zero multipliers;
    the result's bound is still valid and says where it came from."""
    solve_module = importlib.import_module("optimizer.solve")  # `optimizer.solve` is the function
    split_module = importlib.import_module("optimizer.split")

    monkeypatch.setattr(solve_module, "solve_lp", lambda *args, **kwargs: None)
    monkeypatch.setattr(split_module, "JOINT_LP_UP_TO_ARCS", 0)  # no joint LP alongside either
    orders, locations, stock = random_batch(60, 6, 4, 3)
    params = Params(solver="split", time_limit_ms=3000)
    problem = build_problem(orders, locations, stock, params)
    best = optimum(Case(problem, build_weights(problem, params), params))
    with ThreadPoolExecutor(2) as pool:
        result = solve(problem, params, executor=pool, workers=2, part_orders=20)
    assert result.bound is not None and result.gap is not None
    assert below(result.bound, best)
    assert "joint LP gave no duals in time" in result.message
    assert "bound = Lagrangian" in result.message and "from zero" in result.message
