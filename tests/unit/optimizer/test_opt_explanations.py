"""Runner-ups carry the reason a person needs: why not the obvious location?"""

from __future__ import annotations

from opt_cases import SHIP, location, one_line_order

from optimizer import Params, solve_orders

NEAR = 40.01  # about 1 km from the customer at (40.0, -90.0)
FAR = 48.0  # about 890 km: two days at 800 km/day


def _why(result: object, loc_id: str) -> str:
    alternatives = result.assignments[0].alternatives  # type: ignore[attr-defined]
    return next(a.why_not for a in alternatives if a.location_id == loc_id)


def test_nearest_location_out_of_stock_is_no_stock() -> None:
    locs = [location("NEAR", NEAR, shipment_cost=1.0), location("FAR", FAR, shipment_cost=3.0)]
    result = solve_orders([one_line_order()], locs, {("FAR", "S"): 4, ("NEAR", "OTHER"): 9})
    assert result.assignments[0].shipments[0].location_id == "FAR"
    assert _why(result, "NEAR") == "no_stock"


def test_nearest_location_without_capacity_is_over_capacity() -> None:
    locs = [location("NEAR", NEAR, capacity_units_per_day=0), location("FAR", FAR)]
    stock = {("NEAR", "S"): 5, ("FAR", "S"): 5}
    result = solve_orders([one_line_order()], locs, stock, Params(objective="time"))
    assert result.assignments[0].shipments[0].location_id == "FAR"
    assert _why(result, "NEAR") == "over_capacity"


def test_a_slower_location_under_time_is_slower() -> None:
    locs = [location("NEAR", NEAR, shipment_cost=9.0), location("FAR", FAR, shipment_cost=1.0)]
    stock = {("NEAR", "S"): 5, ("FAR", "S"): 5}
    result = solve_orders([one_line_order()], locs, stock, Params(objective="time"))
    assert result.assignments[0].shipments[0].location_id == "NEAR"
    alternative = result.assignments[0].alternatives[0]
    assert (alternative.location_id, alternative.why_not) == ("FAR", "slower")
    assert alternative.delivery_days == 2 and alternative.cost == 1.0


def test_a_dearer_location_under_cost_is_dearer() -> None:
    locs = [location("NEAR", NEAR, shipment_cost=9.0), location("FAR", FAR, shipment_cost=1.0)]
    stock = {("NEAR", "S"): 5, ("FAR", "S"): 5}
    result = solve_orders([one_line_order()], locs, stock, Params(objective="cost"))
    assert result.assignments[0].shipments[0].location_id == "FAR"
    assert _why(result, "NEAR") == "dearer"


def test_an_inactive_location_is_ineligible_inactive() -> None:
    locs = [location("NEAR", NEAR, active=False), location("FAR", FAR, shipment_cost=3.0)]
    stock = {("NEAR", "S"): 5, ("FAR", "S"): 5}
    result = solve_orders([one_line_order()], locs, stock)
    assert result.assignments[0].shipments[0].location_id == "FAR"
    assert _why(result, "NEAR") == "ineligible:inactive"


def test_a_store_that_cannot_ship_and_a_distant_one_name_their_rule() -> None:
    locs = [
        location("STORE", NEAR, type="store", capabilities=frozenset({"pickup"})),
        location("FAR", FAR + 3, shipment_cost=30.0),
        location("OK", FAR, shipment_cost=3.0),
    ]
    stock = {(loc.id, "S"): 5 for loc in locs}
    result = solve_orders([one_line_order()], locs, stock, Params(max_distance_km=1000))
    assert result.assignments[0].shipments[0].location_id == "OK"
    assert _why(result, "STORE") == "ineligible:no_ship_capability"
    assert _why(result, "FAR") == "ineligible:max_distance"


def test_an_exact_tie_is_lost_on_location_priority() -> None:
    locs = [location("LOW", FAR, priority=0), location("HIGH", FAR, priority=5)]
    stock = {("LOW", "S"): 5, ("HIGH", "S"): 5}
    result = solve_orders([one_line_order()], locs, stock)
    assert result.assignments[0].shipments[0].location_id == "HIGH"
    assert _why(result, "LOW") == "lower_priority"


def test_explanations_stay_short() -> None:
    locs = [location(f"L{i}", 40 + i * 0.5, capabilities=SHIP) for i in range(8)]
    stock = {(loc.id, "S"): 5 for loc in locs}
    result = solve_orders([one_line_order()], locs, stock)
    assert len(result.assignments[0].alternatives) == 3
