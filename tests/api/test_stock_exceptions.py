"""A count below what is reserved, or a location that closes, under live allocations.

The shelf is the truth: the count is accepted, unreleased allocations give units back and their
orders are sourced again in the same transaction; work already released is escalated.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from dom.bootstrap import Container
from tests.api.conftest import ADMIN, CHANNEL, OPS, PLANNER
from tests.api.helpers import escalation_states

NETWORK: list[tuple[str, dict[str, Any]]] = [
    # Near and dear, far and cheap: a cost objective sources from WH-FAR first.
    ("WH-NEAR", {"name": "Warehouse Near", "type": "warehouse", "lat": 40.73, "lon": -74.17,
                 "capabilities": ["ship"], "shipment_cost": 12.0}),
    ("WH-FAR", {"name": "Warehouse Far", "type": "warehouse", "lat": 32.78, "lon": -96.80,
                "capabilities": ["ship"], "shipment_cost": 4.0}),
    ("ST-1", {"name": "Store Manhattan", "type": "store", "lat": 40.75, "lon": -73.99,
              "capabilities": ["ship", "pickup"], "shipment_cost": 30.0}),
]
STOCK = [("WH-NEAR", "LAPTOP-15", 5), ("WH-FAR", "LAPTOP-15", 5), ("ST-1", "LAPTOP-15", 2)]


def _setup(client: TestClient, release_delay_minutes: int) -> TestClient:
    for location_id, body in NETWORK:
        assert client.put(f"/v1/locations/{location_id}", json=body,
                          headers=ADMIN).status_code == 201
    assert client.put("/v1/products/LAPTOP-15", json={"name": "Laptop 15"},
                      headers=ADMIN).status_code == 201
    for location_id, sku, on_hand in STOCK:
        assert client.put(f"/v1/inventory/{location_id}/{sku}", json={"on_hand": on_hand},
                          headers=ADMIN).status_code == 200
    assert client.put("/v1/policy", json={"objective": "cost",
                                          "release_delay_minutes": release_delay_minutes},
                      headers=PLANNER).status_code == 200
    return client


@pytest.fixture
def held(container: Container) -> Iterator[TestClient]:
    """Allocations wait an hour before release, so a count can still move them (both backends)."""
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield _setup(client, 60)


@pytest.fixture
def released(client: TestClient) -> TestClient:
    """Allocations go to the location at once: a count can only flag them."""
    return _setup(client, 0)


def _place(client: TestClient, ref: str, qty: int = 1, priority: int = 0,
           **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "web", "channel_order_id": ref, "priority": priority,
        "customer": {"id": "C-1", "name": "Ada", "email": "ada@example.com"},
        "ship_to": {"lat": 40.71, "lon": -74.0}, "payment": {"status": "authorized"},
        "lines": [{"line_id": "1", "sku": "LAPTOP-15", "qty": qty, "unit_price": 999.0}]}
    body.update(extra)
    response = client.post("/v1/orders", json=body, headers=CHANNEL)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _order(client: TestClient, order_id: str) -> dict[str, Any]:
    return dict(client.get(f"/v1/orders/{order_id}", headers=OPS).json())


def _live(client: TestClient, order_id: str) -> dict[str, int]:
    """Units per location of the order's fulfillments that still hold stock."""
    found: dict[str, int] = {}
    for f in _order(client, order_id)["fulfillments"]:
        if f["status"] not in ("cancelled", "rejected"):
            found[f["location_id"]] = found.get(f["location_id"], 0) + \
                sum(line["qty"] for line in f["lines"])
    return found


def _position(client: TestClient, location_id: str) -> tuple[int, int]:
    positions = client.get("/v1/inventory", params={"sku": "LAPTOP-15"},
                           headers=OPS).json()["positions"]
    (found,) = [p for p in positions if p["location_id"] == location_id]
    return found["on_hand"], found["reserved"]


def _fulfillment_at(placed: dict[str, Any], location_id: str) -> str:
    (found,) = [f["fulfillment_id"] for f in placed["fulfillments"]
                if f["location_id"] == location_id]
    return str(found)


