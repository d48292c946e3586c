"""What a Result counts: the benchmark table reads these, so they must mean what they say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from optimizer import LineSpec, LocationSpec, OrderSpec, Params, solve_orders


def test_unfilled_lines_count_each_short_line_once_and_units_count_every_unit() -> None:
    warehouse = LocationSpec("A", "warehouse", 40.8, -74.0)
    order = OrderSpec(
        "o", 40.7, -74.0,
        (LineSpec("1", "SHORT", 3), LineSpec("2", "NONE", 2), LineSpec("3", "PLENTY", 1)),
    )
    result = solve_orders([order], [warehouse], {("A", "SHORT"): 1, ("A", "PLENTY"): 5},
                          Params())
    assert result.unfilled_lines() == 2  # lines 1 and 2
    assert result.unfilled_units() == 2 + 2
    assert result.shipments() == 1


@pytest.mark.parametrize("solver", ("auto", "exact", "highs", "lp_fix", "cbc", "cpsat", "split"))
def test_a_batch_with_no_stock_anywhere_is_proven_optimal_with_its_own_value_as_bound(
    solver: str,
) -> None:
    """Nothing can be sourced, so leaving everything short is optimal and nothing is cheaper:
    "optimal" must come with a zero gap (HiGHS left its MIP bound at 0 on the arc-less LP)."""
    warehouse = LocationSpec("A", "warehouse", 40.8, -74.0)
    orders = [OrderSpec(f"o{i}", 40.7, -74.0, (LineSpec("1", "GONE", 2),)) for i in range(3)]
    result = solve_orders(orders, [warehouse], {}, Params(solver=solver))
    assert result.unfilled_units() == 6
    assert result.status == "optimal"
    assert result.bound == pytest.approx(result.objective, rel=1e-4)
    assert result.gap == pytest.approx(0.0, abs=1e-4)


@pytest.mark.parametrize("solver", ("auto", "highs", "lp_fix", "cpsat", "split"))
@pytest.mark.parametrize("orders", [[], [OrderSpec("s1", 40.0, -90.0, ()),
                                         OrderSpec("s2", 41.0, -90.0, ())]],
                         ids=["no-orders", "orders-of-services-only"])
def test_nothing_to_source_is_optimal_not_a_time_limit(
        solver: str, orders: list[OrderSpec]) -> None:
    warehouse = LocationSpec("W", "warehouse", 40.0, -90.0)
    result = solve_orders(orders, [warehouse], {}, Params(solver=solver))
    assert (result.status, result.objective, result.gap) == ("optimal", 0.0, 0.0)
    assert "time" not in result.message


def test_a_model_cp_sat_refuses_is_not_reported_as_a_time_limit() -> None:
    """10^9 units overflow CP-SAT's integer model (MODEL_INVALID in milliseconds): the answer
    is the floor, honestly "feasible", with the reason in the message."""
    order = OrderSpec("o", 40.0, -90.0, (LineSpec("1", "X", 10**9),))
    dear = LocationSpec("W", "warehouse", 40.0, -90.0, unit_cost=1.0)
    cheap = LocationSpec("V", "warehouse", 40.0, -90.0, unit_cost=0.5)
    result = solve_orders([order], [dear, cheap], {("W", "X"): 10**9, ("V", "X"): 6 * 10**8},
                          Params(solver="cpsat"))
    assert result.status == "feasible"
    assert "MODEL_INVALID" in result.message and result.is_feasible()


def test_a_solve_prints_nothing_on_standard_output() -> None:
    """HiGHS's copyright banner would land in piped CLI output and among JSON log lines."""
    script = ("from optimizer import LineSpec, LocationSpec, OrderSpec, Params, solve_orders\n"
              "solve_orders([OrderSpec('o', 40, -74, (LineSpec('1', 'X', 1),))],\n"
              "             [LocationSpec('A', 'warehouse', 40.1, -74)], {('A', 'X'): 1},\n"
              "             Params(solver='highs'))\n"
              "print('done')\n")
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[3])
    assert ran.stdout == "done\n"


@pytest.mark.parametrize("solver", ["cpsat", "highs", "exact"])
def test_a_proven_optimum_near_zero_reports_a_gap_near_zero(solver: str) -> None:
    # free shipping: the objective is only the priority tie-break (5e-4); CP-SAT's bound is
    # lowered by its rounding slack, which read as a 20% gap on an "optimal" answer
    locs = [LocationSpec("L0", "warehouse", 40.0, -90.0, frozenset({"ship"})),
            LocationSpec("L1", "warehouse", 40.0, -90.0, frozenset({"ship"}), priority=1)]
    order = OrderSpec("O", 40.0, -90.0, (LineSpec("1", "X", 1),))
    result = solve_orders([order], locs, {("L0", "X"): 1}, Params(solver=solver))
    assert result.status == "optimal"
    assert result.gap is not None and result.gap < 1e-3


@pytest.mark.parametrize("qty", [50, 400])
def test_cpsat_proves_a_large_order_s_priority_tie_optimal(qty: int) -> None:
    # the tie-break per unit (1e-3 over the order's units and the priority ranks) rounded to
    # nothing at CP-SAT's 1/10,000 scale, and the rounding slack on the bound left the answer
    # "feasible" on a two-location instance
    locs = [LocationSpec("LOW", "warehouse", 48.0, -90.0, frozenset({"ship"}), priority=0),
            LocationSpec("HIGH", "warehouse", 48.0, -90.0, frozenset({"ship"}), priority=5)]
    order = OrderSpec("O", 40.0, -90.0, (LineSpec("1", "X", qty),))
    result = solve_orders([order], locs, {("LOW", "X"): 500, ("HIGH", "X"): 500},
                          Params(solver="cpsat"))
    assert result.status == "optimal"
    assert [s.location_id for s in result.assignments[0].shipments] == ["HIGH"]


def test_an_order_s_answer_is_found_by_id_also_after_answers_are_replaced() -> None:
    """``Result.assignment`` looks answers up by position (a joint run asks for every order's,
    some once per other order); an answer replaced in place, or the list reordered, is still
    found, and an unknown id is a KeyError."""
    from dataclasses import replace

    orders = [OrderSpec(f"O{n}", 40.0, -90.0, (LineSpec("1", "S", 1),)) for n in range(5)]
    locs = [LocationSpec("L", "warehouse", 41.0, -90.0)]
    result = solve_orders(orders, locs, {("L", "S"): 3})
    assert [result.assignment(f"O{n}").order_id for n in range(5)] == [f"O{n}" for n in range(5)]
    result.assignments[2] = replace(result.assignments[2], shipments=[])
    assert result.assignment("O2").shipments == []
    result.assignments.reverse()
    assert result.assignment("O0") is result.assignments[-1]
    with pytest.raises(KeyError):
        result.assignment("O9")
