"""Runner-ups are the real competitors first, then the better locations that lost on a rule.

The audit's case (t9): on the seeded network a cost quote chose WH-B and listed three locations
that hold no laptops at ``cost 0.0, no_stock`` while WH-A, the only other holder, was left out.
Short lines had no runner-ups at all, only one coarse reason on the line.
"""

from __future__ import annotations

import pytest
from opt_cases import location, one_line_order

from optimizer import Alternative, LineSpec, LocationSpec, OrderSpec, Params, Result, solve_orders

CUSTOMER = (40.71, -74.0)  # New York, as in the API tests' order_body
DROPSHIP = frozenset({"dropship"})


def _seeded_network() -> tuple[list[LocationSpec], dict[tuple[str, str], int]]:
    """tests/api/conftest.py's NETWORK and STOCK: stores and suppliers carry no price."""
    locs = [
        LocationSpec("WH-A", "warehouse", 40.73, -74.17, shipment_cost=12.0, cost_per_km=0.01),
        LocationSpec("WH-B", "warehouse", 32.78, -96.80, shipment_cost=4.0),
        LocationSpec("ST-1", "store", 40.75, -73.99, frozenset({"ship", "pickup"})),
        LocationSpec("ST-2", "store", 40.73, -74.17),
        LocationSpec("SUP-1", "supplier", 41.88, -87.63, DROPSHIP, processing_days=2),
        LocationSpec("SUP-2", "supplier", 33.75, -84.39, DROPSHIP, processing_days=3),
    ]
    stock = {
        ("WH-A", "LAPTOP-15"): 2,
        ("WH-B", "LAPTOP-15"): 5,
        ("ST-1", "PHONE-X"): 1,
        ("SUP-1", "CAM-BAG"): 40,
    }
    return locs, stock


def _laptop(qty: int = 1) -> OrderSpec:
    return OrderSpec("o1", *CUSTOMER, (LineSpec("1", "LAPTOP-15", qty),))


def _alternatives(result: Result) -> list[Alternative]:
    return result.assignments[0].alternatives


def _reasons(result: Result) -> dict[str, str]:
    return {a.location_id: a.why_not for a in _alternatives(result)}


def test_seeded_cost_quote_names_the_other_laptop_warehouse_as_dearer() -> None:
    locs, stock = _seeded_network()
    result = solve_orders([_laptop()], locs, stock, Params(objective="cost"))
    assert [s.location_id for s in result.assignments[0].shipments] == ["WH-B"]
    (runner_up,) = _alternatives(result)
    assert (runner_up.location_id, runner_up.why_not) == ("WH-A", "dearer")
    assert runner_up.delivery_days == 1 and runner_up.cost > 12.0
    assert runner_up.line_ids == ["1"]


def test_seeded_time_quote_names_the_cheap_warehouse_as_slower() -> None:
    locs, stock = _seeded_network()
    result = solve_orders([_laptop()], locs, stock, Params(objective="time"))
    assert [s.location_id for s in result.assignments[0].shipments] == ["WH-A"]
    assert [(a.location_id, a.why_not) for a in _alternatives(result)] == [("WH-B", "slower")]


def test_no_runner_up_is_an_unpriced_location_without_the_sku() -> None:
    locs, stock = _seeded_network()
    for objective in ("cost", "time", "balanced"):
        result = solve_orders([_laptop()], locs, stock, Params(objective=objective))  # type: ignore[arg-type]
        for alt in _alternatives(result):
            assert stock.get((alt.location_id, "LAPTOP-15"), 0) > 0 or alt.cost > 0, alt


def test_the_real_competitor_keeps_a_slot_when_better_locations_are_out_of_stock() -> None:
    locs = [location(f"OUT{i}", 40.01 + i, shipment_cost=1.0) for i in range(3)]
    locs += [
        location("CHOSEN", 44.0, shipment_cost=5.0),
        location("RIVAL", 45.0, shipment_cost=9.0),
    ]
    stock = {("CHOSEN", "S"): 3, ("RIVAL", "S"): 3}
    result = solve_orders([one_line_order()], locs, stock)
    assert result.assignments[0].shipments[0].location_id == "CHOSEN"
    listed = [(a.location_id, a.why_not) for a in _alternatives(result)]
    assert listed == [("RIVAL", "dearer"), ("OUT0", "no_stock"), ("OUT1", "no_stock")]