def test_a_count_below_reserved_moves_the_newest_low_priority_allocation(
        held: TestClient) -> None:
    vip = _place(held, "VIP", priority=5)
    older = _place(held, "OLDER")
    newer = _place(held, "NEWER")
    for placed in (vip, older, newer):
        assert _live(held, placed["order_id"]) == {"WH-FAR": 1}
    assert _position(held, "WH-FAR") == (5, 3)

    response = held.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 2}, headers=ADMIN)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["on_hand"], body["reserved"], body["available"]) == (2, 2, 0)
    assert body["reallocation"] == {
        "fulfillments_withdrawn": [_fulfillment_at(newer, "WH-FAR")],
        "orders_resourced": [newer["order_id"]], "fulfillments_at_risk": []}
    assert _live(held, vip["order_id"]) == {"WH-FAR": 1}
    assert _live(held, older["order_id"]) == {"WH-FAR": 1}
    assert _live(held, newer["order_id"]) == {"WH-NEAR": 1}
    assert _position(held, "WH-NEAR") == (5, 1)
    moved = _order(held, newer["order_id"])
    assert moved["status"] == "allocated"
    (cancelled,) = [e for e in moved["timeline"] if e["type"] == "fulfillment.cancelled"]
    assert cancelled["message"] == ("Allocation taken back: stock count at Warehouse Far left "
                                    "2 unit(s) of LAPTOP-15 for 3 reserved")
    assert cancelled["data"]["reason"] == "stock_count"
    customer = held.get(f"/v1/track/{newer['order_id']}",
                        params={"token": newer["tracking_token"]}).json()
    assert [e["type"] for e in customer["timeline"]] == ["order.received", "order.allocated",
                                                         "order.allocated"]


def test_what_a_count_leaves_goes_to_the_most_urgent_order_whoever_came_first(
        held: TestClient) -> None:
    """Both allocations give their units back; the urgent order, placed first, takes the two
    left before the other is sourced again (it was re-sourced while the other still held them)."""
    for location_id in ("WH-NEAR", "ST-1"):
        held.put(f"/v1/inventory/{location_id}/LAPTOP-15", json={"on_hand": 0}, headers=ADMIN)
    held.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 6}, headers=ADMIN)
    urgent = _place(held, "URGENT", qty=3, priority=5)
    other = _place(held, "OTHER", qty=3)
    assert _position(held, "WH-FAR") == (6, 6)

    response = held.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 2}, headers=ADMIN)

    assert sorted(response.json()["reallocation"]["orders_resourced"]) == \
        sorted([urgent["order_id"], other["order_id"]])
    assert _live(held, urgent["order_id"]) == {"WH-FAR": 2}
    assert _order(held, urgent["order_id"])["status"] == "partially_allocated"
    assert _live(held, other["order_id"]) == {}
    assert _order(held, other["order_id"])["status"] == "backordered"
    assert _position(held, "WH-FAR") == (2, 2)


def test_a_count_that_covers_what_is_reserved_moves_nothing(held: TestClient) -> None:
    placed = _place(held, "KEEP", qty=2)
    response = held.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 2}, headers=ADMIN)
    assert response.json()["reallocation"]["fulfillments_withdrawn"] == []
    assert _live(held, placed["order_id"]) == {"WH-FAR": 2}


def test_a_damage_adjustment_and_a_csv_import_reconcile_the_same_way(held: TestClient) -> None:
    first = _place(held, "FIRST", qty=3)
    second = _place(held, "SECOND", qty=2)
    assert _position(held, "WH-FAR") == (5, 5)
    damaged = held.post("/v1/inventory/adjustments", headers=ADMIN, json={
        "location_id": "WH-FAR", "sku": "LAPTOP-15", "delta": -1, "reason": "dropped"})
    assert damaged.status_code == 201, damaged.text
    assert damaged.json()["reallocation"]["orders_resourced"] == [second["order_id"]]
    assert _live(held, second["order_id"]) == {"WH-NEAR": 2}
    (event,) = [e for e in _order(held, second["order_id"])["timeline"]
                if e["type"] == "fulfillment.cancelled"]
    assert "adjustment (dropped) at Warehouse Far" in event["message"]

    imported = held.post("/v1/inventory/import", content="location_id,sku,on_hand\n"
                         "WH-FAR,LAPTOP-15,0\n",
                         headers={**ADMIN, "Content-Type": "text/csv"})
    assert imported.status_code == 200, imported.text
    assert imported.json()["reallocation"]["orders_resourced"] == [first["order_id"]]
    assert _live(held, first["order_id"]) == {"WH-NEAR": 3}
    assert _position(held, "WH-FAR") == (0, 0)
    assert _position(held, "WH-NEAR") == (5, 5)


