"""A pickup order's own store comes up short or says no.

No other location may hand a pickup order over, so the store is never excluded for a short pick
(the missing units wait for the store's next stock, as any backorder does), and a rejection
tells the customer and operations (``order.pickup_unavailable``) instead of announcing a
backorder that no stock could ever fill.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import background
from dom.bootstrap import Container
from tests.api.conftest import ADMIN, CHANNEL, OPS
from tests.api.helpers import escalation_states, event_types

NETWORK: list[tuple[str, dict[str, Any]]] = [
    ("WH-NEAR", {"name": "Warehouse Near", "type": "warehouse", "lat": 40.73, "lon": -74.17,
                 "capabilities": ["ship"], "shipment_cost": 12.0}),
    ("ST-1", {"name": "Store Manhattan", "type": "store", "lat": 40.75, "lon": -73.99,
              "capabilities": ["ship", "pickup"], "shipment_cost": 30.0}),
]


@pytest.fixture
def stores(client: TestClient) -> TestClient:
    """A store that hands over pickups (2 laptops) and a warehouse that only ships (5)."""
    for location_id, body in NETWORK:
        assert client.put(f"/v1/locations/{location_id}", json=body,
                          headers=ADMIN).status_code == 201
    assert client.put("/v1/products/LAPTOP-15", json={"name": "Laptop 15"},
                      headers=ADMIN).status_code == 201
    _stock(client, "WH-NEAR", 5)
    _stock(client, "ST-1", 2)
    return client


def _stock(client: TestClient, location_id: str, on_hand: int) -> None:
    assert client.put(f"/v1/inventory/{location_id}/LAPTOP-15", json={"on_hand": on_hand},
                      headers=ADMIN).status_code == 200


def _pickup(client: TestClient, ref: str, qty: int) -> str:
    response = client.post("/v1/orders", headers=CHANNEL, json={
        "channel": "web", "channel_order_id": ref,
        "customer": {"id": "C-1", "name": "Ada", "email": "ada@example.com"},
        "delivery": {"method": "pickup", "location_id": "ST-1"},
        "payment": {"status": "authorized"},
        "lines": [{"line_id": "1", "sku": "LAPTOP-15", "qty": qty, "unit_price": 999.0}]})
    assert response.status_code == 201, response.text
    return str(response.json()["order_id"])


def _order(client: TestClient, order_id: str) -> dict[str, Any]:
    return dict(client.get(f"/v1/orders/{order_id}", headers=OPS).json())


def _report(client: TestClient, fulfillment_id: str, **body: Any) -> None:
    response = client.post(f"/v1/fulfillments/{fulfillment_id}/events", json=body, headers=OPS)
    assert response.status_code == 200, response.text


def _live(order: dict[str, Any]) -> list[tuple[str, str, int]]:
    return sorted((f["fulfillment_id"], f["location_id"], sum(x["qty"] for x in f["lines"]))
                  for f in order["fulfillments"] if f["status"] not in ("cancelled", "rejected"))


def test_a_short_pick_at_the_pickup_store_waits_for_its_stock_and_the_order_completes(
        stores: TestClient, default_container: Container) -> None:
    order_id = _pickup(stores, "SHORT-AT-STORE", qty=2)
    ((first, store, units),) = _live(_order(stores, order_id))
    assert (store, units) == ("ST-1", 2)
    _report(stores, first, type="accepted")
    _report(stores, first, type="short_picked", lines=[{"line_id": "1", "qty": 1}])

    waiting = _order(stores, order_id)
    assert waiting["attributes"]["backordered_units"] == {"1": 1}
    assert "ST-1" not in (waiting["attributes"].get("excluded_locations") or [])
    (notice,) = [e for e in waiting["timeline"] if e["type"] == "order.backordered"]
    assert notice["message"] == "Backordered: 1 unit(s) waiting for stock"
    assert "order.pickup_unavailable" not in event_types(waiting)

    _stock(stores, "ST-1", 2)  # one on the shelf for the set-aside unit, one more arrived
    background.tick(default_container)

    refilled = _order(stores, order_id)
    assert "backordered_units" not in refilled["attributes"]
    live = _live(refilled)
    assert [(where, units) for _, where, units in live] == [("ST-1", 1), ("ST-1", 1)]
    for fulfillment_id, _, _ in live:
        _report(stores, fulfillment_id, type="ready_for_pickup")
        _report(stores, fulfillment_id, type="picked_up")
    assert _order(stores, order_id)["status"] == "completed"


def test_a_short_pick_at_the_pickup_store_takes_another_unit_on_its_shelf_at_once(
        stores: TestClient) -> None:
    _stock(stores, "ST-1", 3)
    order_id = _pickup(stores, "SHELF-HAS-MORE", qty=2)
    ((first, _, _),) = _live(_order(stores, order_id))
    _report(stores, first, type="short_picked", lines=[{"line_id": "1", "qty": 1}])

    after = _order(stores, order_id)
    assert [(where, units) for _, where, units in _live(after)] == [("ST-1", 1), ("ST-1", 1)]
    assert "backordered_units" not in after["attributes"]
    assert "order.backordered" not in event_types(after)


def test_a_pickup_store_that_rejects_its_own_pickup_tells_the_customer_and_operations(
        stores: TestClient, default_container: Container) -> None:
    order_id = _pickup(stores, "REJECTED-AT-STORE", qty=1)
    ((fulfillment, _, _),) = _live(_order(stores, order_id))
    _report(stores, fulfillment, type="rejected", reason="display model only")

    after = _order(stores, order_id)
    assert _live(after) == []
    events = event_types(after)
    assert "order.pickup_unavailable" in events
    assert "order.backordered" not in events  # no stock could ever fill it there
    (told,) = [e for e in after["timeline"] if e["type"] == "order.pickup_unavailable"]
    assert told["data"]["units"] == 1 and told["location_id"] == "ST-1"
    assert told["message"].startswith("Pickup store Store Manhattan can no longer hand over "
                                      "this order (it refused the order: display model only)")
    assert "pickup_unavailable" in [e["data"]["template"] for e in after["timeline"]
                                    if e["type"] == "notification.sent"]
    assert sorted(escalation_states(stores, order_id)) == [
        ("fulfillment_rejected", "open"), ("pickup_unavailable", "open")]

    _stock(stores, "ST-1", 5)  # the store said no to this order: stock there does not change it
    background.tick(default_container)
    again = _order(stores, order_id)
    assert _live(again) == []
    assert event_types(again).count("order.pickup_unavailable") == 1


def test_a_rejection_at_the_pickup_store_counts_the_units_already_waiting_too(
        stores: TestClient) -> None:
    _stock(stores, "ST-1", 1)
    order_id = _pickup(stores, "PART-WAITING", qty=2)
    ((fulfillment, _, units),) = _live(_order(stores, order_id))
    assert units == 1  # the other unit waits for the store's stock (announced once)
    _report(stores, fulfillment, type="rejected", reason="damaged box")

    after = _order(stores, order_id)
    (told,) = [e for e in after["timeline"] if e["type"] == "order.pickup_unavailable"]
    assert told["data"]["units"] == 2
    assert after["attributes"]["backordered_units"] == {"1": 2}
    assert event_types(after).count("order.backordered") == 1


def test_cancelling_the_rest_of_a_pickup_its_store_cannot_hand_over_closes_the_escalation(
        stores: TestClient) -> None:
    _stock(stores, "ST-1", 1)
    order_id = _pickup(stores, "REST-CANCELLED", qty=2)
    ((first, _, _),) = _live(_order(stores, order_id))
    _report(stores, first, type="ready_for_pickup")
    _report(stores, first, type="picked_up")
    store = {**dict(NETWORK)["ST-1"], "capabilities": ["ship"]}
    assert stores.put("/v1/locations/ST-1", json=store, headers=ADMIN).status_code == 200
    assert escalation_states(stores, order_id) == [("pickup_unavailable", "open")]

    cancelled = stores.post(f"/v1/orders/{order_id}/cancel", json={}, headers=CHANNEL)

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "completed"
    assert escalation_states(stores, order_id) == [("pickup_unavailable", "resolved")]


def test_a_pickup_handed_over_after_all_closes_the_store_s_escalation(
        stores: TestClient) -> None:
    order_id = _pickup(stores, "P-AFTER-ALL", 1)
    (pickup,) = _order(stores, order_id)["fulfillments"]
    _report(stores, pickup["fulfillment_id"], type="ready_for_pickup")
    # the store stops handing over pickups while the laptop waits on its counter
    store = dict(NETWORK)["ST-1"]
    assert stores.put("/v1/locations/ST-1", json={**store, "capabilities": ["ship"]},
                      headers=ADMIN).status_code == 200
    assert ("pickup_unavailable", "open") in escalation_states(stores, order_id)
    # ...and the customer collects it anyway
    _report(stores, pickup["fulfillment_id"], type="picked_up")
    assert _order(stores, order_id)["status"] == "completed"
    assert {state for _, state in escalation_states(stores, order_id)} == {"resolved"}