def test_the_near_warehouse_emptied_by_an_earlier_order_is_no_stock() -> None:
    locs = [location("NEAR", 40.01, shipment_cost=1.0), location("FAR", 48.0, shipment_cost=3.0)]
    urgent = one_line_order("urgent", priority=5)
    later = one_line_order("later")
    result = solve_orders([urgent, later], locs, {("NEAR", "S"): 1, ("FAR", "S"): 1})
    answer = result.assignment("later")
    assert answer.shipments[0].location_id == "FAR"
    assert [(a.location_id, a.why_not) for a in answer.alternatives] == [("NEAR", "no_stock")]


def test_a_backordered_line_lists_each_location_and_why_it_could_not_ship() -> None:
    locs = [
        location("FULL", 40.01, shipment_cost=1.0, capacity_units_per_day=0),
        location("DISTANT", 48.0, shipment_cost=2.0),
        location("CLOSED", 40.02, shipment_cost=1.0, active=False),
        location("STORE", 40.01, type="store"),  # no price, no S: nothing to tell
    ]
    stock = {("FULL", "S"): 5, ("DISTANT", "S"): 5, ("CLOSED", "S"): 5}
    result = solve_orders([one_line_order()], locs, stock, Params(max_distance_km=100))
    assignment = result.assignments[0]
    assert assignment.status == "backordered"
    assert _reasons(result) == {
        "FULL": "over_capacity",
        "DISTANT": "ineligible:max_distance",
        "CLOSED": "ineligible:inactive",
    }
    assert all(a.line_ids == ["1"] and a.cost > 0 for a in assignment.alternatives)


def test_a_short_line_lists_the_holders_that_ran_out() -> None:
    locs = [location("A", 40.01, shipment_cost=1.0), location("B", 41.0, shipment_cost=2.0)]
    result = solve_orders([one_line_order(qty=3)], locs, {("A", "S"): 1, ("B", "S"): 1})
    assignment = result.assignments[0]
    assert assignment.status == "partially_allocated"
    # the short unit names both holders; the packages do not name each other (the other is
    # part of the same answer, not a rival that had no stock)
    listed = sorted((a.line_ids[0], a.location_id, a.why_not) for a in assignment.alternatives)
    assert listed == [("1", "A", "no_stock"), ("1", "B", "no_stock")]
    assert {len(s.lines) for s in assignment.shipments} == {1}
    assert len(assignment.shipments) == 2


def test_a_single_inactive_location_still_explains_the_backorder() -> None:
    locs = [location("ONLY", 40.01, shipment_cost=1.0, active=False)]
    result = solve_orders([one_line_order()], locs, {("ONLY", "S"): 3})
    assert result.assignments[0].status == "backordered"
    assert _reasons(result) == {"ONLY": "ineligible:inactive"}


def test_sold_out_priced_warehouses_are_named_for_a_backorder() -> None:
    locs = [location("WH", 40.01, shipment_cost=2.0), location("STORE", 40.01, type="store")]
    result = solve_orders([one_line_order()], locs, {("STORE", "OTHER"): 1})
    assert result.assignments[0].status == "backordered"
    assert _reasons(result) == {"WH": "no_stock"}


def test_an_own_package_that_could_have_taken_the_lines_stays_a_rival() -> None:
    """Greedy ships X from the near A and Y from B; all from B was cheaper, so B is named."""
    locs = [location("A", 40.05, shipment_cost=9.0), location("B", 41.0, shipment_cost=4.0),
            location("C", 42.0, shipment_cost=8.0)]
    order = OrderSpec("o1", 40.0, -90.0, (LineSpec("1", "X", 1), LineSpec("2", "Y", 1)))
    stock = {("A", "X"): 1, ("B", "X"): 1, ("B", "Y"): 1, ("C", "X"): 1}
    result = solve_orders([order], locs, stock, Params(solver="greedy"))
    (assignment,) = result.assignments
    assert {s.location_id for s in assignment.shipments} == {"A", "B"}
    rivals_of_a = [(a.location_id, a.why_not) for a in assignment.alternatives
                   if a.line_ids == ["1"]]
    assert rivals_of_a[0] == ("B", "not_optimized")