def test_an_order_nothing_else_can_fill_is_backordered_even_under_reject(
        held: TestClient) -> None:
    for location_id in ("WH-NEAR", "ST-1"):
        held.put(f"/v1/inventory/{location_id}/LAPTOP-15", json={"on_hand": 0}, headers=ADMIN)
    held.put("/v1/policy", json={"backorder": "reject", "release_delay_minutes": 60},
             headers=PLANNER)
    placed = _place(held, "LAST-ONE", qty=2)

    response = held.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 0}, headers=ADMIN)

    assert response.status_code == 200, response.text
    assert response.json()["reallocation"]["orders_resourced"] == [placed["order_id"]]
    assert _position(held, "WH-FAR") == (0, 0)
    after = _order(held, placed["order_id"])
    assert after["status"] == "backordered"
    assert "notification.sent" in [e["type"] for e in after["timeline"]]


def test_an_order_on_hold_gives_its_units_back_and_waits(held: TestClient) -> None:
    placed = _place(held, "HELD")
    failed = held.post(f"/v1/orders/{placed['order_id']}/payment", json={"status": "failed"},
                       headers=CHANNEL)
    assert failed.json()["status"] == "on_hold"
    assert _live(held, placed["order_id"]) == {"WH-FAR": 1}
    response = held.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 0}, headers=ADMIN)
    assert response.json()["reallocation"]["orders_resourced"] == []
    assert _live(held, placed["order_id"]) == {}
    assert held.post(f"/v1/orders/{placed['order_id']}/payment", json={"status": "confirmed"},
                     headers=CHANNEL).status_code == 200
    assert _live(held, placed["order_id"]) == {"WH-NEAR": 1}


def test_released_work_the_shelf_no_longer_covers_is_escalated(released: TestClient) -> None:
    placed = _place(released, "GONE", qty=2)
    fulfillment = _fulfillment_at(placed, "WH-FAR")

    response = released.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 1},
                            headers=ADMIN)

    assert response.json()["reallocation"] == {
        "fulfillments_withdrawn": [], "orders_resourced": [],
        "fulfillments_at_risk": [fulfillment]}
    assert _live(released, placed["order_id"]) == {"WH-FAR": 2}  # released work stays
    types = [e["type"] for e in _order(released, placed["order_id"])["timeline"]]
    assert "fulfillment.at_risk" in types and "escalation.opened" in types
    escalations = released.get("/v1/escalations", params={"status": "open"},
                               headers=OPS).json()["items"]
    assert [(e["kind"], e["fulfillment_id"]) for e in escalations] == \
        [("fulfillment_at_risk", fulfillment)]
    # the next count the same way opens nothing new while that escalation is open
    released.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 0}, headers=ADMIN)
    assert len(released.get("/v1/escalations", params={"status": "open"},
                            headers=OPS).json()["items"]) == 1


def test_released_work_that_ships_anyway_corrects_the_count(released: TestClient) -> None:
    placed = _place(released, "SHIPPED-ANYWAY", qty=2)
    fulfillment = _fulfillment_at(placed, "WH-FAR")
    released.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 0}, headers=ADMIN)
    assert _position(released, "WH-FAR") == (0, 2)

    shipped = released.post(f"/v1/fulfillments/{fulfillment}/events",
                            json={"type": "shipped"}, headers=OPS)

    assert shipped.status_code == 200, shipped.text
    assert _position(released, "WH-FAR") == (0, 0)
    assert _order(released, placed["order_id"])["status"] == "shipped"
    (escalation,) = released.get("/v1/escalations", headers=OPS).json()["items"]
    assert (escalation["kind"], escalation["status"]) == ("fulfillment_at_risk", "resolved")


def test_a_short_pick_after_a_count_does_not_count_the_missing_units_off_twice(
        released: TestClient) -> None:
    placed = _place(released, "COUNTED-THEN-PICKED", qty=3)
    fulfillment = _fulfillment_at(placed, "WH-FAR")
    released.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 1}, headers=ADMIN)
    assert _position(released, "WH-FAR") == (1, 3)

    picked = released.post(f"/v1/fulfillments/{fulfillment}/events",
                           json={"type": "short_picked", "lines": [{"line_id": "1", "qty": 2}]},
                           headers=OPS)

    assert picked.status_code == 200, picked.text
    assert _position(released, "WH-FAR") == (1, 1)  # the one unit found is still there
    released.post(f"/v1/orders/{placed['order_id']}/cancel", json={}, headers=CHANNEL)
    assert _position(released, "WH-FAR") == (1, 0)


