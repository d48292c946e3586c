"""Decomposition: independent parts are truly independent, regions are feasible and honest.

Parts run on a thread pool here (any ``concurrent.futures.Executor`` will do); the Dask cluster
test is in tests/integration/optimizer.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opt_cases import random_batch

from optimizer import Params, Problem, build_problem, solve
from optimizer.backends.greedy import greedy_units
from optimizer.decompose import (
    apportion,
    binding_links,
    components,
    connected_labels,
    split_orders,
)
from optimizer.objective import build_weights, evaluate
from optimizer.split import solve_split
from optimizer.subproblem import take

# the module (optimizer/__init__ exports functions under some module names)
split_module = importlib.import_module("optimizer.split")

SMALL = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2) as executor:
        yield executor


def local_batch(n_orders: int, n_locations: int, seed: int, km: float | None) -> Problem:
    """Random US batch; a distance limit cuts it into groups that share no binding stock."""
    orders, locations, stock = random_batch(n_orders, n_locations, 6, seed)
    return build_problem(orders, locations, stock, Params(max_distance_km=km))


def feasible(problem: Problem, units: np.ndarray) -> bool:
    used = np.zeros_like(problem.stock)
    np.add.at(used, (problem.arc_loc, problem.arc_sku), units)
    filled = np.bincount(problem.arc_line, units, minlength=problem.n_lines)
    return bool(np.all(units >= 0) and np.all(used <= problem.stock)
                and np.all(filled <= problem.line_qty))


@SMALL
@given(seed=st.integers(0, 10_000), km=st.sampled_from([400.0, 700.0, 1000.0]))
def test_every_order_lands_in_exactly_one_part(seed: int, km: float) -> None:
    problem = local_batch(40, 8, seed, km)
    for max_orders in (5, 15, 1000):
        split = split_orders(problem, max_orders, multiple_of=2)
        everyone = np.concatenate(split.parts)
        assert sorted(everyone.tolist()) == list(range(problem.n_orders))
        if split.exact:
            assert all(part.size <= max_orders for part in split.parts)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.integers(1, 40), st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)),
                                    max_size=60))
def test_connected_labels_name_each_component_by_its_smallest_vertex(
        n: int, pairs: list[tuple[int, int]]) -> None:
    """Against a plain depth-first search over the same edges."""
    edges = [(a % n, b % n) for a, b in pairs]
    u = np.array([a for a, _ in edges], dtype=np.int64)
    v = np.array([b for _, b in edges], dtype=np.int64)
    neighbours: dict[int, set[int]] = {k: set() for k in range(n)}
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    expected = [-1] * n
    for start in range(n):
        if expected[start] >= 0:
            continue
        stack = [start]
        while stack:
            k = stack.pop()
            if expected[k] < 0:
                expected[k] = start
                stack.extend(neighbours[k])
    assert connected_labels(n, u, v).tolist() == expected


def test_a_long_chain_is_one_component() -> None:
    n = 5000
    chain = np.arange(n - 1, dtype=np.int64)
    assert set(connected_labels(n, chain[::-1], chain[::-1] + 1).tolist()) == {0}


@SMALL
@given(seed=st.integers(0, 10_000), km=st.sampled_from([400.0, 700.0]))
def test_no_binding_constraint_crosses_two_components(seed: int, km: float) -> None:
    problem = local_batch(40, 8, seed, km)
    label = np.full(problem.n_orders, -1)
    for k, comp in enumerate(components(problem)):
        label[comp] = k
    order, node = binding_links(problem)
    for n in np.unique(node).tolist():
        assert np.unique(label[order[node == n]]).size == 1


@SMALL
@given(seed=st.integers(0, 10_000))
def test_stitched_optimum_of_independent_parts_equals_the_single_model(
    seed: int, pool: ThreadPoolExecutor
) -> None:
    problem = local_batch(24, 8, seed, 500.0)
    params = Params(time_limit_ms=20_000)
    weights = build_weights(problem, params)
    split = split_orders(problem, 6)
    if not split.exact or len(split.parts) < 2:
        return  # everything linked: nothing independent to check on this draw
    single = solve(problem, Params(solver="highs", time_limit_ms=20_000))
    answer, report = solve_split(problem, weights, params, 20.0, pool, workers=2, split=split)
    assert report.exact and report.missing == 0
    assert answer.arc_units is not None and feasible(problem, answer.arc_units)
    stitched = evaluate(problem, weights, answer.arc_units).objective
    assert single.status == "optimal" and answer.status == "optimal"
    assert stitched == pytest.approx(single.objective, rel=1e-6, abs=1e-6)
    assert answer.bound is not None and answer.bound <= single.objective + 1e-6


def test_some_draws_really_are_split_into_several_independent_parts() -> None:
    """Guards the test above against checking nothing."""
    exact = [split_orders(local_batch(24, 8, seed, 500.0), 6) for seed in range(10)]
    assert sum(s.exact and len(s.parts) >= 2 for s in exact) >= 5


def test_a_linked_batch_is_cut_into_balanced_regions_with_a_valid_bound(
    pool: ThreadPoolExecutor,
) -> None:
    problem = local_batch(60, 8, 3, None)
    assert len(components(problem)) == 1  # no distance limit: stock links everyone
    params = Params(time_limit_ms=20_000)
    weights = build_weights(problem, params)
    split = split_orders(problem, 15, multiple_of=2)
    assert not split.exact and len(split.parts) == 4
    assert max(p.size for p in split.parts) - min(p.size for p in split.parts) <= 1
    answer, _ = solve_split(problem, weights, params, 20.0, pool, workers=2, split=split)
    single = solve(problem, Params(solver="highs", time_limit_ms=20_000))
    assert answer.arc_units is not None and feasible(problem, answer.arc_units)
    objective = evaluate(problem, weights, answer.arc_units).objective
    # regions are a restriction: never below the single model's proven bound, and the split's
    # own bound (the joint LP) stays below every feasible answer
    assert single.bound is not None and objective >= single.bound - 1e-6
    assert answer.bound is not None and answer.bound <= single.objective + 1e-6
    assert answer.bound <= objective + 1e-6


def test_apportioned_shares_add_up_to_the_stock_and_the_capacity() -> None:
    problem = local_batch(60, 8, 5, None)
    split = split_orders(problem, 20, multiple_of=1)
    rng = np.random.default_rng(0)
    usage = [rng.uniform(0, 2, problem.n_arcs) for _ in split.parts]
    stock, capacity = apportion(problem, split, usage)
    assert np.array_equal(sum(stock), problem.stock)
    assert all(np.all(s >= 0) for s in stock)
    total_cap = sum(capacity)
    finite = np.isfinite(problem.loc_capacity)
    assert np.all(np.isinf(total_cap[~finite]))
    assert np.all(total_cap[finite] <= problem.loc_capacity[finite])


def test_a_slice_scores_its_orders_exactly_as_the_whole_does() -> None:
    problem = local_batch(30, 8, 7, None)
    weights = build_weights(problem, Params())
    arc_units = greedy_units(problem, 3, True)  # any feasible answer will do
    assert arc_units.sum() > 0  # one that ships something, so every part has a score to match
    halves = [np.arange(0, 15), np.arange(15, 30)]
    total = 0.0
    for orders in halves:
        part = take(problem, weights, orders)
        total += evaluate(part.problem, part.weights, arc_units[part.arcs]).objective
    assert total == pytest.approx(evaluate(problem, weights, arc_units).objective, rel=1e-9)


def test_the_time_limit_holds_and_the_answer_is_still_feasible(
    pool: ThreadPoolExecutor,
) -> None:
    problem = local_batch(600, 25, 11, None)
    params = Params(time_limit_ms=1500)
    weights = build_weights(problem, params)
    started = time.perf_counter()
    answer, _ = solve_split(problem, weights, params, 1.5, pool, workers=2, part_orders=100)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.5 + 1.0  # the limit plus the grace a stopped solver needs
    assert answer.arc_units is not None and feasible(problem, answer.arc_units)
    assert answer.status in ("feasible", "time_limit", "optimal")


class Refusing(ThreadPoolExecutor):
    """An executor that takes no work (a closed cluster, a broken pool)."""

    def submit(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
        raise RuntimeError("executor closed")


def test_an_executor_that_refuses_work_still_gives_the_plan_back() -> None:
    problem = local_batch(60, 8, 5, None)
    params = Params(time_limit_ms=5000)
    weights = build_weights(problem, params)

    plan = greedy_units(problem, 3, True)
    with Refusing(1) as refusing:
        answer, report = solve_split(problem, weights, params, 5.0, refusing, workers=2,
                                     part_orders=15, plan=plan)
    assert report.missing == len(report.part_status) > 0
    assert answer.arc_units is not None and feasible(problem, answer.arc_units)
    assert evaluate(problem, weights, answer.arc_units).objective <= evaluate(
        problem, weights, plan).objective


def test_a_single_part_for_the_local_pool_is_solved_in_this_process() -> None:
    """A lambda cannot be sent to another process: an answer means it ran here, where a pool
    still starting cannot make a short limit run out before the part is even looked at."""
    pool = split_module.local_executor()
    answers = split_module._gather(pool, lambda task: ("solved", task), ["part"],
                                   time.perf_counter() + 5.0)
    assert answers == [("solved", "part")]


def test_a_single_part_that_fails_in_this_process_leaves_the_plan_as_it_is() -> None:
    def broken(task: object) -> object:
        raise ValueError("the part's model is broken")

    answers = split_module._gather(split_module.local_executor(), broken, ["part"],
                                   time.perf_counter() + 5.0)
    assert answers == [None]


def test_parts_for_another_executor_are_still_sent_to_it() -> None:
    with ThreadPoolExecutor(1) as executor:
        answers = split_module._gather(
            executor, lambda task: (task, threading.get_ident()), ["part"],
            time.perf_counter() + 5.0)
    ((task, thread),) = answers
    assert task == "part" and thread != threading.get_ident()  # ran on the executor's thread