def test_a_unit_the_shipment_limit_left_short_names_the_limit_and_whom_each_runner_up_lost_to(
) -> None:
    """Three warehouses hold one unit each, the order wants three and may ship twice: the
    third unit is short because of the limit, and the third warehouse lost the packages on
    price but the short unit on the limit (one entry per package it lost to, told apart)."""
    locs = [location(name, 40.01 + i, shipment_cost=1.0 + i) for i, name in enumerate("ABC")]
    stock = {(name, "S"): 1 for name in "ABC"}
    result = solve_orders([one_line_order(qty=3)], locs, stock,
                          Params(max_shipments_per_order=2))
    (assignment,) = result.assignments
    assert sorted(s.location_id for s in assignment.shipments) == ["A", "B"]
    assert [(u.qty, u.reason) for u in assignment.unallocated] == [(1, "max_shipments")]
    listed = {(a.location_id, a.instead_of, a.why_not) for a in assignment.alternatives}
    assert ("C", "A", "dearer") in listed and ("C", "B", "dearer") in listed
    assert ("C", None, "max_shipments") in listed
    # the order's own locations ran out: that, not the limit, is why they sent no more
    assert ("A", None, "no_stock") in listed and ("B", None, "no_stock") in listed
    assert len(listed) == len(assignment.alternatives)


def test_a_unit_other_orders_took_is_constrained_not_the_shipment_limit() -> None:
    locs = [location("A", 40.01, shipment_cost=1.0), location("B", 41.0, shipment_cost=2.0)]
    urgent = one_line_order("urgent", qty=1, priority=5)
    later = one_line_order("later", qty=2)
    result = solve_orders([urgent, later], locs, {("A", "S"): 1, ("B", "S"): 1},
                          Params(max_shipments_per_order=2))
    answer = result.assignment("later")
    assert [s.location_id for s in answer.shipments] == ["B"]  # A's unit went to "urgent"
    assert [(u.qty, u.reason) for u in answer.unallocated] == [(1, "constrained")]


SHIP = frozenset({"ship"})


@pytest.mark.parametrize("solver", ["exact", "highs"])
def test_a_runner_up_needs_every_unit_of_a_sku_the_package_takes(solver: str) -> None:
    # two lines of one SKU in one package: L1 holds one unit, so it could not send the package
    # (it holds some of it: not "no stock")
    locs = [LocationSpec("L0", "warehouse", 40.0, -90.0, SHIP, shipment_cost=10.0),
            LocationSpec("L1", "warehouse", 40.0, -90.0, SHIP, shipment_cost=1.0)]
    order = OrderSpec("O", 40.0, -90.0, (LineSpec("l1", "A", 1), LineSpec("l2", "A", 1)))
    result = solve_orders([order], locs, {("L0", "A"): 2, ("L1", "A"): 1},
                          Params(max_shipments_per_order=1, solver=solver))
    assignment = result.assignments[0]
    assert [s.location_id for s in assignment.shipments] == ["L0"]
    assert [(a.location_id, a.why_not) for a in assignment.alternatives] == \
        [("L1", "insufficient_stock")]


def test_a_short_line_s_runner_ups_holding_some_of_its_units_lost_to_the_shipment_limit() -> None:
    # three warehouses one unit each, an order for 3 that may take one package: the two units
    # left short could have come from M2 and M3, which only the shipment limit kept out
    locs = [LocationSpec(f"M{n}", "warehouse", 40.7 + n / 100, -74.0, SHIP,
                         shipment_cost=2.0 + n) for n in (1, 2, 3)]
    order = OrderSpec("O", 40.71, -74.0, (LineSpec("1", "A", 3),))
    result = solve_orders([order], locs, {(f"M{n}", "A"): 1 for n in (1, 2, 3)},
                          Params(max_shipments_per_order=1))
    assignment = result.assignments[0]
    assert [s.location_id for s in assignment.shipments] == ["M1"]
    assert assignment.unallocated[0].reason == "max_shipments"
    reasons = {a.location_id: a.why_not for a in assignment.alternatives if a.instead_of is None}
    assert reasons == {"M1": "no_stock", "M2": "max_shipments", "M3": "max_shipments"}