def test_a_short_pick_beyond_what_the_count_took_off_counts_the_rest_off(
        released: TestClient) -> None:
    placed = _place(released, "PICKED-SHORTER", qty=3)
    fulfillment = _fulfillment_at(placed, "WH-FAR")
    released.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 4}, headers=ADMIN)
    assert _position(released, "WH-FAR") == (4, 3)  # nothing at risk: 1 unit free

    released.post(f"/v1/fulfillments/{fulfillment}/events",
                  json={"type": "short_picked", "lines": [{"line_id": "1", "qty": 2}]},
                  headers=OPS)

    assert _position(released, "WH-FAR") == (2, 1)


def test_closing_a_location_moves_its_unreleased_allocations(held: TestClient) -> None:
    placed = _place(held, "CLOSING", qty=2)
    closed = {**dict(NETWORK)["WH-FAR"], "active": False}

    response = held.put("/v1/locations/WH-FAR", json=closed, headers=ADMIN)

    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    assert response.json()["reallocation"] == {
        "fulfillments_withdrawn": [_fulfillment_at(placed, "WH-FAR")],
        "orders_resourced": [placed["order_id"]], "fulfillments_at_risk": []}
    assert _live(held, placed["order_id"]) == {"WH-NEAR": 2}
    assert _position(held, "WH-FAR") == (5, 0)
    (event,) = [e for e in _order(held, placed["order_id"])["timeline"]
                if e["type"] == "fulfillment.cancelled"]
    assert event["message"] == "Allocation taken back: Warehouse Far is closed"


def test_closing_a_location_flags_work_already_released_there(released: TestClient) -> None:
    placed = _place(released, "CLOSED-LATE")
    closed = {**dict(NETWORK)["WH-FAR"], "active": False}
    response = released.put("/v1/locations/WH-FAR", json=closed, headers=ADMIN)
    assert response.json()["reallocation"]["fulfillments_at_risk"] == \
        [_fulfillment_at(placed, "WH-FAR")]
    escalations = released.get("/v1/escalations", params={"status": "open"},
                               headers=OPS).json()["items"]
    assert [e["kind"] for e in escalations] == ["fulfillment_at_risk"]
    assert "Warehouse Far is closed" in escalations[0]["reason"]
    customer = released.get(f"/v1/track/{placed['order_id']}",
                            params={"token": placed["tracking_token"]}).json()
    assert "fulfillment.at_risk" not in [e["type"] for e in customer["timeline"]]


def test_a_store_that_stops_pickups_gives_back_its_pickup_allocations_only(
        held: TestClient) -> None:
    pickup = _place(held, "PICKUP", delivery={"method": "pickup", "location_id": "ST-1"})
    assert _live(held, pickup["order_id"]) == {"ST-1": 1}
    ship = _place(held, "SHIP-FROM-STORE", qty=11)  # every laptop left, the store's too
    ship_units = _live(held, ship["order_id"])
    assert ship_units == {"WH-FAR": 5, "WH-NEAR": 5, "ST-1": 1}

    store = {**dict(NETWORK)["ST-1"], "capabilities": ["ship"]}
    response = held.put("/v1/locations/ST-1", json=store, headers=ADMIN)

    assert response.status_code == 200, response.text
    assert response.json()["reallocation"] == {
        "fulfillments_withdrawn": [_fulfillment_at(pickup, "ST-1")],
        "orders_resourced": [],  # no other store may hand it over
        "fulfillments_at_risk": []}
    assert _live(held, ship["order_id"]) == ship_units
    after = _order(held, pickup["order_id"])
    assert _live(held, pickup["order_id"]) == {}
    assert after["status"] == "backordered"
    events = [e["type"] for e in after["timeline"]]
    assert "order.pickup_unavailable" in events and "order.backordered" not in events[2:]
    (allocated,) = [e for e in after["timeline"] if e["type"] == "order.allocated"]
    # ready the day the held allocation reaches the store: an hour from now, tomorrow (UTC)
    # when the order came in after 23:00
    promised = date.fromisoformat(pickup["fulfillments"][0]["promised_date"])
    ready = "today" if promised == datetime.fromisoformat(allocated["at"]).astimezone(
        UTC).date() else "in 1 day"
    assert allocated["message"] == f"Allocated: for pickup at Store Manhattan, ready {ready}"
    (notice,) = [e for e in after["timeline"] if e["type"] == "notification.sent"
                 and e["data"]["template"] == "pickup_unavailable"]
    assert notice["message"].endswith("Your pickup store cannot hand over order PICKUP")
    escalations = held.get("/v1/escalations", params={"status": "open"},
                           headers=OPS).json()["items"]
    assert [e["kind"] for e in escalations] == ["pickup_unavailable"]
    customer = held.get(f"/v1/track/{pickup['order_id']}",
                        params={"token": pickup["tracking_token"]}).json()
    (told,) = [e for e in customer["timeline"] if e["type"] == "order.pickup_unavailable"]
    assert told["message"].startswith("Your pickup store can no longer hand this order over")


