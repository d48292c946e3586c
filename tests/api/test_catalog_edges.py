"""Catalog edges: a SKU still owed to open orders cannot turn into a service."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN, order_body


def test_a_backordered_product_cannot_become_a_service(seeded_any: TestClient) -> None:
    # Nothing on hand or reserved for PHONE-X outside ST-1; take ST-1's unit away first.
    seeded_any.put("/v1/inventory/ST-1/PHONE-X", json={"on_hand": 0}, headers=ADMIN)
    body = order_body("W-BO", lines=[{"line_id": "1", "sku": "PHONE-X", "qty": 2,
                                      "unit_price": 500.0}])
    created = seeded_any.post("/v1/orders", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "backordered"
    response = seeded_any.put("/v1/products/PHONE-X", headers=ADMIN,
                              json={"name": "Phone X", "kind": "service"})
    assert response.status_code == 409, response.text
    assert created.json()["order_id"] in response.json()["detail"]
    product = seeded_any.get("/v1/products/PHONE-X", headers=ADMIN).json()
    assert product["kind"] == "product"


def test_after_cancelling_the_order_the_kind_may_change(seeded_any: TestClient) -> None:
    seeded_any.put("/v1/inventory/ST-1/PHONE-X", json={"on_hand": 0}, headers=ADMIN)
    body = order_body("W-BO2", lines=[{"line_id": "1", "sku": "PHONE-X", "qty": 1,
                                       "unit_price": 500.0}])
    order_id = seeded_any.post("/v1/orders", json=body, headers=ADMIN).json()["order_id"]
    cancelled = seeded_any.post(f"/v1/orders/{order_id}/cancel", headers=ADMIN)
    assert cancelled.status_code == 200, cancelled.text
    response = seeded_any.put("/v1/products/PHONE-X", headers=ADMIN,
                              json={"name": "Phone X care", "kind": "service"})
    assert response.status_code == 200, response.text