def test_a_package_runner_up_holding_part_of_the_units_is_short_not_empty() -> None:
    # the near warehouse holds 2 of the 3 laptops: the far one sends all 3
    locs = [LocationSpec("NEAR", "warehouse", 40.73, -74.17, SHIP, shipment_cost=12.0),
            LocationSpec("FAR", "warehouse", 32.78, -96.80, SHIP, shipment_cost=5.0)]
    order = OrderSpec("O", 40.71, -74.0, (LineSpec("1", "A", 3),))
    result = solve_orders([order], locs, {("NEAR", "A"): 2, ("FAR", "A"): 5},
                          Params(objective="cost"))
    assignment = result.assignments[0]
    assert [s.location_id for s in assignment.shipments] == ["FAR"]
    assert [(a.location_id, a.why_not) for a in assignment.alternatives] == \
        [("NEAR", "insufficient_stock")]


@pytest.mark.parametrize("solver", ["highs", "cpsat", "cbc", "scip"])
def test_location_priority_breaks_a_tie_in_a_joint_time_solve(solver: str) -> None:
    # O1 can take its unit from L0 (priority 1) or L2 (priority 0) at the same cost and days;
    # HiGHS handed back its start (L2) while reporting the tie-broken optimum's value
    locs = [LocationSpec("L0", "store", 40.415, -86.985, SHIP, shipment_cost=3.0,
                         processing_days=1, km_per_day=200.0, capacity_units_per_day=3,
                         priority=1),
            LocationSpec("L2", "store", 38.380, -89.885, SHIP, shipment_cost=3.0,
                         processing_days=1, km_per_day=200.0, capacity_units_per_day=1,
                         priority=0)]
    o0 = OrderSpec("O0", 38.973, -93.095, (LineSpec("l0", "A", 1), LineSpec("l1", "A", 1),
                                           LineSpec("l2", "B", 2)), priority=1, shipments_made=2)
    o1 = OrderSpec("O1", 41.195, -92.925, (LineSpec("l0", "A", 1),), priority=2,
                   shipments_made=1)
    # a limit far above the milliseconds it takes, and the answer must be proven: on a loaded
    # machine (load average 6-7) CP-SAT's eight workers returned the untied answer
    result = solve_orders([o0, o1], locs, {("L0", "A"): 3, ("L2", "A"): 2},
                          Params(objective="time", allow_line_split=False, solver=solver,
                                 time_limit_ms=30_000))
    assert result.status == "optimal"
    o1_answer = result.assignment("O1")
    assert [s.location_id for s in o1_answer.shipments] == ["L0"]
    assert all(a.why_not != "lower_priority" or a.location_id == "L2"
               for a in o1_answer.alternatives)


def test_a_faster_package_that_would_not_bring_the_order_sooner_lost_on_cost() -> None:
    """Under ``time`` an order arrives with its slowest package: X only at F (3 days) makes it
    day 3 whatever ships Y, so N (1 day, dear) lost to G (2 days, cheap) on cost, not to the
    batch (``joint_constraints`` named a batch there is none of)."""
    slow = LocationSpec("F", "warehouse", 48.0, -90.0, shipment_cost=1.0, km_per_day=300.0)
    near = LocationSpec("N", "warehouse", 40.01, -90.0, shipment_cost=20.0)
    cheap = LocationSpec("G", "warehouse", 43.0, -90.0, shipment_cost=2.0, km_per_day=300.0)
    order = OrderSpec("o1", 40.0, -90.0, (LineSpec("1", "X", 1), LineSpec("2", "Y", 1)))
    stock = {("F", "X"): 5, ("N", "Y"): 5, ("G", "Y"): 5}
    for objective in ("time", "balanced"):
        result = solve_orders([order], [slow, near, cheap], stock,
                              Params(objective=objective, cost_per_day=5.0))  # type: ignore[arg-type]
        assert sorted(s.location_id for s in result.assignments[0].shipments) == ["F", "G"]
        (rival,) = [a for a in _alternatives(result)
                    if a.location_id == "N" and a.instead_of == "G"]
        assert (rival.why_not, rival.instead_of, rival.delivery_days) == ("dearer", "G", 1)


