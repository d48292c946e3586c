"""Errors: every 4xx is problem+json, bad input is refused before anything is written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.text_guard import nul_location
from tests.api.conftest import ADMIN, OPS, PLANNER, order_body
from tests.api.helpers import (
    all_orders,
    assert_problem,
    assert_validation_problem,
    create_order,
    event_types,
    stock,
)

JSON = {"content-type": "application/json"}
MIB = 1024 * 1024


@pytest.mark.parametrize("method,path,headers,body,status", [
    pytest.param("GET", "/v1/orders", {}, None, 401, id="401"),
    pytest.param("POST", "/v1/orders", PLANNER, order_body(), 403, id="403"),
    pytest.param("GET", "/v1/orders/ord_missing", ADMIN, None, 404, id="404"),
    pytest.param("PATCH", "/v1/orders", ADMIN, {}, 405, id="405"),
    pytest.param("PUT", "/v1/products/LAPTOP-15", ADMIN,
                 {"name": "Laptop", "kind": "service"}, 409, id="409"),
    pytest.param("POST", "/v1/inventory/import", ADMIN, {"rows": []}, 415, id="415"),
    pytest.param("POST", "/v1/orders", ADMIN, {"channel": "web"}, 422, id="422"),
])
def test_every_4xx_is_problem_json_with_type_title_status_detail(
        seeded: TestClient, method: str, path: str, headers: dict[str, str], body: Any,
        status: int) -> None:
    problem = assert_problem(seeded.request(method, path, json=body, headers=headers), status)
    assert problem["type"]


def test_malformed_json_is_400_problem(seeded: TestClient) -> None:
    response = seeded.post("/v1/orders", content=b'{"channel": "web",', headers={**ADMIN, **JSON})
    assert_problem(response, 400)
    assert all_orders(seeded) == []


def test_a_validation_error_is_422_and_lists_each_field(seeded: TestClient) -> None:
    body = order_body()
    del body["customer"]
    body["lines"][0]["qty"] = "lots"
    problem = assert_validation_problem(seeded.post("/v1/orders", json=body, headers=ADMIN))
    locs = [tuple(e["loc"]) for e in problem["errors"]]
    assert ("body", "customer") in locs
    assert ("body", "lines", 0, "qty") in locs


@pytest.mark.parametrize("method,path,body,loc", [
    pytest.param("PUT", "/v1/inventory/WH-A/LAPTOP-15", {"on_hand": True}, ["body", "on_hand"],
                 id="on-hand"),
    pytest.param("POST", "/v1/inventory/adjustments",
                 {"location_id": "WH-A", "sku": "LAPTOP-15", "delta": True, "reason": "found"},
                 ["body", "delta"], id="delta"),
    pytest.param("PUT", "/v1/policy", {"cost_per_day": False}, ["body", "cost_per_day"],
                 id="policy-number"),
    pytest.param("POST", "/v1/orders", order_body(priority=True), ["body", "priority"],
                 id="order-priority"),
])
def test_true_or_false_where_a_number_goes_is_refused_and_writes_nothing(
        seeded: TestClient, method: str, path: str, body: Any, loc: list[str]) -> None:
    """pydantic reads true as 1: a count of "true" units is a client bug, not one unit."""
    before = seeded.get("/v1/inventory", params={"sku": "LAPTOP-15"}, headers=ADMIN).json()
    policy = seeded.get("/v1/policy", headers=ADMIN).json()
    problem = assert_validation_problem(seeded.request(method, path, json=body, headers=ADMIN))
    assert loc in [e["loc"] for e in problem["errors"]]
    assert seeded.get("/v1/inventory", params={"sku": "LAPTOP-15"},
                      headers=ADMIN).json() == before
    assert seeded.get("/v1/policy", headers=ADMIN).json() == policy
    assert all_orders(seeded) == []


def test_an_unknown_field_is_refused_not_silently_dropped(seeded: TestClient) -> None:
    problem = assert_validation_problem(seeded.post(
        "/v1/orders", json=order_body(shipto={"lat": 1, "lon": 1}), headers=ADMIN))
    assert ["body", "shipto"] in [e["loc"] for e in problem["errors"]]


def _line(**fields: Any) -> dict[str, Any]:
    return {"line_id": "1", "sku": "LAPTOP-15", "qty": 1, "unit_price": 999.0, **fields}


INVALID_ORDERS: list[Any] = [
    pytest.param({"lines": [_line(sku="NO-SUCH-SKU")]}, "NO-SUCH-SKU", id="unknown-sku"),
    pytest.param({"lines": [_line(), _line(line_id="2", sku="NO-SUCH-SKU")]}, "NO-SUCH-SKU",
                 id="one-unknown-sku-among-known"),
    pytest.param({"lines": [_line(qty=0)]}, "qty", id="qty-0"),
    pytest.param({"lines": [_line(qty=-1)]}, "qty", id="qty-negative"),
    pytest.param({"lines": [_line(unit_price=-5)]}, "unit_price", id="negative-price"),
    pytest.param({"lines": []}, "lines", id="empty-lines"),
    pytest.param({"channel": "fax"}, "channel", id="unknown-channel"),
    pytest.param({"delivery": {"method": "pickup", "location_id": "ST-2"}}, "pickup",
                 id="pickup-where-no-pickup"),
    pytest.param({"delivery": {"method": "pickup", "location_id": "WH-A"}}, "pickup",
                 id="pickup-at-warehouse-without-pickup"),
    pytest.param({"delivery": {"method": "pickup", "location_id": "NOPE"}}, "NOPE",
                 id="pickup-at-unknown-location"),
    pytest.param({"delivery": {"method": "pickup"}}, "location_id", id="pickup-without-store"),
    pytest.param({"delivery": {"method": "ship", "location_id": "ST-1"}}, "location_id",
                 id="shipped-order-naming-a-store"),
    pytest.param({"lines": [_line(), _line(sku="PHONE-X")]}, "line_id", id="duplicate-line-id"),
    pytest.param({"lines": [_line(), _line(line_id="2", sku="WARRANTY-3Y",
                                           covers_line_id="9")]}, "covers_line_id",
                 id="covers-line-pointing-nowhere"),
    pytest.param({"lines": [_line(line_id="2", sku="WARRANTY-3Y", covers_line_id="2")]},
                 "covers_line_id", id="service-covering-itself"),
    pytest.param({"lines": [_line(), _line(line_id="2", sku="PHONE-X", covers_line_id="1")]},
                 "service", id="product-line-with-covers-line-id"),
    pytest.param({"lines": [_line(sku="WARRANTY-3Y"),
                            _line(line_id="2", sku="WARRANTY-3Y", covers_line_id="1")]},
                 "product", id="service-covering-a-service"),
    pytest.param({"ship_to": {"postal_code": "00000", "country": "US"}}, "00000",
                 id="unknown-postal-code"),
    pytest.param({"ship_to": {"lat": 40.7}}, "lon", id="lat-without-lon"),
    pytest.param({"ship_to": {"lat": 91, "lon": 0}}, "lat", id="latitude-out-of-range"),
    pytest.param({"ship_to": None}, "ship_to", id="shipped-without-ship-to"),
    pytest.param({"payment": {"status": "failed"}}, "payment", id="arrives-with-failed-payment"),
    pytest.param({"placed_at": "0001-01-01T00:00:00+01:00"}, "placed_at",
                 id="placed-before-the-first-utc-time"),
    pytest.param({"placed_at": "9999-12-31T23:59:59-01:00"}, "placed_at",
                 id="placed-after-the-last-utc-time"),
    pytest.param({"customer": {"id": "C-1", "email": "not an email"}}, "email",
                 id="bad-email"),
    pytest.param({"currency": "DOLLARS"}, "currency", id="bad-currency"),
]


@pytest.mark.parametrize("overrides,mentions", INVALID_ORDERS)
def test_an_impossible_order_is_refused_with_a_message_and_nothing_is_written(
        seeded: TestClient, overrides: dict[str, Any], mentions: str) -> None:
    stock_before = stock(seeded)
    response = seeded.post("/v1/orders", json=order_body("BAD-1", **overrides), headers=OPS)
    assert 400 <= response.status_code < 500, response.text
    problem = assert_problem(response, response.status_code)
    text = (problem["detail"] + " " + " ".join(
        f"{e['loc']} {e['msg']}" for e in problem.get("errors", []))).lower()
    assert mentions.lower() in text, problem
    assert all_orders(seeded) == []
    assert stock(seeded) == stock_before
    # The refused order did not take its channel order id either.
    retry = seeded.post("/v1/orders", json=order_body("BAD-1"), headers=OPS)
    assert retry.status_code == 201, retry.text


@pytest.mark.parametrize("field", ["at", "eta"])
@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_an_event_time_with_no_utc_equivalent_is_422_and_changes_nothing(
        seeded: TestClient, field: str, moment: str) -> None:
    order = create_order(seeded, "W-TIME")
    fulfillment = order["fulfillments"][0]
    path = f"/v1/fulfillments/{fulfillment['fulfillment_id']}/events"
    body = {"type": "delayed" if field == "eta" else "accepted", field: moment}
    problem = assert_problem(seeded.post(path, json=body, headers=OPS), 422)
    assert problem["errors"][0]["loc"] == ["body", field]
    after = seeded.get(f"/v1/orders/{order['order_id']}", headers=ADMIN).json()
    assert after["fulfillments"][0]["status"] == fulfillment["status"]
    assert event_types(after) == event_types(order)


def test_a_body_over_one_mib_with_content_length_is_413(seeded: TestClient) -> None:
    body = b'{"channel": "web", "pad": "' + b"x" * MIB + b'"}'
    assert_problem(seeded.post("/v1/orders", content=body, headers={**ADMIN, **JSON}), 413)
    assert all_orders(seeded) == []


def test_a_streamed_body_over_one_mib_without_content_length_is_413(
        seeded: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"channel": "web", "pad": "'
        for _ in range(12):
            yield b"x" * 100_000
        yield b'"}'

    response = seeded.post("/v1/orders", content=chunks(), headers={**ADMIN, **JSON})
    assert_problem(response, 413)


@pytest.mark.parametrize("path", ["/v1/orders", "/v1/locations", "/v1/products"])
def test_a_page_limit_over_500_is_422_and_100_is_allowed(seeded: TestClient, path: str) -> None:
    assert_validation_problem(seeded.get(path, params={"limit": 501}, headers=ADMIN))
    assert_validation_problem(seeded.get(path, params={"limit": 0}, headers=ADMIN))
    assert seeded.get(path, params={"limit": 100}, headers=ADMIN).status_code == 200
    assert seeded.get(path, params={"limit": 500}, headers=ADMIN).status_code == 200


def test_a_timeline_page_limit_over_500_is_422(seeded: TestClient) -> None:
    order = create_order(seeded, "T-1")
    path = f"/v1/orders/{order['order_id']}/timeline"
    assert_validation_problem(seeded.get(path, params={"limit": 501}, headers=ADMIN))
    assert seeded.get(path, params={"limit": 100}, headers=ADMIN).status_code == 200


@pytest.mark.parametrize("path", ["/v1/orders", "/v1/locations", "/v1/products"])
def test_a_cursor_that_is_not_base64_text_is_422(seeded: TestClient, path: str) -> None:
    assert_validation_problem(seeded.get(path, params={"cursor": "abc"}, headers=ADMIN))
    assert_validation_problem(seeded.get(path, params={"cursor": "x" * 201}, headers=ADMIN))


def test_a_cursor_of_punctuation_is_422(seeded: TestClient) -> None:
    create_order(seeded, "C-1")
    assert_validation_problem(seeded.get("/v1/orders", params={"cursor": "!!!"},
                                         headers=ADMIN))


@pytest.mark.parametrize("method,path,body", [
    ("GET", "/v1/orders/ord_doesnotexist", None),
    ("GET", "/v1/orders/ord_doesnotexist/timeline", None),
    ("POST", "/v1/orders/ord_doesnotexist/payment", {"status": "confirmed"}),
    ("POST", "/v1/orders/ord_doesnotexist/cancel", None),
    ("GET", "/v1/locations/NOPE", None),
    ("GET", "/v1/products/NOPE", None),
    ("GET", "/v1/inventory?sku=NOPE", None),
    ("PUT", "/v1/inventory/NOPE/LAPTOP-15", {"on_hand": 1}),
])
def test_an_unknown_id_is_404_problem(seeded: TestClient, method: str, path: str,
                                      body: Any) -> None:
    assert_problem(seeded.request(method, path, json=body, headers=ADMIN), 404)


@pytest.mark.parametrize("path", ["/v1/nothing-here", "/v2/orders", "/nothing"])
def test_an_unknown_route_is_404_problem(client: TestClient, path: str) -> None:
    assert_problem(client.get(path, headers=ADMIN), 404)


def test_a_bad_idempotency_key_is_400_problem_and_writes_nothing(seeded: TestClient) -> None:
    response = seeded.post("/v1/orders", json=order_body(),
                           headers={**ADMIN, "Idempotency-Key": "k" * 256})
    assert_problem(response, 400)
    assert all_orders(seeded) == []


NUL_REQUESTS = [
    pytest.param("POST", "/v1/orders", order_body("W-\u0000"), ["body", "channel_order_id"],
                 id="json-escape-in-body"),
    pytest.param("POST", "/v1/allocate",
                 {"commit": True, "order": order_body("W-9", lines=[
                     {"line_id": "1", "sku": "LAPTOP\u0000", "qty": 1}])},
                 ["body", "order", "lines", 0, "sku"], id="nested-line-sku"),
    pytest.param("GET", "/v1/orders/ord_%00", None, ["path"], id="percent-encoded-path"),
    pytest.param("GET", "/v1/orders?channel=web%00", None, ["query"], id="query"),
]


@pytest.mark.parametrize("method,path,body,loc", NUL_REQUESTS)
def test_a_nul_character_is_422_on_every_database_and_writes_nothing(
        seeded_any: TestClient, method: str, path: str, body: Any, loc: list[Any]) -> None:
    """PostgreSQL cannot store U+0000: refused up front, not a 500 on one backend only."""
    stock_before = stock(seeded_any)
    response = seeded_any.request(method, path, json=body, headers=ADMIN)
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"] == loc
    assert all_orders(seeded_any) == []
    assert stock(seeded_any) == stock_before


def test_a_raw_nul_byte_in_a_body_is_422(seeded: TestClient) -> None:
    response = seeded.put("/v1/inventory/WH-A/LAPTOP-15", content=b'{"on_hand": 3}\x00',
                          headers={**ADMIN, **JSON})
    assert_problem(response, 422)
    assert stock(seeded)[("WH-A", "LAPTOP-15")]["on_hand"] == 2


@pytest.mark.parametrize("headers", [ADMIN, {}], ids=["with-key", "without-key"])
def test_json_nested_deeper_than_the_parser_goes_is_400_even_holding_a_nul(
        seeded: TestClient, headers: dict[str, str]) -> None:
    """The NUL guard parses bodies holding ``\\u0000``; one nested too deep for the JSON parser
    is the app's 400 (or the key check's 401), not a RecursionError's 500."""
    body = b"[" * 1500 + b'"\\u0000"' + b"]" * 1500
    response = seeded.post("/v1/orders", content=body, headers={**headers, **JSON})
    assert_problem(response, 400 if headers else 401)
    assert seeded.request("GET", "/healthz", content=body, headers=JSON).status_code == 200
    assert all_orders(seeded) == []


def test_the_nul_search_walks_any_depth_and_names_the_first_nul_in_document_order() -> None:
    deep: Any = "x\u0000"
    for _ in range(5000):
        deep = [deep]
    assert nul_location(deep, ["body"]) == ["body", *[0] * 5000]
    document = {"a": ["ok", {"b": "1\u0000"}], "c": "2\u0000"}
    assert nul_location(document, ["body"]) == ["body", "a", 1, "b"]
    assert nul_location({"a": "ok", "k\u0000": 1}, []) == ["k\u0000"]
    assert nul_location({"a": "1\u0000", "k\u0000": 1}, []) == ["a"]
    assert nul_location({"a": ["ok", {"b": 1}]}, ["body"]) is None


def test_a_nul_character_without_a_key_is_still_401(seeded: TestClient) -> None:
    assert_problem(seeded.get("/v1/orders/ord_%00"), 401)
