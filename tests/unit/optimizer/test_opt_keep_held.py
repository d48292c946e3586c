"""Re-optimization keeps what an order holds on an exact tie (``OrderSpec.held``).

Without it a re-solve of allocations not yet released moved them whenever another location
tied (a higher location priority, or just the solver's pick), saving nothing and sometimes
promising the customer a later day; a run with nothing new could move them back again.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opt_cases import EXACT_BACKENDS, location, one_line_order, random_batch

from optimizer import LineSpec, OrderSpec, Params, build_problem, solve_orders
from optimizer.objective import TIE_BUDGET, arc_moves_off_held, moves_off_held

FAR = 48.0  # both locations the same distance from the customer: costs tie exactly


def _tied_pair() -> list:
    return [location("LOW", FAR, priority=0, shipment_cost=4.0),
            location("HIGH", FAR, priority=5, shipment_cost=4.0)]


def _why(result: object, loc_id: str) -> str:
    alternatives = result.assignments[0].alternatives  # type: ignore[attr-defined]
    return next(a.why_not for a in alternatives if a.location_id == loc_id)


@pytest.mark.parametrize("backend", EXACT_BACKENDS)
def test_an_order_keeps_its_units_where_it_holds_them_on_a_tie(backend: str) -> None:
    stock = {("LOW", "S"): 5, ("HIGH", "S"): 5}
    fresh = solve_orders([one_line_order()], _tied_pair(), stock, Params(solver=backend))
    assert fresh.assignments[0].shipments[0].location_id == "HIGH"  # priority decides a new one

    held = one_line_order(held=(("LOW", "S"),))
    result = solve_orders([held], _tied_pair(), stock, Params(solver=backend))
    assert result.assignments[0].shipments[0].location_id == "LOW"
    assert _why(result, "HIGH") == "already_allocated"
    assert result.cost() == pytest.approx(fresh.cost()) == 4.0


@pytest.mark.parametrize("objective", ["cost", "time", "balanced"])
def test_any_saving_moves_it(objective: str) -> None:
    locs = [location("LOW", FAR, shipment_cost=5.0, priority=0),
            location("HIGH", FAR, shipment_cost=4.99, priority=5)]
    stock = {("LOW", "S"): 5, ("HIGH", "S"): 5}
    held = one_line_order(qty=3, held=(("LOW", "S"),))
    result = solve_orders([held], locs, stock, Params(objective=objective))
    assert result.assignments[0].shipments[0].location_id == "HIGH"
    assert _why(result, "LOW") == "dearer"


def test_a_faster_location_wins_under_time_whatever_is_held() -> None:
    locs = [location("SLOW", FAR), location("FAST", 40.01, shipment_cost=50.0)]
    stock = {("SLOW", "S"): 5, ("FAST", "S"): 5}
    held = one_line_order(held=(("SLOW", "S"),))
    result = solve_orders([held], locs, stock, Params(objective="time"))
    assert result.assignments[0].shipments[0].location_id == "FAST"
    assert _why(result, "SLOW") == "slower"


def test_a_tie_between_two_orders_leaves_each_where_it_was() -> None:
    """Two orders each holding a unit at one of two tied locations: neither swaps."""
    locs = _tied_pair()
    stock = {("LOW", "S"): 1, ("HIGH", "S"): 1}
    first = one_line_order("a", held=(("LOW", "S"),))
    second = one_line_order("b", held=(("HIGH", "S"),))
    for orders in ([first, second], [second, first]):
        result = solve_orders(orders, locs, stock)
        where = {a.order_id: a.shipments[0].location_id for a in result.assignments}
        assert where == {"a": "LOW", "b": "HIGH"}


def test_only_skus_it_holds_are_kept() -> None:
    """A held cable says nothing about where its laptop comes from: priority still decides."""
    order = OrderSpec("o1", 40.0, -90.0, (LineSpec("1", "LAPTOP", 1), LineSpec("2", "CABLE", 1)),
                      held=(("LOW", "CABLE"),))
    locs = [location("LOW", FAR, priority=0, shipment_cost=0.0),
            location("HIGH", FAR, priority=5, shipment_cost=0.0)]
    stock = {("LOW", "CABLE"): 1, ("HIGH", "CABLE"): 1, ("LOW", "LAPTOP"): 1,
             ("HIGH", "LAPTOP"): 1}
    problem = build_problem([order], locs, stock, Params())
    moves = moves_off_held(problem, 0)
    cable, laptop = problem.skus.index("CABLE"), problem.skus.index("LAPTOP")
    assert moves[:, laptop].tolist() == [False, False]
    assert moves[:, cable].tolist() == [False, True]  # LOW holds it; HIGH would move it
    result = solve_orders([order], locs, stock, Params(allow_line_split=True))
    placed = {sku: s.location_id for s in result.assignments[0].shipments
              for _, sku, _ in s.lines}
    assert placed == {"CABLE": "LOW", "LAPTOP": "HIGH"}


def test_held_places_the_problem_does_not_know_are_ignored() -> None:
    """A closed location (not in the network any more) is no place to keep units at."""
    stock = {("LOW", "S"): 5, ("HIGH", "S"): 5}
    held = one_line_order(held=(("GONE", "S"), ("LOW", "OTHER")))
    problem = build_problem([held], _tied_pair(), stock, Params())
    assert not arc_moves_off_held(problem).any()
    result = solve_orders([held], _tied_pair(), stock)
    assert result.assignments[0].shipments[0].location_id == "HIGH"


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), share=st.floats(0.2, 1.0))
def test_keeping_held_units_never_costs_more_than_its_budget(seed: int, share: float) -> None:
    """For every instance: the answer with held units is as good, in money, as without them,
    up to the tie-break's own budget per order (it only decides between equal answers)."""
    orders, locs, stock = random_batch(4, 4, 3, seed)
    holding = [replace(o, held=tuple((locs[(i + k) % len(locs)].id, line.sku)
                                     for k, line in enumerate(o.lines)))
               if i < share * len(orders) else o for i, o in enumerate(orders)]
    params = Params(solver="highs")
    plain = solve_orders(orders, locs, stock, params)
    kept = solve_orders(holding, locs, stock, params)
    assert kept.unfilled_units() == plain.unfilled_units()
    assert kept.cost() <= plain.cost() + 2 * TIE_BUDGET * len(orders) + 1e-9
    assert plain.cost() <= kept.cost() + 2 * TIE_BUDGET * len(orders) + 1e-9