def test_renaming_a_location_moves_nothing(held: TestClient) -> None:
    placed = _place(held, "RENAMED")
    renamed = {**dict(NETWORK)["WH-FAR"], "name": "Warehouse Dallas"}
    response = held.put("/v1/locations/WH-FAR", json=renamed, headers=ADMIN)
    assert response.json()["reallocation"]["fulfillments_withdrawn"] == []
    assert _live(held, placed["order_id"]) == {"WH-FAR": 1}


@pytest.mark.parametrize("report", [
    {"type": "short_picked", "lines": [{"line_id": "1", "qty": 1}]}, {"type": "rejected"}])
def test_a_location_report_is_heard_under_reject_and_backorders_what_is_missing(
        released: TestClient, report: dict[str, Any]) -> None:
    for location_id in ("WH-NEAR", "ST-1"):
        released.put(f"/v1/inventory/{location_id}/LAPTOP-15", json={"on_hand": 0},
                     headers=ADMIN)
    released.put("/v1/policy", json={"backorder": "reject"}, headers=PLANNER)
    placed = _place(released, "REPORTED", qty=2)
    fulfillment = _fulfillment_at(placed, "WH-FAR")

    response = released.post(f"/v1/fulfillments/{fulfillment}/events", json=report,
                             headers=OPS)

    assert response.status_code == 200, response.text
    after = _order(released, placed["order_id"])
    assert after["status"] in ("backordered", "partially_allocated")
    assert "order.backordered" in [e["type"] for e in after["timeline"]]


def test_an_import_that_empties_both_halves_of_a_split_order_sources_it_once(
        held: TestClient) -> None:
    placed = _place(held, "SPLIT", qty=7)
    assert _live(held, placed["order_id"]) == {"WH-FAR": 5, "WH-NEAR": 2}
    imported = held.post("/v1/inventory/import", content="location_id,sku,on_hand\n"
                         "WH-FAR,LAPTOP-15,0\nWH-NEAR,LAPTOP-15,0\n",
                         headers={**ADMIN, "Content-Type": "text/csv"})
    moved = imported.json()["reallocation"]
    assert sorted(moved["fulfillments_withdrawn"]) == sorted(
        f["fulfillment_id"] for f in placed["fulfillments"])
    assert moved["orders_resourced"] == [placed["order_id"]]
    after = _order(held, placed["order_id"])
    assert _live(held, placed["order_id"]) == {"ST-1": 2}
    assert [e["type"] for e in after["timeline"]].count("order.allocated") == 2  # 1 + 1 again


def test_the_same_count_again_flags_released_work_once(released: TestClient) -> None:
    placed = _place(released, "FLAGGED-ONCE", qty=2)
    fulfillment = _fulfillment_at(placed, "WH-FAR")
    for _ in range(3):  # a nightly feed repeating the same number
        response = released.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 1},
                                headers=ADMIN)
        assert response.json()["reallocation"]["fulfillments_at_risk"] == [fulfillment]
    timeline = [e["type"] for e in _order(released, placed["order_id"])["timeline"]]
    assert timeline.count("fulfillment.at_risk") == 1
    released.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 0}, headers=ADMIN)
    timeline = [e["type"] for e in _order(released, placed["order_id"])["timeline"]]
    assert timeline.count("fulfillment.at_risk") == 2  # a new shortfall is news


