"""The single-order subset search (optimizer/backends/subsets.py) against exhaustive enumeration.

The search skips subsets by a lower bound and, when the incumbent fills everything, by bitsets;
both must only ever skip losers. Each property compares its answer with every subset of up to
``max_shipments`` locations scored by a reference written here (sort each line's members by
unit cost and fill), on random orders with ties, zero package costs, scarce stock, slow
locations, and penalties that do and do not dominate package costs.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import LineSpec, LocationSpec, OrderSpec, Params, build_problem, solve
from optimizer.backends import exact, subsets
from optimizer.backends.exact import applicable
from optimizer.backends.subsets import View

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # monkeypatch sets the same value for every input
    ],
)


@st.composite
def views(draw: st.DrawFn) -> tuple[View, float, int, bool]:
    n_lines, n_loc = draw(st.integers(1, 5)), draw(st.integers(1, 16))
    split = draw(st.booleans())
    qty = np.array([draw(st.integers(1, 4)) for _ in range(n_lines)], dtype=float)
    scarce = draw(st.sampled_from([0.2, 0.5, 0.9]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    stock = np.where(rng.random((n_lines, n_loc)) < scarce, rng.integers(1, 6, (n_lines, n_loc)), 0)
    avail = np.minimum(stock, qty[:, None]).astype(float)
    if not split:  # what order_data does: a location serves a line whole or not at all
        avail = np.where(avail >= qty[:, None], avail, 0.0)
    if draw(st.booleans()):  # ties on purpose
        unit = rng.choice([0.0, 0.3, 0.35, 1.0], (n_lines, n_loc))
        package = rng.choice([0.0, 4.0, 6.5, 9.0], n_loc)
    else:  # near-ties: what a weak bound or a wrong filter would get wrong
        unit = rng.random((n_lines, n_loc)) * 0.5
        package = 3.0 + rng.random(n_loc) * 3.0
    days = rng.integers(0, 4, n_loc).astype(float)
    time_weight = draw(st.sampled_from([0.0, 0.0, 5.0, 100.0]))
    # above every unit cost; sometimes below a package (then filling is not always worth it)
    penalty = np.full(n_lines, draw(st.sampled_from([2.0, 50.0, 1e4])))
    view = View(unit, avail, qty, penalty, package, days)
    return view, time_weight, draw(st.integers(1, 4)), split


def reference(v: View, combo: tuple[int, ...], time_weight: float, split: bool) -> float:
    """One subset's objective, line by line, members cheapest first."""
    value = float(v.package[list(combo)].sum()) + time_weight * float(v.days[list(combo)].max())
    for line in range(v.qty.shape[0]):
        need = float(v.qty[line])
        for j in sorted(combo, key=lambda j: v.unit[line, j]):
            take = min(need, float(v.avail[line, j]))
            if take <= 0 or (not split and take < need):
                continue
            value += take * float(v.unit[line, j])
            need -= take
        value += need * float(v.penalty[line])
    return value


def exhaustive(v: View, time_weight: float, top: int, split: bool) -> float:
    n = v.package.shape[0]
    return min(
        reference(v, combo, time_weight, split)
        for k in range(1, min(top, n) + 1)
        for combo in itertools.combinations(range(n), k)
    )


