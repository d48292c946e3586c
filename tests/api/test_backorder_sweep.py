"""Backordered orders are sourced by the background timer once stock they wait for comes in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import background
from dom.bootstrap import Container
from lifecycle.backorders import BackorderSweep
from tests.api.conftest import ADMIN, CHANNEL, OPS, PLANNER

NETWORK: list[tuple[str, dict[str, Any]]] = [
    ("WH-NEAR", {"name": "Warehouse Near", "type": "warehouse", "lat": 40.73, "lon": -74.17,
                 "capabilities": ["ship"], "shipment_cost": 12.0}),
    ("WH-FAR", {"name": "Warehouse Far", "type": "warehouse", "lat": 32.78, "lon": -96.80,
                "capabilities": ["ship"], "shipment_cost": 4.0}),
]


@pytest.fixture
def empty(client: TestClient) -> TestClient:
    """Two warehouses and a laptop nobody holds yet."""
    for location_id, body in NETWORK:
        assert client.put(f"/v1/locations/{location_id}", json=body,
                          headers=ADMIN).status_code == 201
    assert client.put("/v1/products/LAPTOP-15", json={"name": "Laptop 15"},
                      headers=ADMIN).status_code == 201
    return client


def _place(client: TestClient, ref: str, qty: int = 1, priority: int = 0) -> str:
    response = client.post("/v1/orders", headers=CHANNEL, json={
        "channel": "web", "channel_order_id": ref, "priority": priority,
        "customer": {"id": "C-1", "email": "ada@example.com"},
        "ship_to": {"lat": 40.71, "lon": -74.0}, "payment": {"status": "authorized"},
        "lines": [{"line_id": "1", "sku": "LAPTOP-15", "qty": qty, "unit_price": 999.0}]})
    assert response.status_code == 201, response.text
    return str(response.json()["order_id"])


def _order(client: TestClient, order_id: str) -> dict[str, Any]:
    return dict(client.get(f"/v1/orders/{order_id}", headers=OPS).json())


def _stock(client: TestClient, location_id: str, on_hand: int) -> None:
    assert client.put(f"/v1/inventory/{location_id}/LAPTOP-15", json={"on_hand": on_hand},
                      headers=ADMIN).status_code == 200


def test_stock_that_comes_in_sources_the_backorder_on_the_next_tick(
        empty: TestClient, default_container: Container) -> None:
    order_id = _place(empty, "WAITING", qty=2)
    assert _order(empty, order_id)["status"] == "backordered"
    background.tick(default_container)  # nothing came in: nothing to do
    assert _order(empty, order_id)["status"] == "backordered"

    _stock(empty, "WH-FAR", 1)
    background.tick(default_container)
    partly = _order(empty, order_id)
    assert partly["status"] == "partially_allocated"
    assert [(f["location_id"], f["lines"][0]["qty"]) for f in partly["fulfillments"]] == \
        [("WH-FAR", 1)]

    _stock(empty, "WH-NEAR", 5)
    background.tick(default_container)
    done = _order(empty, order_id)
    assert done["status"] == "allocated"
    assert sorted((f["location_id"], f["lines"][0]["qty"]) for f in done["fulfillments"]) == \
        [("WH-FAR", 1), ("WH-NEAR", 1)]
    assert [e["type"] for e in done["timeline"]].count("order.allocated") == 2


def test_scarce_arrivals_go_to_the_order_that_needs_them_most(
        empty: TestClient, default_container: Container) -> None:
    first = _place(empty, "FIRST-IN-LINE")
    urgent = _place(empty, "URGENT", priority=10)
    _stock(empty, "WH-FAR", 1)
    background.tick(default_container)
    assert _order(empty, urgent)["status"] == "allocated"
    assert _order(empty, first)["status"] == "backordered"


def test_a_sweep_that_found_nothing_is_not_repeated_until_something_changes(
        empty: TestClient, default_container: Container) -> None:
    empty.put("/v1/policy", json={"max_distance_km": 100}, headers=PLANNER)
    order_id = _place(empty, "OUT-OF-REACH")
    sweep = BackorderSweep()
    reader = default_container.reader

    assert sweep(default_container.uow_factory, reader) is None  # no stock at all
    _stock(empty, "WH-FAR", 3)  # ~2,200 km away: beyond the policy's limit
    tried = sweep(default_container.uow_factory, reader)
    assert tried is not None and tried.allocated == 0
    assert sweep(default_container.uow_factory, reader) is None  # the same state: skipped
    _stock(empty, "WH-FAR", 4)  # changed, still out of reach: solved again, to no avail
    again = sweep(default_container.uow_factory, reader)
    assert again is not None and again.allocated == 0
    timeline = [e["type"] for e in _order(empty, order_id)["timeline"]]
    assert timeline.count("order.backordered") == 1  # nothing new to tell anyone
    assert timeline.count("notification.sent") == 1

    _stock(empty, "WH-NEAR", 1)
    sourced = sweep(default_container.uow_factory, reader)
    assert sourced is not None and sourced.allocated == 1
    assert _order(empty, order_id)["status"] == "allocated"


def test_the_policy_can_leave_backorders_to_the_planners(
        empty: TestClient, default_container: Container) -> None:
    assert empty.put("/v1/policy", json={"source_backorders": False},
                     headers=PLANNER).json()["source_backorders"] is False
    order_id = _place(empty, "MANUAL")
    _stock(empty, "WH-NEAR", 1)
    background.tick(default_container)
    assert _order(empty, order_id)["status"] == "backordered"
    run = empty.post("/v1/allocations/run", json={}, headers=PLANNER)
    assert run.json()["allocated"] == 1


def test_orders_on_hold_or_unpaid_are_not_swept(
        empty: TestClient, default_container: Container) -> None:
    order_id = _place(empty, "DECLINED")
    assert empty.post(f"/v1/orders/{order_id}/payment", json={"status": "failed"},
                      headers=CHANNEL).json()["status"] == "on_hold"
    _stock(empty, "WH-NEAR", 1)
    background.tick(default_container)
    assert _order(empty, order_id)["fulfillments"] == []


def test_units_a_short_pick_left_on_an_order_under_way_are_sourced_when_stock_comes_in(
        empty: TestClient, default_container: Container) -> None:
    _stock(empty, "WH-FAR", 3)
    order_id = _place(empty, "UNDER-WAY", qty=3)
    (fulfillment,) = _order(empty, order_id)["fulfillments"]
    assert empty.post(f"/v1/fulfillments/{fulfillment['fulfillment_id']}/events",
                      json={"type": "accepted"}, headers=OPS).status_code == 200
    short = empty.post(f"/v1/fulfillments/{fulfillment['fulfillment_id']}/events",
                       json={"type": "short_picked", "lines": [{"line_id": "1", "qty": 2}]},
                       headers=OPS)
    assert short.status_code == 200, short.text
    under_way = _order(empty, order_id)
    assert under_way["status"] == "in_fulfillment"
    assert under_way["attributes"]["backordered_units"] == {"1": 2}

    _stock(empty, "WH-NEAR", 5)
    background.tick(default_container)

    after = _order(empty, order_id)
    live = sorted((f["location_id"], f["lines"][0]["qty"]) for f in after["fulfillments"]
                  if f["status"] not in ("cancelled", "rejected"))
    assert live == [("WH-FAR", 1), ("WH-NEAR", 2)]
    assert "backordered_units" not in after["attributes"]


def test_a_rejection_that_leaves_units_short_is_announced_once(
        empty: TestClient, default_container: Container) -> None:
    _stock(empty, "WH-FAR", 1)
    order_id = _place(empty, "REJECTED", qty=2)  # 1 allocated, 1 backordered
    first = _order(empty, order_id)
    assert first["status"] == "partially_allocated"
    (fulfillment,) = first["fulfillments"]
    assert empty.post(f"/v1/fulfillments/{fulfillment['fulfillment_id']}/events",
                      json={"type": "rejected", "reason": "damaged"},
                      headers=OPS).status_code == 200
    after = _order(empty, order_id)
    assert after["status"] == "backordered"
    backorders = [e for e in after["timeline"] if e["type"] == "order.backordered"]
    assert [e["data"]["units"] for e in backorders] == [1, 2]  # the second says what changed
    background.tick(default_container)  # no stock anywhere: nothing new to say
    assert [e["type"] for e in _order(empty, order_id)["timeline"]].count(
        "order.backordered") == 2


def test_a_partly_allocated_order_out_of_reach_is_not_solved_again_and_again(
        empty: TestClient, default_container: Container) -> None:
    empty.put("/v1/policy", json={"max_distance_km": 100}, headers=PLANNER)
    _stock(empty, "WH-NEAR", 1)
    order_id = _place(empty, "HALF", qty=2)
    assert _order(empty, order_id)["status"] == "partially_allocated"
    _stock(empty, "WH-FAR", 3)  # out of reach
    sweep, reader = BackorderSweep(), default_container.reader
    tried = sweep(default_container.uow_factory, reader)
    assert tried is not None and tried.units_allocated == 0
    assert sweep(default_container.uow_factory, reader) is None


def test_capacity_freed_by_a_shipment_lets_the_sweep_source_the_backorder(
        empty: TestClient, default_container: Container) -> None:
    near = {**dict(NETWORK)["WH-NEAR"], "capacity_units_per_day": 1}
    assert empty.put("/v1/locations/WH-NEAR", json=near, headers=ADMIN).status_code == 200
    _stock(empty, "WH-NEAR", 5)
    first = _place(empty, "TAKES-CAPACITY")
    waiting = _place(empty, "WAITS")
    assert _order(empty, waiting)["status"] == "backordered"
    background.tick(default_container)  # the units are there, the capacity is not
    assert _order(empty, waiting)["status"] == "backordered"
    (fulfillment,) = _order(empty, first)["fulfillments"]
    assert empty.post(f"/v1/fulfillments/{fulfillment['fulfillment_id']}/events",
                      json={"type": "shipped"}, headers=OPS).status_code == 200
    background.tick(default_container)
    assert _order(empty, waiting)["status"] == "allocated"


def test_a_location_that_rejected_an_order_is_not_chosen_for_it_again(
        empty: TestClient, default_container: Container) -> None:
    _stock(empty, "WH-FAR", 1)
    order_id = _place(empty, "REJECTED-ONCE")
    (fulfillment,) = _order(empty, order_id)["fulfillments"]
    empty.post(f"/v1/fulfillments/{fulfillment['fulfillment_id']}/events",
               json={"type": "rejected"}, headers=OPS)
    _stock(empty, "WH-FAR", 5)
    background.tick(default_container)
    assert _order(empty, order_id)["status"] == "backordered"
    _stock(empty, "WH-NEAR", 1)
    background.tick(default_container)
    after = _order(empty, order_id)
    assert [(f["location_id"], f["status"]) for f in after["fulfillments"]] == \
        [("WH-FAR", "rejected"), ("WH-NEAR", "released")]


def test_allocating_a_partly_allocated_order_answers_with_all_of_its_allocation(
        empty: TestClient) -> None:
    _stock(empty, "WH-FAR", 1)
    order_id = _place(empty, "PARTLY", qty=2)
    _stock(empty, "WH-NEAR", 3)
    response = empty.post("/v1/allocate", json={"order_id": order_id, "commit": True},
                          headers=CHANNEL)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "allocated"
    assert sorted((f["location_id"], f["lines"][0]["qty"]) for f in body["fulfillments"]) == \
        [("WH-FAR", 1), ("WH-NEAR", 1)]
    assert body["totals"]["shipments"] == 2
    assert body["totals"]["cost"] == pytest.approx(sum(f["cost"] for f in body["fulfillments"]))


def test_filling_a_backorder_counts_the_parcels_already_made(
        empty: TestClient, default_container: Container) -> None:
    far_store = ("ST-9", {"name": "Store Nine", "type": "store", "lat": 41.0, "lon": -80.0,
                          "capabilities": ["ship"], "shipment_cost": 6.0})
    assert empty.put(f"/v1/locations/{far_store[0]}", json=far_store[1],
                     headers=ADMIN).status_code == 201
    empty.put("/v1/policy", json={"max_shipments_per_order": 2}, headers=PLANNER)
    _stock(empty, "WH-FAR", 1)
    order_id = _place(empty, "TWO-PARCELS", qty=3)  # 1 parcel now, 2 units waiting
    assert _order(empty, order_id)["status"] == "partially_allocated"
    # one unit each at two places: a third parcel would break the promise of two
    _stock(empty, "WH-NEAR", 1)
    assert empty.put("/v1/inventory/ST-9/LAPTOP-15", json={"on_hand": 1},
                     headers=ADMIN).status_code == 200
    background.tick(default_container)
    after = _order(empty, order_id)
    live = [f for f in after["fulfillments"] if f["status"] not in ("cancelled", "rejected")]
    assert len(live) == 2 and after["status"] == "partially_allocated"
    assert after["attributes"]["backordered_units"] == {"1": 1}


def test_an_order_refused_whole_under_reject_is_sourced_when_its_stock_comes_in(
        empty: TestClient, default_container: Container) -> None:
    empty.put("/v1/policy", json={"backorder": "reject"}, headers=PLANNER)
    order_id = _place(empty, "REFUSED")  # stays received: nothing to fill it whole
    assert _order(empty, order_id)["status"] == "received"
    _stock(empty, "WH-NEAR", 3)
    background.tick(default_container)
    assert _order(empty, order_id)["status"] == "allocated"


def test_an_order_refused_whole_tells_the_customer_every_unit_waits(
        empty: TestClient, default_container: Container) -> None:
    empty.put("/v1/policy", json={"backorder": "reject"}, headers=PLANNER)
    _stock(empty, "WH-NEAR", 1)
    order_id = _place(empty, "TWO-REFUSED", qty=2)  # one short, so neither is allocated
    refused = _order(empty, order_id)
    assert refused["status"] == "received"
    (notice,) = [e for e in refused["timeline"] if e["type"] == "order.backordered"]
    assert (notice["data"]["units"], notice["data"]["short_units"]) == (2, 1)
    (sent,) = [e for e in refused["timeline"] if e["type"] == "notification.sent"]
    assert sent["data"]["template"] == "backordered"
    assert refused["attributes"]["backordered_units"] == {"1": 2}
    background.tick(default_container)  # still one short: nothing new to say
    again = _order(empty, order_id)
    assert [e["type"] for e in again["timeline"]] == [e["type"] for e in refused["timeline"]]


def test_under_reject_an_order_already_accepted_takes_what_comes(
        empty: TestClient, default_container: Container) -> None:
    _stock(empty, "WH-FAR", 2)
    empty.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    order_id = _place(empty, "ACCEPTED", qty=2)
    empty.put("/v1/policy", json={"backorder": "reject", "release_delay_minutes": 60},
              headers=PLANNER)
    _stock(empty, "WH-FAR", 0)  # taken back: backordered, never refused
    assert _order(empty, order_id)["status"] == "backordered"
    _stock(empty, "WH-NEAR", 1)
    background.tick(default_container)
    assert _order(empty, order_id)["status"] == "partially_allocated"


def test_part_of_a_backorder_arriving_is_not_announced_as_a_backorder_again(
        empty: TestClient, default_container: Container) -> None:
    order_id = _place(empty, "THREE", qty=3)
    _stock(empty, "WH-NEAR", 1)
    background.tick(default_container)
    after = _order(empty, order_id)
    assert after["status"] == "partially_allocated"
    assert [e["type"] for e in after["timeline"]].count("order.backordered") == 1
    assert after["attributes"]["backordered_units"] == {"1": 2}


def test_an_expired_pickup_is_not_put_back_on_the_shelf_by_the_sweep(
        empty: TestClient, default_container: Container) -> None:
    store = ("ST-1", {"name": "Store Manhattan", "type": "store", "lat": 40.75, "lon": -73.99,
                      "capabilities": ["ship", "pickup"], "shipment_cost": 30.0})
    assert empty.put(f"/v1/locations/{store[0]}", json=store[1], headers=ADMIN).status_code == 201
    empty.put("/v1/inventory/ST-1/LAPTOP-15", json={"on_hand": 1}, headers=ADMIN)
    response = empty.post("/v1/orders", headers=CHANNEL, json={
        "channel": "store", "channel_order_id": "PICKUP-2", "customer": {"id": "C-1"},
        "delivery": {"method": "pickup", "location_id": "ST-1"},
        "payment": {"status": "authorized"},
        "lines": [{"line_id": "1", "sku": "LAPTOP-15", "qty": 2, "unit_price": 999.0}]})
    order_id = response.json()["order_id"]
    empty.put("/v1/inventory/ST-1/LAPTOP-15", json={"on_hand": 2}, headers=ADMIN)
    background.tick(default_container)  # the second unit comes in: two pickups
    first, second = (f["fulfillment_id"] for f in _order(empty, order_id)["fulfillments"])
    for step in ("ready_for_pickup", "picked_up"):
        empty.post(f"/v1/fulfillments/{first}/events", json={"type": step}, headers=OPS)
    empty.post(f"/v1/fulfillments/{second}/events", json={"type": "ready_for_pickup"},
               headers=OPS)
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    assert empty.post("/v1/sla/check", json={"now": later},
                      headers=OPS).json()["pickups_expired"] == 1
    background.tick(default_container)
    after = _order(empty, order_id)
    assert [f["status"] for f in after["fulfillments"]] == ["picked_up", "cancelled"]
    assert after["status"] == "completed"


def test_a_cancelled_backorder_waits_for_nothing(
        empty: TestClient, default_container: Container) -> None:
    order_id = _place(empty, "CANCELLED-WAITING", qty=2)
    assert _order(empty, order_id)["attributes"]["backordered_units"] == {"1": 2}
    assert empty.post(f"/v1/orders/{order_id}/cancel", json={},
                      headers=CHANNEL).status_code == 200
    cancelled = _order(empty, order_id)
    assert cancelled["status"] == "cancelled"
    assert "backordered_units" not in cancelled["attributes"]

    _stock(empty, "WH-NEAR", 5)
    background.tick(default_container)
    assert _order(empty, order_id)["fulfillments"] == []
