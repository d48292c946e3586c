"""HTTP-level fixtures: the real app over the real database, driven by httpx (TestClient)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from dom.bootstrap import Container

ADMIN = {"Authorization": "Bearer admin-key"}
OPS = {"Authorization": "Bearer ops-key"}
CHANNEL = {"Authorization": "Bearer channel-key"}
PLANNER = {"Authorization": "Bearer planner-key"}
SUPPLIER = {"Authorization": "Bearer supplier-key"}  # supplier SUP-1
OTHER_SUPPLIER = {"Authorization": "Bearer other-supplier-key"}  # supplier SUP-2
STORE = {"Authorization": "Bearer store-key"}  # location ST-1

NETWORK: list[tuple[str, dict[str, Any]]] = [
    ("WH-A", {"name": "Warehouse A", "type": "warehouse", "lat": 40.73, "lon": -74.17,
              "capabilities": ["ship"], "shipment_cost": 12.0, "cost_per_km": 0.01}),
    ("WH-B", {"name": "Warehouse B", "type": "warehouse", "lat": 32.78, "lon": -96.80,
              "capabilities": ["ship"], "shipment_cost": 4.0}),
    ("ST-1", {"name": "Store Manhattan", "type": "store", "postal_code": "10001",
              "capabilities": ["ship", "pickup"]}),
    ("ST-2", {"name": "Store Newark (ship only)", "type": "store", "lat": 40.73, "lon": -74.17,
              "capabilities": ["ship"]}),
    ("SUP-1", {"name": "Accessories Supplier", "type": "supplier", "lat": 41.88, "lon": -87.63,
               "capabilities": ["dropship"], "processing_days": 2}),
    ("SUP-2", {"name": "Appliance Supplier", "type": "supplier", "lat": 33.75, "lon": -84.39,
               "capabilities": ["dropship"], "processing_days": 3}),
]
CATALOG: list[tuple[str, dict[str, Any]]] = [
    ("LAPTOP-15", {"name": "Laptop 15", "kind": "product", "weight_kg": 2.1}),
    ("PHONE-X", {"name": "Phone X", "kind": "product", "weight_kg": 0.2}),
    ("CAM-BAG", {"name": "Camera bag", "kind": "product"}),
    ("WARRANTY-3Y", {"name": "Extended warranty 3y", "kind": "service",
                     "service_type": "warranty", "term_months": 36}),
]
STOCK = [("WH-A", "LAPTOP-15", 2), ("WH-B", "LAPTOP-15", 5), ("ST-1", "PHONE-X", 1),
         ("SUP-1", "CAM-BAG", 40)]


def order_body(channel_order_id: str = "W-1001", **overrides: Any) -> dict[str, Any]:
    """A valid web order for the seeded network; override any top-level field."""
    body: dict[str, Any] = {
        "channel": "web",
        "channel_order_id": channel_order_id,
        "customer": {"id": "C-42", "name": "Ada", "email": "ada@example.com"},
        "ship_to": {"lat": 40.71, "lon": -74.0},
        "delivery": {"method": "ship"},
        "payment": {"status": "authorized"},
        "lines": [{"line_id": "1", "sku": "LAPTOP-15", "qty": 1, "unit_price": 999.0},
                  {"line_id": "2", "sku": "WARRANTY-3Y", "qty": 1, "unit_price": 99.0,
                   "covers_line_id": "1"}],
    }
    body.update(overrides)
    return body


def seed(client: TestClient) -> None:
    for location_id, body in NETWORK:
        assert client.put(f"/v1/locations/{location_id}", json=body, headers=ADMIN).status_code \
            in (200, 201)
    for sku, body in CATALOG:
        assert client.put(f"/v1/products/{sku}", json=body, headers=ADMIN).status_code \
            in (200, 201)
    for location_id, sku, on_hand in STOCK:
        response = client.put(f"/v1/inventory/{location_id}/{sku}", json={"on_hand": on_hand},
                              headers=ADMIN)
        assert response.status_code == 200, response.text


def _client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def client(default_container: Container) -> Iterator[TestClient]:
    """An empty app on the default backend."""
    yield from _client(default_container)


@pytest.fixture
def seeded(client: TestClient) -> TestClient:
    """The app on the default backend with the small network, catalog and stock above."""
    seed(client)
    return client


@pytest.fixture
def seeded_any(container: Container) -> Iterator[TestClient]:
    """The seeded app on each backend (SQLite and PostgreSQL)."""
    for client in _client(container):
        seed(client)
        yield client
