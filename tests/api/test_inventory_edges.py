"""Stock edge cases a retailer hits: malformed CSV rows, huge counts, duplicate rows.

Every refusal is a 4xx that names the line and writes nothing (on both backends).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN
from tests.api.helpers import position

CSV = {**ADMIN, "content-type": "text/csv"}


def _import(client: TestClient, text: str) -> tuple[int, str]:
    response = client.post("/v1/inventory/import", content=text, headers=CSV)
    return response.status_code, response.text


@pytest.mark.parametrize(("rows", "says"), [
    ("WH-A,LAPTOP-15,3,9\n", "line 3: more cells than the header"),
    ("WH-A,LAPTOP-15,99999999999999\n", "above the limit"),
    ("WH-A,LAPTOP-15,1_000\n", "whole number"),
    ("WH-A,LAPTOP-15, 12 \nWH-B,LAPTOP-15,-1\n", "line 4"),
    ("WH-A,LAPTOP-15,1\nWH-A,LAPTOP-15,7\n", "line 4: WH-A,LAPTOP-15 is already on line 3"),
], ids=["extra-cells", "huge", "underscore-digits", "negative", "duplicate-position"])
def test_a_bad_csv_row_is_named_and_nothing_is_written(seeded_any: TestClient, rows: str,
                                                       says: str) -> None:
    status, text = _import(seeded_any, "location_id,sku,on_hand\nWH-B,PHONE-X,4\n" + rows)
    assert status == 422, text
    assert says in text
    assert position(seeded_any, "WH-B", "PHONE-X") is None
    found = position(seeded_any, "WH-A", "LAPTOP-15")
    assert found is not None and found["on_hand"] == 2


def test_an_unknown_csv_column_is_refused_not_dropped(seeded: TestClient) -> None:
    """"safety" meant safety_stock: ignoring it would import stock without its safety."""
    status, text = _import(seeded, "location_id,sku,on_hand,safety\nWH-B,PHONE-X,4,2\n")
    assert status == 422, text
    assert "'safety'" in text
    assert position(seeded, "WH-B", "PHONE-X") is None
    # a spreadsheet's trailing empty column is no column
    status, text = _import(seeded, "location_id,sku,on_hand,\nWH-B,PHONE-X,4,\n")
    assert status == 200, text
    found = position(seeded, "WH-B", "PHONE-X")
    assert found is not None and found["on_hand"] == 4


def test_a_csv_column_given_twice_is_refused_not_half_dropped(seeded: TestClient) -> None:
    status, text = _import(seeded, "location_id,sku,on_hand,on_hand\nWH-B,PHONE-X,4,9\n")
    assert status == 422, text
    assert "'on_hand' given twice" in text
    assert position(seeded, "WH-B", "PHONE-X") is None


def test_a_huge_safety_stock_in_csv_is_refused(seeded_any: TestClient) -> None:
    status, text = _import(seeded_any, "location_id,sku,on_hand,safety_stock\n"
                                       "WH-A,LAPTOP-15,1,99999999999999\n")
    assert status == 422, text
    assert "safety_stock" in text
    found = position(seeded_any, "WH-A", "LAPTOP-15")
    assert found is not None and (found["on_hand"], found["safety_stock"]) == (2, 0)


def test_csv_at_the_limit_is_taken(seeded_any: TestClient) -> None:
    status, text = _import(seeded_any, "location_id,sku,on_hand,safety_stock\n"
                                       f"WH-A,LAPTOP-15,{10**9},{10**9}\n")
    assert status == 200, text
    found = position(seeded_any, "WH-A", "LAPTOP-15")
    assert found is not None and found["on_hand"] == 10**9


def test_adjustments_cannot_push_on_hand_past_the_limit(seeded_any: TestClient) -> None:
    body = {"location_id": "WH-A", "sku": "LAPTOP-15", "delta": 10**9, "reason": "receipt"}
    first = seeded_any.post("/v1/inventory/adjustments", json={**body, "delta": 10**9 - 2},
                            headers=ADMIN)
    assert first.status_code == 201, first.text
    for _ in range(3):  # past 2**31 a 32-bit column overflows: never a 5xx
        response = seeded_any.post("/v1/inventory/adjustments", json=body, headers=ADMIN)
        assert response.status_code == 422, response.text
        assert "limit" in response.json()["detail"]
    found = position(seeded_any, "WH-A", "LAPTOP-15")
    assert found is not None and found["on_hand"] == 10**9


def test_blank_names_are_refused(seeded_any: TestClient) -> None:
    location = seeded_any.put("/v1/locations/WH-Z", headers=ADMIN, json={
        "name": "   ", "type": "warehouse", "lat": 1, "lon": 1, "capabilities": ["ship"]})
    assert location.status_code == 422, location.text
    product = seeded_any.put("/v1/products/NEW-1", json={"name": " "}, headers=ADMIN)
    assert product.status_code == 422, product.text
    assert seeded_any.get("/v1/locations/WH-Z", headers=ADMIN).status_code == 404
    assert seeded_any.get("/v1/products/NEW-1", headers=ADMIN).status_code == 404