def test_work_short_on_two_shelves_is_flagged_for_each_once(released: TestClient) -> None:
    assert released.put("/v1/products/MOUSE", json={"name": "Mouse"},
                        headers=ADMIN).status_code == 201
    assert released.put("/v1/inventory/WH-FAR/MOUSE", json={"on_hand": 5},
                        headers=ADMIN).status_code == 200
    placed = _place(released, "TWO-SHELVES", qty=2, lines=[
        {"line_id": "1", "sku": "LAPTOP-15", "qty": 2, "unit_price": 999.0},
        {"line_id": "2", "sku": "MOUSE", "qty": 2, "unit_price": 20.0}])
    fulfillment = _fulfillment_at(placed, "WH-FAR")
    # one import reports both shelves short: both are news
    imported = released.post("/v1/inventory/import", headers={**ADMIN,
                             "Content-Type": "text/csv"},
                             content="location_id,sku,on_hand\nWH-FAR,LAPTOP-15,1\n"
                                     "WH-FAR,MOUSE,1\n")
    assert imported.status_code == 200, imported.text
    for _ in range(3):  # the same counts again, one shelf at a time: nothing new
        for sku in ("LAPTOP-15", "MOUSE"):
            counted = released.put(f"/v1/inventory/WH-FAR/{sku}", json={"on_hand": 1},
                                   headers=ADMIN)
            assert counted.json()["reallocation"]["fulfillments_at_risk"] == [fulfillment]
    timeline = [e["type"] for e in _order(released, placed["order_id"])["timeline"]]
    assert timeline.count("fulfillment.at_risk") == 2
    assert escalation_states(released, placed["order_id"]) == [("fulfillment_at_risk", "open")]


def test_a_recount_that_finds_the_units_closes_the_at_risk_escalation(
        released: TestClient) -> None:
    placed = _place(released, "FOUND-AGAIN", qty=2)
    released.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 1}, headers=ADMIN)
    assert escalation_states(released, placed["order_id"]) == [("fulfillment_at_risk", "open")]
    found = released.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 4}, headers=ADMIN)
    assert found.status_code == 200, found.text
    assert escalation_states(released, placed["order_id"]) == \
        [("fulfillment_at_risk", "resolved")]
    fulfillment = released.get(f"/v1/fulfillments/{_fulfillment_at(placed, 'WH-FAR')}",
                               headers=OPS).json()
    assert fulfillment["status"] == "released"
    # the shelf short again is news again
    released.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 1}, headers=ADMIN)
    timeline = [e["type"] for e in _order(released, placed["order_id"])["timeline"]]
    assert timeline.count("fulfillment.at_risk") == 2
    assert sorted(escalation_states(released, placed["order_id"])) == \
        [("fulfillment_at_risk", "open"), ("fulfillment_at_risk", "resolved")]


def test_the_same_shortfall_reported_by_another_write_flags_released_work_once(
        released: TestClient) -> None:
    placed = _place(released, "FLAGGED-BY-TWO", qty=2)
    fulfillment = _fulfillment_at(placed, "WH-FAR")
    damaged = released.post("/v1/inventory/adjustments", headers=ADMIN, json={
        "location_id": "WH-FAR", "sku": "LAPTOP-15", "delta": -4, "reason": "dropped"})
    assert damaged.json()["reallocation"]["fulfillments_at_risk"] == [fulfillment]
    counted = released.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 1},
                           headers=ADMIN)  # the count confirms the same shelf
    assert counted.json()["reallocation"]["fulfillments_at_risk"] == [fulfillment]
    timeline = [e["type"] for e in _order(released, placed["order_id"])["timeline"]]
    assert timeline.count("fulfillment.at_risk") == 1
    assert escalation_states(released, placed["order_id"]) == [("fulfillment_at_risk", "open")]


def test_at_risk_escalations_close_when_the_shortfall_is_reported_or_the_order_cancelled(
        released: TestClient) -> None:
    short = _place(released, "SHORT-PICKED")
    cancelled = _place(released, "CANCELLED")
    released.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 0}, headers=ADMIN)
    assert released.post(f"/v1/fulfillments/{_fulfillment_at(short, 'WH-FAR')}/events",
                         json={"type": "short_picked"}, headers=OPS).status_code == 200
    assert released.post(f"/v1/orders/{cancelled['order_id']}/cancel", json={},
                         headers=CHANNEL).status_code == 200
    assert escalation_states(released, short["order_id"]) == [("fulfillment_at_risk", "resolved")]
    assert escalation_states(released, cancelled["order_id"]) == \
        [("fulfillment_at_risk", "resolved")]


