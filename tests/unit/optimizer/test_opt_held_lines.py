"""Re-optimization hands units an order holds to an order of higher priority only
(``LineSpec.held``, ``objective.HELD_RANK``).

The run's restore rule (lifecycle.batch) lets an order lose units it holds only to an order of
higher priority; a model that did not know it moved units between orders of equal priority for
a shipping saving, and the run restored them in another solve. A line held whole now ranks half
a priority step higher, so every backend's answer follows the rule.
"""

from __future__ import annotations

import pytest
from opt_cases import EXACT_BACKENDS, location

from optimizer import LineSpec, OrderSpec, Params, build_problem, solve_orders
from optimizer.objective import build_weights

# NEAR is next to the waiting order, FAR holds the unit it would be shipped from: one unit of
# stock at FAR, which either order can have; the waiting order is nearer, so it is cheaper
LOCATIONS = [location("FAR", 40.0, -90.0, shipment_cost=5.0, unit_cost_per_km=0.01)]
STOCK = {("FAR", "S"): 1}


def _holder(held: int = 1, qty: int = 1, priority: int = 0) -> OrderSpec:
    """An order 1,100 km from FAR holding ``held`` of its ``qty`` units there."""
    return OrderSpec("holder", 30.0, -90.0, (LineSpec("1", "S", qty, held=held),),
                     priority=priority, held=(("FAR", "S"),) if held else ())


def _waiting(priority: int = 0) -> OrderSpec:
    """An order next to FAR waiting for a unit."""
    return OrderSpec("waiting", 40.1, -90.0, (LineSpec("1", "S", 1),), priority=priority)


def _filled(result: object) -> dict[str, int]:
    return {a.order_id: sum(q for s in a.shipments for _, _, q in s.lines)  # type: ignore[attr-defined]
            for a in result.assignments}  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", (*EXACT_BACKENDS, "greedy"))
def test_an_order_of_equal_priority_does_not_take_held_units(backend: str) -> None:
    """Greedy and order by order source the holder first (``Problem.sourcing_sequence``)."""
    plain = solve_orders([_waiting(), _holder(held=0)], LOCATIONS, STOCK,
                         Params(solver=backend))
    assert _filled(plain) == {"holder": 0, "waiting": 1}  # without holding: the cheaper one
    held = solve_orders([_waiting(), _holder()], LOCATIONS, STOCK, Params(solver=backend))
    assert _filled(held) == {"holder": 1, "waiting": 0}


@pytest.mark.parametrize("backend", EXACT_BACKENDS)
def test_an_order_of_higher_priority_takes_them(backend: str) -> None:
    result = solve_orders([_holder(), _waiting(priority=1)], LOCATIONS, STOCK,
                          Params(solver=backend))
    assert _filled(result) == {"holder": 0, "waiting": 1}


@pytest.mark.parametrize("backend", EXACT_BACKENDS)
def test_holding_does_not_outrank_a_higher_priority_even_when_it_is_dearer(
        backend: str) -> None:
    """The higher-priority order is the far one: it still takes the unit."""
    holder = OrderSpec("holder", 40.1, -90.0, (LineSpec("1", "S", 1, held=1),),
                       held=(("FAR", "S"),))
    waiting = OrderSpec("waiting", 30.0, -90.0, (LineSpec("1", "S", 1),), priority=3)
    result = solve_orders([holder, waiting], LOCATIONS, STOCK, Params(solver=backend))
    assert _filled(result) == {"holder": 0, "waiting": 1}


def test_a_line_held_in_part_keeps_its_rank() -> None:
    """Its waiting units must not go before an equal-priority order's: no bonus, and the
    cheaper order gets the unit (the run's restore rule guards the held unit)."""
    problem = build_problem([_holder(held=1, qty=2), _waiting()], LOCATIONS,
                            {("FAR", "S"): 2}, Params())
    penalty = build_weights(problem, Params()).line_penalty
    assert penalty[0] == pytest.approx(penalty[1])
    whole = build_problem([_holder(held=1), _waiting()], LOCATIONS, STOCK, Params())
    penalties = build_weights(whole, Params()).line_penalty
    assert penalties[1] < penalties[0] < 2 * penalties[1]  # half a rank, not a whole one


def test_a_held_unit_under_a_priced_unfilled_cost_is_dearer_to_leave() -> None:
    """Its price (2 x its dearest one-unit shipment) is weighed by the half rank too."""
    params = Params(unfilled_cost_factor=2.0)
    plain = build_problem([_holder(held=0), _waiting()], LOCATIONS, STOCK, params)
    held = build_problem([_holder(), _waiting()], LOCATIONS, STOCK, params)
    plain_penalty = build_weights(plain, params).line_penalty
    held_penalty = build_weights(held, params).line_penalty
    assert held_penalty[0] == pytest.approx(1.5 * plain_penalty[0])
    assert held_penalty[1] == pytest.approx(plain_penalty[1])


@pytest.mark.parametrize("held", [-1, 3])
def test_held_units_must_be_within_the_line(held: int) -> None:
    with pytest.raises(ValueError, match="held"):
        LineSpec("1", "S", 2, held=held)


def test_the_fewer_units_tie_break_stays_below_half_a_rank() -> None:
    """The fewer-units tie-break of all units together stays below the held half rank, so
    sums of ranks decide before counts of units (41 units here)."""
    waiting = [OrderSpec(f"w{k}", 40.1, -90.0, (LineSpec("1", "S", 2),)) for k in range(20)]
    problem = build_problem([_holder(), *waiting], LOCATIONS, STOCK, Params())
    penalty = build_weights(problem, Params()).line_penalty
    half_rank = penalty[0] - penalty[1]
    fill_base = 2 * half_rank  # HELD_RANK is half of one rank, i.e. of fill_base
    tie_per_unit = penalty[1] - fill_base
    assert 0 < tie_per_unit * int(problem.line_qty.sum()) < half_rank