@pytest.mark.parametrize("solver", ["exact", "highs", "cpsat", "split"])
def test_the_rest_of_an_order_is_not_rushed_past_a_package_already_slower(solver: str) -> None:
    """The order's first package arrives in 7 days (``days_made``): under ``time`` its rest
    from G (2 days, cheap) brings it no later than from N (1 day, dear), so N lost on cost.
    Without that package N's day wins."""
    near = LocationSpec("N", "warehouse", 40.01, -90.0, shipment_cost=40.0)
    cheap = LocationSpec("G", "warehouse", 43.0, -90.0, shipment_cost=5.0, km_per_day=300.0)
    stock = {("N", "X"): 1, ("G", "X"): 1}
    for made, chosen, rival, why in ((7, "G", "N", "dearer"), (0, "N", "G", "slower")):
        order = OrderSpec("o1", 40.0, -90.0, (LineSpec("1", "X", 1),), shipments_made=1,
                          days_made=made)
        result = solve_orders([order], [near, cheap], stock,
                              Params(objective="time", solver=solver))  # type: ignore[arg-type]
        (shipment,) = result.assignments[0].shipments
        assert shipment.location_id == chosen
        assert {a.location_id: a.why_not for a in _alternatives(result)} == {rival: why}
        # the package's own promise stays its own days, not the order's
        assert shipment.delivery_days == {"N": 1, "G": 2}[shipment.location_id]


def test_a_rival_cheaper_by_less_than_the_priority_tie_break_lost_on_priority() -> None:
    """Location priority may decide between costs within TIE_BUDGET of each other; the rival
    lost on priority then, not to joint constraints."""
    preferred = LocationSpec("P", "warehouse", 40.0, -90.0, shipment_cost=10.0002, priority=5)
    other = LocationSpec("Q", "warehouse", 40.0, -90.0, shipment_cost=10.0, priority=0)
    result = solve_orders([one_line_order()], [preferred, other], {("P", "S"): 3, ("Q", "S"): 3})
    assert [s.location_id for s in result.assignments[0].shipments] == ["P"]
    assert _reasons(result) == {"Q": "lower_priority"}
    # past what the tie-break adds here (0.0005 for one unit), Q is simply better: greedy's
    # choice of P is not optimized, and the optimizer chooses Q
    dearer = LocationSpec("P", "warehouse", 40.0, -90.0, shipment_cost=10.0008, priority=5)
    stock = {("P", "S"): 3, ("Q", "S"): 3}
    greedy = solve_orders([one_line_order()], [dearer, other], stock, Params(solver="greedy"))
    assert [s.location_id for s in greedy.assignments[0].shipments] == ["P"]
    assert _reasons(greedy)["Q"] == "not_optimized"
    best = solve_orders([one_line_order()], [dearer, other], stock)
    assert [s.location_id for s in best.assignments[0].shipments] == ["Q"]


def _pickup_network(store_stock: int, **store: object
                    ) -> tuple[list[LocationSpec], dict[tuple[str, str], int]]:
    store.setdefault("capabilities", frozenset({"ship", "pickup"}))
    locs = [location("S1", 40.01, type="store", shipment_cost=2.0, **store)] + [
        location(f"W{k}", 40.1 + k / 10, shipment_cost=1.0) for k in range(1, 5)]
    stock = {("S1", "S"): store_stock, **{(f"W{k}", "S"): 5 for k in range(1, 5)}}
    return locs, stock


@pytest.mark.parametrize(("store_stock", "store", "why"), [
    (0, {}, "no_stock"),
    (5, {"capacity_units_per_day": 0}, "over_capacity"),
    (5, {"active": False}, "ineligible:inactive"),
    (5, {"capabilities": frozenset({"ship"})}, "ineligible:no_pickup_capability"),
])
def test_a_pickup_order_short_at_its_store_names_the_store_and_only_the_store(
        store_stock: int, store: dict[str, object], why: str) -> None:
    """Every other location is 'not the pickup location' with a made-up zero-distance price;
    four warehouses holding the SKU used to fill the short list and leave the store out."""
    locs, stock = _pickup_network(store_stock, **store)
    order = one_line_order(method="pickup", pickup_location_id="S1")
    result = solve_orders([order], locs, stock)
    assert result.assignments[0].status == "backordered"
    assert _reasons(result) == {"S1": why}


