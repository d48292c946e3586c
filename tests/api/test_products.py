"""The catalog: products and services, create vs replace, validation, pagination."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN, CHANNEL
from tests.api.helpers import assert_problem, assert_validation_problem, position, walk_pages

LAPTOP = {"name": "Laptop 15", "kind": "product", "weight_kg": 2.1}
WARRANTY = {"name": "Extended warranty 3y", "kind": "service", "service_type": "warranty",
            "term_months": 36}


def test_putting_a_new_product_creates_it_with_201(client: TestClient) -> None:
    response = client.put("/v1/products/LAPTOP-15", json=LAPTOP, headers=ADMIN)
    assert response.status_code == 201, response.text
    assert response.json() == {"sku": "LAPTOP-15", "name": "Laptop 15", "kind": "product",
                               "weight_kg": 2.1, "service_type": None, "term_months": None}
    assert client.get("/v1/products/LAPTOP-15", headers=CHANNEL).json() == response.json()


def test_putting_an_existing_product_replaces_it_with_200(client: TestClient) -> None:
    client.put("/v1/products/LAPTOP-15", json=LAPTOP, headers=ADMIN)
    response = client.put("/v1/products/LAPTOP-15", json={"name": "Laptop 15 (2026)"},
                          headers=ADMIN)
    assert response.status_code == 200, response.text
    stored = client.get("/v1/products/LAPTOP-15", headers=ADMIN).json()
    assert stored["name"] == "Laptop 15 (2026)"
    assert stored["kind"] == "product" and stored["weight_kg"] is None


def test_a_service_is_created_with_its_type_and_term(client: TestClient) -> None:
    response = client.put("/v1/products/WARRANTY-3Y", json=WARRANTY, headers=ADMIN)
    assert response.status_code == 201
    assert response.json()["kind"] == "service"
    assert response.json()["service_type"] == "warranty"
    assert response.json()["term_months"] == 36


@pytest.mark.parametrize("body,mentions", [
    pytest.param({**WARRANTY, "weight_kg": 1.0}, "weight", id="service-with-weight"),
    pytest.param({**LAPTOP, "term_months": 12}, "service", id="product-with-term"),
    pytest.param({**LAPTOP, "service_type": "warranty"}, "service", id="product-with-type"),
    pytest.param({**LAPTOP, "weight_kg": -1}, "weight_kg", id="negative-weight"),
    pytest.param({**LAPTOP, "kind": "bundle"}, "kind", id="unknown-kind"),
    pytest.param({"kind": "product"}, "name", id="no-name"),
    pytest.param({**WARRANTY, "term_months": 0}, "term_months", id="zero-term"),
    pytest.param({**LAPTOP, "price": 9.0}, "price", id="unknown-field"),
])
def test_an_invalid_product_is_422_and_not_written(
        client: TestClient, body: dict[str, Any], mentions: str) -> None:
    problem = assert_validation_problem(client.put("/v1/products/SKU-X", json=body,
                                                   headers=ADMIN))
    assert mentions in problem["detail"] + str(problem["errors"])
    assert_problem(client.get("/v1/products/SKU-X", headers=ADMIN), 404)


def test_a_product_holding_stock_cannot_become_a_service(seeded: TestClient) -> None:
    before = seeded.get("/v1/products/LAPTOP-15", headers=ADMIN).json()
    problem = assert_problem(seeded.put("/v1/products/LAPTOP-15",
                                        json={"name": "Laptop", "kind": "service"},
                                        headers=ADMIN), 409)
    assert "stock" in problem["detail"]
    assert seeded.get("/v1/products/LAPTOP-15", headers=ADMIN).json() == before
    assert position(seeded, "WH-A", "LAPTOP-15")["on_hand"] == 2  # type: ignore[index]


def test_a_product_whose_stock_was_zeroed_can_become_a_service(seeded: TestClient) -> None:
    assert seeded.put("/v1/inventory/ST-1/PHONE-X", json={"on_hand": 0},
                      headers=ADMIN).status_code == 200
    response = seeded.put("/v1/products/PHONE-X", json={"name": "Phone care",
                                                        "kind": "service"}, headers=ADMIN)
    assert response.status_code == 200, response.text
    availability = seeded.get("/v1/inventory", params={"sku": "PHONE-X"}, headers=ADMIN)
    assert availability.json()["positions"] == []


def test_a_product_that_never_held_stock_can_become_a_service(seeded: TestClient) -> None:
    seeded.put("/v1/products/NEW-1", json={"name": "New"}, headers=ADMIN)
    assert seeded.put("/v1/products/NEW-1", json={"name": "New", "kind": "service"},
                      headers=ADMIN).status_code == 200


def test_listing_more_products_than_a_page_walks_every_one_once(client: TestClient) -> None:
    skus = [f"SKU-{n:02d}" for n in range(11)]
    for sku in reversed(skus):
        assert client.put(f"/v1/products/{sku}", json={"name": sku},
                          headers=ADMIN).status_code == 201
    pages = walk_pages(client, "/v1/products", limit=4)
    assert [len(page) for page in pages] == [4, 4, 3]
    assert [p["sku"] for page in pages for p in page] == skus


def test_an_unknown_sku_is_404(client: TestClient) -> None:
    problem = assert_problem(client.get("/v1/products/NOPE", headers=ADMIN), 404)
    assert "NOPE" in problem["detail"]
