"""Locations: create vs replace, geocoding, validation, pagination."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN
from tests.api.helpers import assert_problem, assert_validation_problem, walk_pages

WAREHOUSE: dict[str, Any] = {"name": "Warehouse A", "type": "warehouse", "lat": 40.74,
                             "lon": -73.99, "capabilities": ["ship"]}


def test_putting_a_new_location_creates_it_with_201_and_defaults(client: TestClient) -> None:
    response = client.put("/v1/locations/WH-A", json=WAREHOUSE, headers=ADMIN)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] == "WH-A" and body["type"] == "warehouse"
    assert body["capabilities"] == ["ship"]
    assert (body["shipment_cost"], body["cost_per_km"], body["unit_cost"],
            body["unit_cost_per_km"]) == (0, 0, 0, 0)
    assert body["processing_days"] == 0 and body["km_per_day"] == 800
    assert body["capacity_units_per_day"] is None and body["priority"] == 0
    assert body["active"] is True
    assert body.pop("reallocation") == {"fulfillments_withdrawn": [], "orders_resourced": [],
                                        "fulfillments_at_risk": []}
    assert client.get("/v1/locations/WH-A", headers=ADMIN).json() == body


def test_putting_an_existing_location_replaces_it_with_200(client: TestClient) -> None:
    assert client.put("/v1/locations/WH-A", json={**WAREHOUSE, "shipment_cost": 12.0,
                                                   "priority": 5},
                      headers=ADMIN).status_code == 201
    replaced = client.put("/v1/locations/WH-A", json={**WAREHOUSE, "name": "Warehouse A2",
                                                       "capabilities": ["ship", "pickup"]},
                          headers=ADMIN)
    assert replaced.status_code == 200, replaced.text
    stored = client.get("/v1/locations/WH-A", headers=ADMIN).json()
    assert stored["name"] == "Warehouse A2"
    assert stored["capabilities"] == ["pickup", "ship"]
    # a replacement, not a merge: fields left out return to their defaults
    assert stored["shipment_cost"] == 0 and stored["priority"] == 0
    assert len(client.get("/v1/locations", headers=ADMIN).json()["items"]) == 1


def test_a_postal_code_is_geocoded(client: TestClient) -> None:
    body = {"name": "Store Manhattan", "type": "store", "postal_code": "10001",
            "capabilities": ["ship", "pickup"]}
    response = client.put("/v1/locations/ST-1", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["lat"] == pytest.approx(40.75, abs=0.05)
    assert stored["lon"] == pytest.approx(-73.99, abs=0.05)
    assert stored["postal_code"] == "10001"


def test_all_fields_round_trip(client: TestClient) -> None:
    body = {**WAREHOUSE, "shipment_cost": 12.0, "cost_per_km": 0.01, "unit_cost": 0.5,
            "unit_cost_per_km": 0.002, "processing_days": 1, "km_per_day": 600,
            "capacity_units_per_day": 5000, "priority": 10, "active": False}
    client.put("/v1/locations/WH-A", json=body, headers=ADMIN)
    stored = client.get("/v1/locations/WH-A", headers=ADMIN).json()
    for key, value in body.items():
        assert stored[key] == value, key


@pytest.mark.parametrize("body,mentions", [
    pytest.param({**WAREHOUSE, "lon": None}, "lon", id="lat-without-lon"),
    pytest.param({k: v for k, v in WAREHOUSE.items() if k not in ("lat", "lon")}, "postal",
                 id="no-position"),
    pytest.param({**WAREHOUSE, "lat": None, "lon": None, "postal_code": "00000"}, "00000",
                 id="unknown-postal-code"),
    pytest.param({**WAREHOUSE, "lat": 95}, "lat", id="latitude-out-of-range"),
    pytest.param({**WAREHOUSE, "type": "supplier", "capabilities": ["pickup"]}, "pickup",
                 id="supplier-with-pickup"),
    pytest.param({**WAREHOUSE, "type": "supplier", "capabilities": ["ship"]}, "dropship",
                 id="supplier-shipping-without-dropship"),
    pytest.param({**WAREHOUSE, "capabilities": ["dropship"]}, "dropship",
                 id="warehouse-with-dropship"),
    pytest.param({**WAREHOUSE, "capabilities": ["teleport"]}, "capabilities",
                 id="unknown-capability"),
    pytest.param({**WAREHOUSE, "capabilities": []}, "capabilities", id="no-capability"),
    pytest.param({**WAREHOUSE, "type": "depot"}, "type", id="unknown-type"),
    pytest.param({**WAREHOUSE, "shipment_cost": -1}, "shipment_cost", id="negative-cost"),
    pytest.param({**WAREHOUSE, "cost_per_km": -0.01}, "cost_per_km", id="negative-km-cost"),
    pytest.param({**WAREHOUSE, "unit_cost": -0.5}, "unit_cost", id="negative-unit-cost"),
    pytest.param({**WAREHOUSE, "km_per_day": 0}, "km_per_day", id="zero-speed"),
    pytest.param({**WAREHOUSE, "km_per_day": 0.001}, "km_per_day", id="a-promise-millennia-out"),
    pytest.param({**WAREHOUSE, "name": ""}, "name", id="empty-name"),
    pytest.param({**WAREHOUSE, "colour": "red"}, "colour", id="unknown-field"),
])
def test_an_invalid_location_is_422_and_not_written(
        client: TestClient, body: dict[str, Any], mentions: str) -> None:
    problem = assert_validation_problem(client.put("/v1/locations/WH-X", json=body,
                                                   headers=ADMIN))
    text = problem["detail"] + str(problem["errors"])
    assert mentions in text, problem
    assert_problem(client.get("/v1/locations/WH-X", headers=ADMIN), 404)


def test_an_invalid_replacement_leaves_the_location_as_it_was(client: TestClient) -> None:
    client.put("/v1/locations/SUP-1", json={**WAREHOUSE, "type": "supplier",
                                             "capabilities": ["dropship"]}, headers=ADMIN)
    before = client.get("/v1/locations/SUP-1", headers=ADMIN).json()
    assert_validation_problem(client.put("/v1/locations/SUP-1", json={
        **WAREHOUSE, "type": "supplier", "capabilities": ["pickup"]}, headers=ADMIN))
    assert client.get("/v1/locations/SUP-1", headers=ADMIN).json() == before


@pytest.mark.parametrize("location_id", ["bad id", "-leading-dash", "x" * 65])
def test_a_malformed_location_id_is_refused(client: TestClient, location_id: str) -> None:
    response = client.put(f"/v1/locations/{location_id}", json=WAREHOUSE, headers=ADMIN)
    assert response.status_code in (404, 422)
    assert_problem(response, response.status_code)


def test_listing_more_locations_than_a_page_walks_every_one_once(client: TestClient) -> None:
    ids = [f"WH-{n:02d}" for n in range(13)]
    for location_id in reversed(ids):
        assert client.put(f"/v1/locations/{location_id}", json=WAREHOUSE,
                          headers=ADMIN).status_code == 201
    pages = walk_pages(client, "/v1/locations", limit=5)
    assert [len(page) for page in pages] == [5, 5, 3]
    seen = [loc["id"] for page in pages for loc in page]
    assert seen == ids  # by id, no duplicates, no gaps


def test_a_page_exactly_full_ends_with_a_null_cursor_or_an_empty_page(
        client: TestClient) -> None:
    for n in range(4):
        client.put(f"/v1/locations/WH-{n}", json=WAREHOUSE, headers=ADMIN)
    pages = walk_pages(client, "/v1/locations", limit=4)
    assert [len(page) for page in pages] in ([4], [4, 0])


def test_the_default_page_is_50(client: TestClient) -> None:
    for n in range(51):
        client.put(f"/v1/locations/L{n:03d}", json=WAREHOUSE, headers=ADMIN)
    body = client.get("/v1/locations", headers=ADMIN).json()
    assert len(body["items"]) == 50 and body["next_cursor"] is not None


def test_active_must_be_a_real_boolean(client: TestClient) -> None:
    response = client.put("/v1/locations/WH-A", json={**WAREHOUSE, "active": "no"},
                          headers=ADMIN)
    assert response.status_code == 422, response.text
    assert client.get("/v1/locations/WH-A", headers=ADMIN).status_code == 404