def test_balanced_lookahead_does_not_turn_a_slower_loser_into_a_held_one() -> None:
    """N saves 2 but takes a day more (5 a day): it loses without lookahead too."""
    locs = [location("C", 40.01, shipment_cost=4.0), location("N", 48.0, shipment_cost=2.0)]
    stock = {("C", "S"): 5, ("N", "S"): 5}
    for prices in (None, {("N", "S"): 10.0}):
        result = solve_orders([one_line_order()], locs, stock,
                              Params(objective="balanced", opportunity_costs=prices))
        assert result.assignments[0].shipments[0].location_id == "C"
        assert _reasons(result) == {"N": "slower"}


def test_balanced_lookahead_names_the_winner_it_overturned_held_for_later_orders() -> None:
    """N saves 8 for a day more (5 a day): it wins alone; only its lookahead price loses it."""
    locs = [location("C", 40.01, shipment_cost=10.0), location("N", 48.0, shipment_cost=2.0)]
    stock = {("C", "S"): 5, ("N", "S"): 5}
    plain = solve_orders([one_line_order()], locs, stock, Params(objective="balanced"))
    assert plain.assignments[0].shipments[0].location_id == "N"
    held = solve_orders([one_line_order()], locs, stock, Params(
        objective="balanced", opportunity_costs={("N", "S"): 10.0}))
    assert held.assignments[0].shipments[0].location_id == "C"
    assert _reasons(held) == {"N": "held_for_later_orders"}


def test_equal_locations_of_equal_priority_are_tied_not_lower_priority() -> None:
    locs = [location("A", 41.0, shipment_cost=4.0), location("B", 41.0, shipment_cost=4.0)]
    result = solve_orders([one_line_order()], locs, {("A", "S"): 5, ("B", "S"): 5})
    (shipment,) = result.assignments[0].shipments
    loser = "B" if shipment.location_id == "A" else "A"
    assert _reasons(result) == {loser: "tied"}


def test_a_short_line_s_runner_up_is_judged_for_itself_not_by_the_line_s_one_reason() -> None:
    """The line is short because stock ran out (insufficient_stock): W1 sent 1 of 3. W2 still
    had a unit, cheap, but the order may ship once: max_shipments, in a one-order answer
    proven optimal (it was 'joint_constraints', losing to other orders there are none of)."""
    locs = [location("W1", 40.01, shipment_cost=1.0), location("W2", 40.02, shipment_cost=5.0)]
    result = solve_orders([one_line_order(qty=3)], locs, {("W1", "S"): 1, ("W2", "S"): 1},
                          Params(max_shipments_per_order=1))
    (assignment,) = result.assignments
    assert result.status == "optimal" and assignment.unallocated[0].reason == "insufficient_stock"
    short = {a.location_id: a.why_not for a in assignment.alternatives if a.instead_of is None}
    assert short == {"W2": "max_shipments", "W1": "no_stock"}


def test_a_runner_up_cheaper_than_leaving_the_unit_short_names_the_shipment_limit() -> None:
    """Line 2 is short 'dearer_than_unfilled' at W1 (its lookahead price); W2 would have sent
    it for 1.0, under the unit's price, but as a second package: max_shipments, not dearer."""
    locs = [location("W1", 40.01, shipment_cost=1.0), location("W2", 40.02, shipment_cost=1.0)]
    order = OrderSpec("o1", 40.0, -90.0, (LineSpec("1", "A", 200), LineSpec("2", "B", 1)))
    stock = {("W1", "A"): 200, ("W1", "B"): 1, ("W2", "B"): 1}
    result = solve_orders([order], locs, stock, Params(
        max_shipments_per_order=1, unfilled_cost_factor=0.5,
        opportunity_costs={("W1", "B"): 100.0}))
    (assignment,) = result.assignments
    assert assignment.unallocated[0].line_id == "2"
    short = {a.location_id: a.why_not for a in assignment.alternatives if a.instead_of is None}
    assert short == {"W2": "max_shipments", "W1": "held_for_later_orders"}