@pytest.mark.parametrize(
    ("dense_cells", "beam"),
    [(0, 1), (0, 4), (10**9, 1), (10**9, 4)],
    ids=["bitsets-weak-incumbent", "bitsets", "deficits-weak-incumbent", "deficits"],
)
@SETTINGS
@given(case=views())
def test_the_search_finds_the_exhaustive_optimum(
    case: tuple[View, float, int, bool],
    dense_cells: int,
    beam: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    view, time_weight, top, split = case
    monkeypatch.setattr(subsets, "DENSE_CELLS", dense_cells)  # which filter prunes children
    monkeypatch.setattr(subsets, "BEAM_WIDTH", beam)  # a weak first incumbent: more to prune
    combo = subsets.best_subset(view, time_weight, top, split)
    assert combo is not None
    assert 1 <= combo.size <= top
    found = reference(view, tuple(combo.tolist()), time_weight, split)
    assert found == pytest.approx(exhaustive(view, time_weight, top, split), rel=1e-9, abs=1e-9)


def _random_view(seed: int) -> tuple[View, float, int, bool]:
    """8-20 locations, continuous costs: where bitsets and both bounds all get to prune."""
    rng = np.random.default_rng(seed)
    n_lines, n_loc = int(rng.integers(2, 6)), int(rng.integers(8, 21))
    split = bool(rng.integers(0, 2))
    qty = rng.integers(1, 5, n_lines).astype(float)
    stock = np.where(rng.random((n_lines, n_loc)) < 0.4, rng.integers(1, 6, (n_lines, n_loc)), 0)
    avail = np.minimum(stock, qty[:, None]).astype(float)
    if not split:
        avail = np.where(avail >= qty[:, None], avail, 0.0)
    unit = rng.random((n_lines, n_loc)) * 0.5 + rng.choice([0.0, 0.3], (n_lines, n_loc))
    view = View(
        unit,
        avail,
        qty,
        np.full(n_lines, float(rng.choice([20.0, 1e4]))),
        3.0 + rng.random(n_loc) * 3.0,
        rng.integers(0, 3, n_loc).astype(float),
    )
    return view, float(rng.choice([0.0, 5.0])), int(rng.integers(2, 5)), split


@pytest.mark.parametrize("dense_cells", [0, 10**9], ids=["bitsets", "deficits"])
def test_the_search_matches_every_subset_on_larger_orders(
    dense_cells: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subsets, "DENSE_CELLS", dense_cells)
    monkeypatch.setattr(subsets, "BEAM_WIDTH", 1)
    for seed in range(300):
        view, time_weight, top, split = _random_view(seed)
        rank = subsets.unit_rank(view)
        n = view.package.shape[0]
        every = min(
            float(subsets.score(view, combos, rank, time_weight, split).min())
            for k in range(1, top + 1)
            for combos in [np.array(list(itertools.combinations(range(n), k)), dtype=np.int64)]
        )
        combo = subsets.best_subset(view, time_weight, top, split)
        assert combo is not None
        found = reference(view, tuple(combo.tolist()), time_weight, split)
        assert found == pytest.approx(every, rel=1e-9, abs=1e-9), seed


@SETTINGS
@given(case=views(), data=st.data())
def test_score_matches_the_line_by_line_reference(
    case: tuple[View, float, int, bool], data: st.DataObject
) -> None:
    view, time_weight, top, split = case
    n = view.package.shape[0]
    k = data.draw(st.integers(1, min(top, n)))
    combos = np.array(list(itertools.combinations(range(n), k))[:50], dtype=np.int64)
    got = subsets.score(view, combos, subsets.unit_rank(view), time_weight, split)
    want = [reference(view, tuple(c.tolist()), time_weight, split) for c in combos]
    assert got == pytest.approx(want, rel=1e-12, abs=1e-9)


@SETTINGS
@given(case=views(), data=st.data())
def test_an_incumbent_never_changes_the_optimum(
    case: tuple[View, float, int, bool], data: st.DataObject
) -> None:
    view, time_weight, top, split = case
    n = view.package.shape[0]
    size = data.draw(st.integers(1, min(top, n)))
    start = np.array(data.draw(st.permutations(range(n)))[:size], dtype=np.int64)
    combo = subsets.best_subset(view, time_weight, top, split, incumbent=start)
    assert combo is not None
    found = reference(view, tuple(combo.tolist()), time_weight, split)
    assert found == pytest.approx(exhaustive(view, time_weight, top, split), rel=1e-9, abs=1e-9)


def test_past_the_deadline_the_search_gives_up_instead_of_guessing() -> None:
    rng = np.random.default_rng(3)
    view = View(
        unit=rng.random((4, 30)),
        avail=rng.integers(0, 3, (4, 30)).astype(float),
        qty=np.full(4, 2.0),
        penalty=np.full(4, 100.0),
        package=rng.random(30) * 5,
        days=np.zeros(30),
    )
    assert subsets.best_subset(view, 0.0, 3, True, deadline=0.0) is None
    assert subsets.best_subset(view, 0.0, 1, True, deadline=0.0) is not None  # singles only


# ---- through solve(): the exact backend against HiGHS on the same model ----


@st.composite
def single_orders(draw: st.DrawFn) -> tuple[list[OrderSpec], list[LocationSpec], dict, Params]:  # type: ignore[type-arg]
    n_loc = draw(st.integers(2, 9))
    skus = ["A", "B", "C", "D"]
    locations = [
        LocationSpec(
            f"L{n}",
            draw(st.sampled_from(["warehouse", "store"])),
            draw(st.floats(30, 45)),
            draw(st.floats(-110, -75)),
            frozenset({"ship"}),
            shipment_cost=draw(st.sampled_from([0.0, 4.0, 9.0])),
            cost_per_km=draw(st.sampled_from([0.0, 0.001])),
            unit_cost=draw(st.sampled_from([0.0, 0.5, 2.0])),
            unit_cost_per_km=draw(st.sampled_from([0.0, 0.001])),
            processing_days=draw(st.integers(0, 2)),
            capacity_units_per_day=draw(st.sampled_from([None, None, None, 2, 50])),
            priority=draw(st.integers(0, 2)),
        )
        for n in range(n_loc)
    ]
    line_skus = draw(st.lists(st.sampled_from(skus), min_size=1, max_size=4, unique=True))
    lines = tuple(LineSpec(str(i), s, draw(st.integers(1, 3))) for i, s in enumerate(line_skus))
    order = OrderSpec("O", draw(st.floats(30, 45)), draw(st.floats(-110, -75)), lines)
    scarce = draw(st.booleans())
    stock = {
        (loc.id, s): draw(st.integers(0, 1 if scarce else 3)) for loc in locations for s in skus
    }
    params = Params(
        objective=draw(st.sampled_from(["cost", "time", "balanced"])),
        max_shipments_per_order=draw(st.integers(1, 3)),
        allow_line_split=draw(st.booleans()),
        time_limit_ms=20_000,
    )
    return [order], locations, stock, params


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=single_orders())
def test_auto_on_one_order_matches_highs(case: tuple) -> None:  # type: ignore[type-arg]
    orders, locations, stock, params = case
    problem = build_problem(orders, locations, stock, params)
    auto = solve(problem, params)
    highs = solve(problem, Params(**{**params.__dict__, "solver": "highs"}))
    assert auto.status == "optimal"
    expected = "exact" if applicable(problem) else "highs"
    assert auto.solver == ("none" if problem.n_arcs == 0 else expected)
    assert auto.objective == pytest.approx(highs.objective, rel=1e-6, abs=1e-3)


def test_a_search_that_gives_up_hands_the_order_to_highs(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    locations = [
        LocationSpec(
            f"L{n}",
            "warehouse",
            35 + rng.random() * 8,
            -100 + rng.random() * 20,
            frozenset({"ship"}),
            shipment_cost=5.0,
            unit_cost=0.4,
        )
        for n in range(12)
    ]
    lines = tuple(LineSpec(str(i), f"S{i}", 2) for i in range(4))
    stock = {(loc.id, f"S{i}"): int(rng.integers(0, 3)) for loc in locations for i in range(4)}
    problem = build_problem([OrderSpec("O", 40.0, -90.0, lines)], locations, stock)
    expected = solve(problem, Params(solver="exact"))
    monkeypatch.setattr(exact, "SEARCH_SHARE", 0.0)  # the deadline has passed when it starts
    result = solve(problem, Params())
    assert result.solver == "highs"
    assert "gave up" in result.message
    assert result.status == "optimal"
    assert result.objective == pytest.approx(expected.objective, rel=1e-9)
