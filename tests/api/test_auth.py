"""API keys and roles: 401 before anything else, 403 per role, partners limited to their own."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import (
    ADMIN,
    CHANNEL,
    OPS,
    OTHER_SUPPLIER,
    PLANNER,
    STORE,
    SUPPLIER,
    order_body,
)
from tests.api.helpers import all_orders, assert_problem, position

CSV = {"content-type": "text/csv"}


@pytest.mark.parametrize("headers", [
    pytest.param({}, id="no-key"),
    pytest.param({"Authorization": "Bearer not-a-key"}, id="wrong-key"),
    pytest.param({"Authorization": "Bearer "}, id="empty-bearer"),
    pytest.param({"Authorization": "Basic admin-key"}, id="basic-scheme"),
    pytest.param({"Authorization": "admin-key"}, id="no-scheme"),
    pytest.param({"X-API-Key": "admin-key"}, id="other-header"),
])
def test_a_request_without_a_valid_bearer_key_is_401_problem_json(
        client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/v1/orders", headers=headers)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_the_bearer_scheme_name_is_case_insensitive(client: TestClient) -> None:
    assert client.get("/v1/orders", headers={"Authorization": "bearer admin-key"}
                      ).status_code == 200


@pytest.mark.parametrize("method,path", [
    ("POST", "/v1/orders"),
    ("PUT", "/v1/locations/WH-Z"),
    ("PUT", "/v1/products/SKU-Z"),
    ("POST", "/v1/inventory/adjustments"),
    ("POST", "/v1/channels/amazon/orders"),
])
def test_401_comes_before_validation_of_a_malformed_body(
        client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, content=b"{not json",
                              headers={"content-type": "application/json"})
    assert_problem(response, 401)


def test_a_wrong_key_writes_nothing(seeded: TestClient) -> None:
    response = seeded.post("/v1/orders", json=order_body(),
                           headers={"Authorization": "Bearer wrong"})
    assert_problem(response, 401)
    assert all_orders(seeded) == []


# --- 403: each role without the right ----------------------------------------------------

LOCATION_BODY = {"name": "New", "type": "warehouse", "lat": 1.0, "lon": 1.0,
                 "capabilities": ["ship"]}
FORBIDDEN: list[Any] = [
    pytest.param(PLANNER, "POST", "/v1/orders", order_body("F-1"), id="planner-creates-order"),
    pytest.param(SUPPLIER, "POST", "/v1/orders", order_body("F-2"), id="supplier-creates-order"),
    pytest.param(STORE, "POST", "/v1/orders", order_body("F-3"), id="location-creates-order"),
    pytest.param(CHANNEL, "PUT", "/v1/locations/WH-NEW", LOCATION_BODY,
                 id="channel-puts-location"),
    pytest.param(OPS, "PUT", "/v1/locations/WH-NEW", LOCATION_BODY, id="ops-puts-location"),
    pytest.param(PLANNER, "PUT", "/v1/locations/WH-NEW", LOCATION_BODY,
                 id="planner-puts-location"),
    pytest.param(SUPPLIER, "PUT", "/v1/locations/SUP-1", {**LOCATION_BODY, "type": "supplier",
                                                          "capabilities": ["dropship"]},
                 id="supplier-puts-own-location"),
    pytest.param(OPS, "PUT", "/v1/products/NEW-SKU", {"name": "New"}, id="ops-puts-product"),
    pytest.param(CHANNEL, "PUT", "/v1/products/NEW-SKU", {"name": "New"},
                 id="channel-puts-product"),
    pytest.param(SUPPLIER, "PUT", "/v1/products/NEW-SKU", {"name": "New"},
                 id="supplier-puts-product"),
    pytest.param(CHANNEL, "PUT", "/v1/inventory/WH-A/LAPTOP-15", {"on_hand": 99},
                 id="channel-puts-stock"),
    pytest.param(OPS, "PUT", "/v1/inventory/WH-A/LAPTOP-15", {"on_hand": 99},
                 id="ops-puts-stock"),
    pytest.param(PLANNER, "POST", "/v1/inventory/adjustments",
                 {"location_id": "WH-A", "sku": "LAPTOP-15", "delta": 5, "reason": "count"},
                 id="planner-adjusts-stock"),
    pytest.param(SUPPLIER, "GET", "/v1/orders", None, id="supplier-lists-orders"),
    pytest.param(STORE, "GET", "/v1/orders", None, id="location-lists-orders"),
    pytest.param(SUPPLIER, "GET", "/v1/orders/ord_x", None, id="supplier-reads-order"),
    pytest.param(SUPPLIER, "GET", "/v1/orders/ord_x/timeline", None,
                 id="supplier-reads-timeline"),
    pytest.param(PLANNER, "POST", "/v1/orders/ord_x/cancel", None, id="planner-cancels"),
    pytest.param(PLANNER, "POST", "/v1/orders/ord_x/payment", {"status": "confirmed"},
                 id="planner-confirms-payment"),
    pytest.param(SUPPLIER, "POST", "/v1/orders/ord_x/payment", {"status": "confirmed"},
                 id="supplier-confirms-payment"),
    pytest.param(PLANNER, "POST", "/v1/channels/amazon/orders", {"AmazonOrderId": "1"},
                 id="planner-imports-amazon"),
    pytest.param(SUPPLIER, "POST", "/v1/channels/shopify/orders", {"id": 1},
                 id="supplier-imports-shopify"),
]


@pytest.mark.parametrize("headers,method,path,body", FORBIDDEN)
def test_a_role_without_the_right_gets_403_and_nothing_is_written(
        seeded: TestClient, headers: dict[str, str], method: str, path: str,
        body: Any) -> None:
    stock_before = position(seeded, "WH-A", "LAPTOP-15")
    response = seeded.request(method, path, json=body, headers=headers)
    problem = assert_problem(response, 403)
    assert "role" in problem["detail"]
    assert all_orders(seeded) == []
    assert seeded.get("/v1/locations/WH-NEW", headers=ADMIN).status_code == 404
    assert seeded.get("/v1/products/NEW-SKU", headers=ADMIN).status_code == 404
    assert position(seeded, "WH-A", "LAPTOP-15") == stock_before


@pytest.mark.parametrize("headers", [ADMIN, OPS, CHANNEL, PLANNER],
                         ids=["admin", "ops", "channel", "planner"])
def test_every_internal_role_reads_locations_products_inventory_and_orders(
        seeded: TestClient, headers: dict[str, str]) -> None:
    assert len(seeded.get("/v1/locations", headers=headers).json()["items"]) == 6
    assert len(seeded.get("/v1/products", headers=headers).json()["items"]) == 4
    assert seeded.get("/v1/inventory", params={"sku": "LAPTOP-15"},
                      headers=headers).json()["available"] == 7
    assert seeded.get("/v1/orders", headers=headers).status_code == 200


@pytest.mark.parametrize("headers", [OPS, CHANNEL], ids=["ops", "channel"])
def test_ops_and_channel_create_pay_and_cancel_orders(
        seeded: TestClient, headers: dict[str, str]) -> None:
    created = seeded.post("/v1/orders", json=order_body("R-1"), headers=headers)
    assert created.status_code == 201, created.text
    order_id = created.json()["order_id"]
    assert seeded.post(f"/v1/orders/{order_id}/payment", json={"status": "confirmed"},
                       headers=headers).status_code == 200
    assert seeded.post(f"/v1/orders/{order_id}/cancel", headers=headers).status_code == 200


def test_a_planner_reads_orders_but_cannot_change_them(seeded: TestClient) -> None:
    order_id = seeded.post("/v1/orders", json=order_body(payment={"status": "pending"}),
                           headers=OPS).json()["order_id"]
    assert seeded.get(f"/v1/orders/{order_id}", headers=PLANNER).status_code == 200
    assert seeded.get(f"/v1/orders/{order_id}/timeline", headers=PLANNER).status_code == 200
    assert [o["order_id"] for o in all_orders(seeded, headers=PLANNER)] == [order_id]
    assert_problem(seeded.post(f"/v1/orders/{order_id}/cancel", headers=PLANNER), 403)
    assert seeded.get(f"/v1/orders/{order_id}", headers=ADMIN).json()["status"] == "received"


# --- partners: only their own location ------------------------------------------------------

def test_a_supplier_lists_only_its_own_location(seeded: TestClient) -> None:
    response = seeded.get("/v1/locations", headers=SUPPLIER)
    assert response.status_code == 200
    assert [loc["id"] for loc in response.json()["items"]] == ["SUP-1"]
    other = seeded.get("/v1/locations", headers=OTHER_SUPPLIER).json()["items"]
    assert [loc["id"] for loc in other] == ["SUP-2"]


def test_a_supplier_paging_through_locations_sees_its_own_once_and_no_other_ids(
        seeded: TestClient) -> None:
    cursors: list[str] = []
    cursor: str | None = None
    seen: list[str] = []
    for _ in range(20):
        params: dict[str, Any] = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        body = seeded.get("/v1/locations", params=params, headers=SUPPLIER).json()
        seen += [loc["id"] for loc in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
        cursors.append(cursor)
    assert seen == ["SUP-1"]
    leaked = [base64.urlsafe_b64decode(c + "=" * (-len(c) % 4)).decode() for c in cursors]
    assert all(value == "SUP-1" for value in leaked), leaked


@pytest.mark.parametrize("location_id", ["SUP-2", "WH-A", "ST-1", "NOPE"])
def test_a_supplier_gets_404_for_any_location_but_its_own(
        seeded: TestClient, location_id: str) -> None:
    problem = assert_problem(seeded.get(f"/v1/locations/{location_id}", headers=SUPPLIER), 404)
    assert "Appliance" not in problem["detail"]
    own = seeded.get("/v1/locations/SUP-1", headers=SUPPLIER)
    assert own.status_code == 200 and own.json()["id"] == "SUP-1"


def test_a_supplier_sees_only_its_own_stock_positions(seeded: TestClient) -> None:
    seeded.put("/v1/inventory/SUP-2/CAM-BAG", json={"on_hand": 7}, headers=ADMIN)
    seeded.put("/v1/inventory/WH-A/CAM-BAG", json={"on_hand": 3}, headers=ADMIN)
    mine = seeded.get("/v1/inventory", params={"sku": "CAM-BAG"}, headers=SUPPLIER).json()
    assert [p["location_id"] for p in mine["positions"]] == ["SUP-1"]
    assert mine["available"] == 40
    for other in ("SUP-2", "NOPE"):  # another's location is as unknown as a missing one
        asking_for_other = seeded.get("/v1/inventory", params={"sku": "CAM-BAG",
                                                               "location_id": other},
                                      headers=SUPPLIER)
        assert assert_problem(asking_for_other, 404)["detail"] == f"location {other!r} not found"
    asking_for_own = seeded.get("/v1/inventory", params={"sku": "CAM-BAG",
                                                         "location_id": "SUP-1"},
                                headers=SUPPLIER).json()
    assert asking_for_own == mine
    none_here = seeded.get("/v1/inventory", params={"sku": "LAPTOP-15"}, headers=SUPPLIER)
    assert none_here.json() == {"sku": "LAPTOP-15", "available": 0, "positions": []}
    everyone = seeded.get("/v1/inventory", params={"sku": "CAM-BAG"}, headers=ADMIN).json()
    assert everyone["available"] == 50


def test_a_supplier_cannot_set_another_locations_stock(seeded: TestClient) -> None:
    before = position(seeded, "SUP-2", "CAM-BAG")
    assert_problem(seeded.put("/v1/inventory/SUP-2/CAM-BAG", json={"on_hand": 5},
                              headers=SUPPLIER), 403)
    assert_problem(seeded.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 0},
                              headers=SUPPLIER), 403)
    assert_problem(seeded.post("/v1/inventory/adjustments",
                               json={"location_id": "SUP-2", "sku": "CAM-BAG", "delta": 3,
                                     "reason": "feed"}, headers=SUPPLIER), 403)
    assert position(seeded, "SUP-2", "CAM-BAG") == before
    assert position(seeded, "WH-A", "LAPTOP-15")["on_hand"] == 2  # type: ignore[index]


def test_a_supplier_csv_naming_another_location_is_refused_whole(seeded: TestClient) -> None:
    csv = "location_id,sku,on_hand\nSUP-1,CAM-BAG,5\nSUP-2,CAM-BAG,9\n"
    assert_problem(seeded.post("/v1/inventory/import", content=csv,
                               headers={**SUPPLIER, **CSV}), 403)
    assert position(seeded, "SUP-1", "CAM-BAG")["on_hand"] == 40  # type: ignore[index]
    assert position(seeded, "SUP-2", "CAM-BAG") is None


def test_a_supplier_feeds_its_own_stock(seeded: TestClient) -> None:
    response = seeded.put("/v1/inventory/SUP-1/CAM-BAG", json={"on_hand": 12},
                          headers=SUPPLIER)
    assert response.status_code == 200, response.text
    assert response.json()["on_hand"] == 12
    adjusted = seeded.post("/v1/inventory/adjustments",
                           json={"location_id": "SUP-1", "sku": "CAM-BAG", "delta": -2,
                                 "reason": "damaged"}, headers=SUPPLIER)
    assert adjusted.status_code == 201 and adjusted.json()["on_hand_after"] == 10
    imported = seeded.post("/v1/inventory/import", content="location_id,sku,on_hand\n"
                           "SUP-1,CAM-BAG,8\n", headers={**SUPPLIER, **CSV})
    assert imported.status_code == 200, imported.text
    assert position(seeded, "SUP-1", "CAM-BAG")["on_hand"] == 8  # type: ignore[index]


def test_a_store_key_sets_its_own_store_stock_only(seeded: TestClient) -> None:
    assert seeded.put("/v1/inventory/ST-1/PHONE-X", json={"on_hand": 4},
                      headers=STORE).status_code == 200
    assert_problem(seeded.put("/v1/inventory/ST-2/PHONE-X", json={"on_hand": 4},
                              headers=STORE), 403)
    assert position(seeded, "ST-1", "PHONE-X")["on_hand"] == 4  # type: ignore[index]
    assert position(seeded, "ST-2", "PHONE-X") is None


# --- public endpoints -------------------------------------------------------------------------

def test_healthz_needs_no_key(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_the_openapi_document_needs_no_key(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert "/v1/orders" in response.json()["paths"]


def test_tracking_needs_no_key_and_ignores_a_wrong_one(seeded: TestClient) -> None:
    order = seeded.post("/v1/orders", json=order_body(), headers=OPS).json()
    url = f"/v1/track/{order['order_id']}"
    assert seeded.get(url, params={"token": order["tracking_token"]}).status_code == 200
    assert seeded.get(url, params={"token": order["tracking_token"]},
                      headers={"Authorization": "Bearer wrong"}).status_code == 200