def test_an_own_package_is_priced_without_the_package_it_already_pays() -> None:
    """Greedy ships X from A and Y from B; Y could have gone in A's parcel for its unit cost
    alone (1.0), not a whole new parcel's 6.0, so A is 'not_optimized', not 'dearer'."""
    locs = [location("A", 40.02, shipment_cost=5.0, unit_cost=1.0),
            location("B", 40.003, shipment_cost=4.0)]  # nearer: greedy's pick for Y
    order = OrderSpec("o1", 40.0, -90.0, (LineSpec("1", "X", 1), LineSpec("2", "Y", 1)))
    stock = {("A", "X"): 1, ("A", "Y"): 1, ("B", "Y"): 1}
    result = solve_orders([order], locs, stock, Params(solver="greedy"))
    (assignment,) = result.assignments
    assert {s.location_id for s in assignment.shipments} == {"A", "B"}
    rivals_of_b = [(a.location_id, a.cost, a.why_not) for a in assignment.alternatives
                   if a.instead_of == "B"]
    assert rivals_of_b == [("A", 1.0, "not_optimized")]


def test_a_short_line_s_runner_up_is_priced_at_the_units_it_had_left() -> None:
    """W1 sent 1 of 3; W2 had 1 unit, at 5 + 1 = 6, against 0.9 x 6 = 5.4 for leaving it
    short: the answer (proven optimal, one order) left it short because it was dearer. Priced
    at both missing units (7 against 10.8) it looked cheap enough and lost to 'joint
    constraints', which a one-order answer has none of."""
    locs = [location("W1", 40.01, shipment_cost=1.0),
            location("W2", 40.02, shipment_cost=5.0, unit_cost=1.0)]
    result = solve_orders([one_line_order(qty=3)], locs, {("W1", "S"): 1, ("W2", "S"): 1},
                          Params(unfilled_cost_factor=0.9))
    (assignment,) = result.assignments
    assert result.status == "optimal" and assignment.unallocated[0].qty == 2
    short = {a.location_id: (a.cost, a.why_not) for a in assignment.alternatives
             if a.instead_of is None}
    assert short["W2"] == (6.0, "dearer")
    # W1 has nothing left: listed at what all the missing units would add to its parcel
    assert short["W1"] == (0.0, "no_stock")


def test_a_short_line_s_runner_up_is_charged_only_the_days_it_adds() -> None:
    """Under balanced, X goes from A (4 days); Y's unit at B (1 day, 1.0) would not make the
    order later, so leaving it short (6.0) is no cheaper: B lost to the one-package limit
    (with two packages allowed the answer sends it), not 'dearer' for 4 days of arrival."""
    far = LocationSpec("A", "warehouse", 43.0, -90.0, frozenset({"ship"}), shipment_cost=1.0,
                       km_per_day=100.0)
    near = location("B", 40.01, shipment_cost=1.0)
    order = OrderSpec("o1", 40.0, -90.0, (LineSpec("1", "X", 1), LineSpec("2", "Y", 1)))
    stock = {("A", "X"): 1, ("B", "Y"): 1}
    limited = solve_orders([order], [far, near], stock, Params(
        objective="balanced", unfilled_cost_factor=1.0, max_shipments_per_order=1))
    (assignment,) = limited.assignments
    assert [s.location_id for s in assignment.shipments] == ["A"]
    short = {a.location_id: a.why_not for a in assignment.alternatives if a.instead_of is None}
    assert short == {"B": "max_shipments"}
    freer = solve_orders([order], [far, near], stock, Params(
        objective="balanced", unfilled_cost_factor=1.0, max_shipments_per_order=2))
    assert sorted(s.location_id for s in freer.assignments[0].shipments) == ["A", "B"]


def test_a_short_line_s_runner_up_in_the_order_s_own_parcel_shows_no_package_fee() -> None:
    """X ships from A; Y could have gone in A's parcel for its unit (5.0), dearer than leaving
    it short (0.5 x 6 = 3.0): shown at 5.0, not with A's package fee again (6.0)."""
    own = location("A", 40.01, shipment_cost=1.0, unit_cost=5.0)
    dear = location("C", 40.02, shipment_cost=1000.0)
    order = OrderSpec("o1", 40.0, -90.0, (LineSpec("1", "X", 1), LineSpec("2", "Y", 1)))
    result = solve_orders([order], [own, dear], {("A", "X"): 1, ("A", "Y"): 1, ("C", "X"): 1},
                          Params(unfilled_cost_factor=0.5))
    (assignment,) = result.assignments
    assert assignment.unallocated[0].line_id == "2"
    short = {a.location_id: (a.cost, a.why_not) for a in assignment.alternatives
             if a.instead_of is None}
    assert short["A"] == (5.0, "dearer")