def test_a_pickup_store_that_reopens_closes_the_pickup_escalation_once_allocated(
        held: TestClient) -> None:
    pickup = _place(held, "REOPENED", delivery={"method": "pickup", "location_id": "ST-1"})
    store = dict(NETWORK)["ST-1"]
    held.put("/v1/locations/ST-1", json={**store, "active": False}, headers=ADMIN)
    assert escalation_states(held, pickup["order_id"]) == [("pickup_unavailable", "open")]
    held.put("/v1/locations/ST-1", json=store, headers=ADMIN)
    held.post("/v1/allocations/run", json={}, headers=PLANNER)
    assert _live(held, pickup["order_id"]) == {"ST-1": 1}
    assert escalation_states(held, pickup["order_id"]) == [("pickup_unavailable", "resolved")]


def test_a_backordered_pickup_is_told_when_its_store_closes(held: TestClient) -> None:
    held.put("/v1/inventory/ST-1/LAPTOP-15", json={"on_hand": 0}, headers=ADMIN)
    pickup = _place(held, "WAITING-PICKUP", delivery={"method": "pickup", "location_id": "ST-1"})
    assert _order(held, pickup["order_id"])["status"] == "backordered"
    store = dict(NETWORK)["ST-1"]
    held.put("/v1/locations/ST-1", json={**store, "active": False}, headers=ADMIN)
    assert "order.pickup_unavailable" in [
        e["type"] for e in _order(held, pickup["order_id"])["timeline"]]
    assert escalation_states(held, pickup["order_id"]) == [("pickup_unavailable", "open")]


def test_goods_waiting_for_pickup_at_a_store_that_closes_are_told_to_the_customer(
        released: TestClient) -> None:
    pickup = _place(released, "SET-ASIDE", delivery={"method": "pickup", "location_id": "ST-1"})
    fulfillment = _fulfillment_at(pickup, "ST-1")
    assert released.post(f"/v1/fulfillments/{fulfillment}/events",
                         json={"type": "ready_for_pickup"}, headers=OPS).status_code == 200
    store = dict(NETWORK)["ST-1"]
    response = released.put("/v1/locations/ST-1", json={**store, "active": False},
                            headers=ADMIN)
    assert response.json()["reallocation"]["fulfillments_at_risk"] == [fulfillment]
    after = _order(released, pickup["order_id"])
    notices = [e["data"]["template"] for e in after["timeline"]
               if e["type"] == "notification.sent"]
    assert "pickup_unavailable" in notices
    assert sorted(escalation_states(released, pickup["order_id"])) == [
        ("fulfillment_at_risk", "open"), ("pickup_unavailable", "open")]


def test_a_held_pickup_order_waiting_at_a_store_that_closes_is_told(held: TestClient) -> None:
    held.put("/v1/inventory/ST-1/LAPTOP-15", json={"on_hand": 0}, headers=ADMIN)
    pickup = _place(held, "HELD-PICKUP", delivery={"method": "pickup", "location_id": "ST-1"})
    assert held.post(f"/v1/orders/{pickup['order_id']}/payment", json={"status": "failed"},
                     headers=CHANNEL).status_code == 200
    assert _order(held, pickup["order_id"])["status"] == "on_hold"
    store = dict(NETWORK)["ST-1"]
    held.put("/v1/locations/ST-1", json={**store, "active": False}, headers=ADMIN)
    timeline = _order(held, pickup["order_id"])["timeline"]
    assert [e["data"]["units"] for e in timeline if e["type"] == "order.pickup_unavailable"] \
        == [1]
    assert escalation_states(held, pickup["order_id"]) == [("pickup_unavailable", "open")]


def test_a_pickup_order_with_goods_set_aside_and_units_waiting_is_told_once(
        released: TestClient) -> None:
    """One unit ready at the store, one waiting for stock: the closure is one notice for two."""
    released.put("/v1/inventory/ST-1/LAPTOP-15", json={"on_hand": 1}, headers=ADMIN)
    pickup = _place(released, "HALF-READY", qty=2,
                    delivery={"method": "pickup", "location_id": "ST-1"})
    assert _order(released, pickup["order_id"])["status"] == "partially_allocated"
    store = dict(NETWORK)["ST-1"]
    released.put("/v1/locations/ST-1", json={**store, "active": False}, headers=ADMIN)
    after = _order(released, pickup["order_id"])
    assert [e["data"]["units"] for e in after["timeline"]
            if e["type"] == "order.pickup_unavailable"] == [2]
    notices = [e["data"]["template"] for e in after["timeline"]
               if e["type"] == "notification.sent"]
    assert notices.count("pickup_unavailable") == 1


def test_the_same_count_again_after_it_moved_an_allocation_flags_released_work_once(
        released: TestClient) -> None:
    """The first count also withdraws an unreleased allocation, so the reserved total it
    reports changes between the two counts; the shortfall of the released work does not."""
    placed = _place(released, "RELEASED-3", qty=3)
    fulfillment = _fulfillment_at(placed, "WH-FAR")
    released.put("/v1/policy", json={"objective": "cost", "release_delay_minutes": 60},
                 headers=PLANNER)
    held = _place(released, "HELD-2", qty=2)
    assert _position(released, "WH-FAR") == (5, 5)
    for _ in range(3):
        response = released.put("/v1/inventory/WH-FAR/LAPTOP-15", json={"on_hand": 2},
                                headers=ADMIN)
        assert response.json()["reallocation"]["fulfillments_at_risk"] == [fulfillment]
    assert _live(released, held["order_id"]) == {"WH-NEAR": 2}
    timeline = _order(released, placed["order_id"])["timeline"]
    (risk,) = [e for e in timeline if e["type"] == "fulfillment.at_risk"]
    assert risk["message"] == ("At risk: stock count at Warehouse Far left 2 unit(s) of "
                               "LAPTOP-15; released work there holds 1 unit(s) more than the "
                               "shelf: check before picking")


def test_a_short_pick_listing_a_line_twice_is_refused_and_changes_nothing(
        released: TestClient) -> None:
    placed = _place(released, "TWICE", qty=3)
    fulfillment = _fulfillment_at(placed, "WH-FAR")
    response = released.post(
        f"/v1/fulfillments/{fulfillment}/events",
        json={"type": "short_picked",
              "lines": [{"line_id": "1", "qty": 1}, {"line_id": "1", "qty": 1}]},
        headers=OPS)
    assert response.status_code == 422, response.text
    assert "listed twice" in response.text
    assert _live(released, placed["order_id"]) == {"WH-FAR": 3}
    assert _position(released, "WH-FAR") == (5, 3)


def test_a_closure_sources_the_orders_it_moved_jointly(container: Container) -> None:
    """P (placed first, near New York) and Q (in New York) both sat at the closing hub.
    One at a time, P would take the New York unit and send Q's from Chicago (2.5 + 11.5 by
    distance); jointly P's comes from Chicago and Q's from New York (9 + 0)."""
    per_km = {"capabilities": ["ship"], "shipment_cost": 5.0, "cost_per_km": 0.01}
    locations = {
        "HUB": {"name": "Hub", "type": "warehouse", "lat": 40.71, "lon": -74.0,
                "capabilities": ["ship"], "shipment_cost": 1.0},
        "NYC": {"name": "New York", "type": "warehouse", "lat": 40.71, "lon": -74.0, **per_km},
        "CHI": {"name": "Chicago", "type": "warehouse", "lat": 41.88, "lon": -87.63, **per_km},
    }
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        for location_id, body in locations.items():
            client.put(f"/v1/locations/{location_id}", json=body, headers=ADMIN)
        client.put("/v1/products/CAM", json={"name": "Camera"}, headers=ADMIN)
        for location_id, units in (("HUB", 2), ("NYC", 1), ("CHI", 1)):
            client.put(f"/v1/inventory/{location_id}/CAM", json={"on_hand": units},
                       headers=ADMIN)
        client.put("/v1/policy", json={"objective": "cost", "release_delay_minutes": 60},
                   headers=PLANNER)
        placed = {}
        for ref, (lat, lon) in (("P", (40.9, -77.0)), ("Q", (40.71, -74.0))):
            response = client.post("/v1/orders", headers=CHANNEL, json={
                "channel": "web", "channel_order_id": ref,
                "customer": {"id": f"C-{ref}", "name": ref, "email": "c@example.com"},
                "ship_to": {"lat": lat, "lon": lon}, "payment": {"status": "authorized"},
                "lines": [{"line_id": "1", "sku": "CAM", "qty": 1, "unit_price": 300.0}]})
            assert response.status_code == 201, response.text
            placed[ref] = response.json()["order_id"]
            assert _live(client, placed[ref]) == {"HUB": 1}

        closed = client.put("/v1/locations/HUB", json={**locations["HUB"], "active": False},
                            headers=ADMIN)

        assert sorted(closed.json()["reallocation"]["orders_resourced"]) == \
            sorted(placed.values())
        assert _live(client, placed["P"]) == {"CHI": 1}
        assert _live(client, placed["Q"]) == {"NYC": 1}
