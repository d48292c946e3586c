"""Stock: positions, availability, adjustments with reasons, CSV imports (all rows or none)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN, PLANNER
from tests.api.helpers import assert_problem, assert_validation_problem, position, stock

CSV = {**ADMIN, "content-type": "text/csv"}


NOTHING_MOVED = {"fulfillments_withdrawn": [], "orders_resourced": [],
                 "fulfillments_at_risk": []}

def _availability(client: TestClient, sku: str) -> dict[str, Any]:
    response = client.get("/v1/inventory", params={"sku": sku}, headers=PLANNER)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_put_sets_on_hand_and_safety_stock(seeded_any: TestClient) -> None:
    response = seeded_any.put("/v1/inventory/WH-A/LAPTOP-15",
                              json={"on_hand": 9, "safety_stock": 2}, headers=ADMIN)
    assert response.status_code == 200, response.text
    written = response.json()
    assert written.pop("reallocation") == NOTHING_MOVED
    assert written == {"location_id": "WH-A", "sku": "LAPTOP-15", "on_hand": 9,
                       "reserved": 0, "safety_stock": 2, "available": 7}
    assert position(seeded_any, "WH-A", "LAPTOP-15") == written


def test_put_without_safety_stock_keeps_the_current_one(seeded_any: TestClient) -> None:
    seeded_any.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 9, "safety_stock": 2},
                   headers=ADMIN)
    seeded_any.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 4}, headers=ADMIN)
    found = position(seeded_any, "WH-A", "LAPTOP-15")
    assert found is not None and (found["on_hand"], found["safety_stock"]) == (4, 2)


def test_network_availability_sums_every_location(seeded_any: TestClient) -> None:
    body = _availability(seeded_any, "LAPTOP-15")
    assert body["sku"] == "LAPTOP-15"
    assert {p["location_id"]: p["available"] for p in body["positions"]} == {"WH-A": 2,
                                                                             "WH-B": 5}
    assert body["available"] == 7


def test_safety_stock_above_on_hand_makes_available_zero_not_negative(
        seeded_any: TestClient) -> None:
    seeded_any.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 3, "safety_stock": 5},
                   headers=ADMIN)
    body = _availability(seeded_any, "LAPTOP-15")
    wh_a = next(p for p in body["positions"] if p["location_id"] == "WH-A")
    assert (wh_a["on_hand"], wh_a["safety_stock"], wh_a["available"]) == (3, 5, 0)
    assert body["available"] == 5  # WH-B's 5; WH-A does not subtract 2


@pytest.mark.parametrize("body", [
    pytest.param({"on_hand": -1}, id="negative-on-hand"),
    pytest.param({"on_hand": 1, "safety_stock": -1}, id="negative-safety"),
    pytest.param({"on_hand": "five"}, id="not-a-number"),
    pytest.param({}, id="missing-on-hand"),
    pytest.param({"on_hand": 1, "reserved": 0}, id="reserved-is-not-settable"),
])
def test_an_invalid_position_is_422_and_unchanged(seeded_any: TestClient,
                                                   body: dict[str, Any]) -> None:
    before = position(seeded_any, "WH-A", "LAPTOP-15")
    assert_validation_problem(seeded_any.put("/v1/inventory/WH-A/LAPTOP-15", json=body,
                                             headers=ADMIN))
    assert position(seeded_any, "WH-A", "LAPTOP-15") == before


def test_a_position_for_an_unknown_sku_is_refused(seeded_any: TestClient) -> None:
    problem = assert_problem(seeded_any.put("/v1/inventory/WH-A/NOPE", json={"on_hand": 1},
                                            headers=ADMIN), 422)
    assert "NOPE" in problem["detail"]


def test_a_position_at_an_unknown_location_is_404(seeded_any: TestClient) -> None:
    assert_problem(seeded_any.put("/v1/inventory/WH-Z/LAPTOP-15", json={"on_hand": 1},
                                  headers=ADMIN), 404)
    assert position(seeded_any, "WH-Z", "LAPTOP-15") is None


def test_a_service_sku_holds_no_stock(seeded_any: TestClient) -> None:
    problem = assert_problem(seeded_any.put("/v1/inventory/WH-A/WARRANTY-3Y",
                                            json={"on_hand": 1}, headers=ADMIN), 422)
    assert "service" in problem["detail"]
    assert _availability(seeded_any, "WARRANTY-3Y") == {"sku": "WARRANTY-3Y", "available": 0,
                                                        "positions": []}


def test_availability_of_an_unknown_sku_is_404(seeded_any: TestClient) -> None:
    assert_problem(seeded_any.get("/v1/inventory", params={"sku": "NOPE"}, headers=ADMIN),
                   404)


def test_availability_at_an_unknown_location_is_404_like_an_unknown_sku(
        seeded_any: TestClient) -> None:
    """Not an empty answer that reads as "none in stock there"."""
    problem = assert_problem(seeded_any.get("/v1/inventory", headers=ADMIN,
                                            params={"sku": "LAPTOP-15", "location_id": "WH-Z"}),
                             404)
    assert problem["detail"] == "location 'WH-Z' not found"
    known = seeded_any.get("/v1/inventory", headers=ADMIN,
                           params={"sku": "LAPTOP-15", "location_id": "WH-B"}).json()
    assert [p["location_id"] for p in known["positions"]] == ["WH-B"]


def test_availability_needs_a_sku(seeded_any: TestClient) -> None:
    assert_validation_problem(seeded_any.get("/v1/inventory", headers=ADMIN))


# --- adjustments ---------------------------------------------------------------------------

def _adjust(client: TestClient, **fields: Any) -> Any:
    body = {"location_id": "WH-B", "sku": "LAPTOP-15", "delta": 3, "reason": "receipt",
            **fields}
    return client.post("/v1/inventory/adjustments", json=body, headers=ADMIN)


def test_an_adjustment_changes_on_hand_by_its_delta_and_records_the_reason(
        seeded_any: TestClient) -> None:
    response = _adjust(seeded_any, delta=3, reason="receipt PO-77")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["adjustment_id"] and body["at"]
    assert (body["delta"], body["reason"], body["on_hand_after"]) == (3, "receipt PO-77", 8)
    down = _adjust(seeded_any, delta=-8, reason="damaged in a flood")
    assert down.status_code == 201 and down.json()["on_hand_after"] == 0
    assert position(seeded_any, "WH-B", "LAPTOP-15")["on_hand"] == 0  # type: ignore[index]


def test_an_adjustment_creates_a_position_where_there_was_none(seeded_any: TestClient) -> None:
    response = _adjust(seeded_any, location_id="ST-2", sku="PHONE-X", delta=4)
    assert response.status_code == 201, response.text
    assert position(seeded_any, "ST-2", "PHONE-X")["on_hand"] == 4  # type: ignore[index]


@pytest.mark.parametrize("fields,status", [
    pytest.param({"delta": 0}, 422, id="delta-0"),
    pytest.param({"delta": -6}, 422, id="below-zero"),
    pytest.param({"reason": ""}, 422, id="empty-reason"),
    pytest.param({"reason": None}, 422, id="null-reason"),
    pytest.param({"delta": 1.5}, 422, id="fractional-delta"),
    pytest.param({"sku": "WARRANTY-3Y"}, 422, id="service-sku"),
    pytest.param({"sku": "NOPE"}, 422, id="unknown-sku"),
    pytest.param({"location_id": "WH-Z"}, 404, id="unknown-location"),
])
def test_an_impossible_adjustment_is_refused_and_stock_is_unchanged(
        seeded_any: TestClient, fields: dict[str, Any], status: int) -> None:
    before = stock(seeded_any)
    assert_problem(_adjust(seeded_any, **fields), status)
    assert stock(seeded_any) == before


@pytest.mark.parametrize("fields,field", [
    pytest.param({"delta": 0}, "delta", id="delta-0"),
    pytest.param({"delta": -6}, "delta", id="below-zero"),
    pytest.param({"reason": "  "}, "reason", id="blank-reason"),
])
def test_a_refused_adjustment_names_the_field_to_correct(
        seeded_any: TestClient, fields: dict[str, Any], field: str) -> None:
    """api.md: a validation refusal carries errors[{loc, msg}], as the schema's own do."""
    problem = assert_problem(_adjust(seeded_any, **fields), 422)
    assert problem["errors"][0]["loc"] == ["body", field]


def test_an_adjustment_without_a_reason_is_422(seeded_any: TestClient) -> None:
    before = stock(seeded_any)
    problem = assert_validation_problem(seeded_any.post(
        "/v1/inventory/adjustments",
        json={"location_id": "WH-B", "sku": "LAPTOP-15", "delta": 1}, headers=ADMIN))
    assert ["body", "reason"] in [e["loc"] for e in problem["errors"]]
    assert stock(seeded_any) == before


def test_an_adjustment_below_zero_says_how_many_are_on_hand(seeded_any: TestClient) -> None:
    problem = assert_problem(_adjust(seeded_any, delta=-6), 422)
    assert "5" in problem["detail"]


# --- CSV import -----------------------------------------------------------------------------

def test_a_csv_import_creates_and_updates_positions(seeded_any: TestClient) -> None:
    csv = ("location_id,sku,on_hand,safety_stock\n"
           "WH-A,LAPTOP-15,12,2\n"      # update
           "ST-2,PHONE-X,3,\n"          # create, no safety stock
           "WH-B,CAM-BAG,7,1\n")        # create
    response = seeded_any.post("/v1/inventory/import", content=csv, headers=CSV)
    assert response.status_code == 200, response.text
    assert response.json() == {"rows": 3, "positions_created": 2, "positions_updated": 1,
                               "reallocation": NOTHING_MOVED}
    assert position(seeded_any, "WH-A", "LAPTOP-15") == {
        "location_id": "WH-A", "sku": "LAPTOP-15", "on_hand": 12, "reserved": 0,
        "safety_stock": 2, "available": 10}
    assert position(seeded_any, "ST-2", "PHONE-X")["on_hand"] == 3  # type: ignore[index]
    assert position(seeded_any, "WH-B", "CAM-BAG")["available"] == 6  # type: ignore[index]


def test_a_csv_without_the_optional_column_and_with_a_bom_and_crlf_is_read(
        seeded_any: TestClient) -> None:
    csv = "\ufefflocation_id,sku,on_hand\r\nWH-A,PHONE-X,5\r\n\r\n"
    response = seeded_any.post("/v1/inventory/import", content=csv.encode(),
                               headers={**ADMIN, "content-type": "text/csv; charset=utf-8"})
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == 1
    assert position(seeded_any, "WH-A", "PHONE-X")["on_hand"] == 5  # type: ignore[index]


GOOD_ROW = "WH-A,LAPTOP-15,99,0\n"


@pytest.mark.parametrize("csv,mentions", [
    pytest.param("location_id,sku,on_hand,safety_stock\n" + GOOD_ROW + "WH-Z,LAPTOP-15,5,0\n",
                 "WH-Z", id="unknown-location"),
    pytest.param("location_id,sku,on_hand,safety_stock\n" + GOOD_ROW + "WH-B,NOPE,5,0\n",
                 "NOPE", id="unknown-sku"),
    pytest.param("location_id,sku,on_hand,safety_stock\n" + GOOD_ROW + "WH-B,LAPTOP-15,-5,0\n",
                 "0 or more", id="negative"),
    pytest.param("location_id,sku,on_hand,safety_stock\n" + GOOD_ROW + "WH-B,LAPTOP-15,5,-1\n",
                 "0 or more", id="negative-safety"),
    pytest.param("location_id,sku,on_hand,safety_stock\n" + GOOD_ROW + "WH-B,LAPTOP-15,five,0\n",
                 "whole number", id="not-a-number"),
    pytest.param("location_id,sku,on_hand,safety_stock\n" + GOOD_ROW + "WH-B,LAPTOP-15,2.5,0\n",
                 "whole number", id="fraction"),
    pytest.param("location_id,sku,on_hand,safety_stock\n" + GOOD_ROW + "WH-B,LAPTOP-15\n",
                 "line 3", id="short-row"),
    pytest.param("location_id,sku,on_hand,safety_stock\n" + GOOD_ROW + ",LAPTOP-15,5,0\n",
                 "required", id="empty-location"),
    pytest.param("location_id,sku,safety_stock\nWH-A,LAPTOP-15,0\n", "on_hand",
                 id="missing-column"),
    pytest.param("location_id,sku,on_hand,safety_stock\n" + GOOD_ROW
                 + "WH-B,WARRANTY-3Y,5,0\n", "service", id="service-sku"),
    pytest.param("location_id,sku,on_hand\n", "no rows", id="header-only"),
    pytest.param("", "header", id="empty"),
])
def test_a_csv_with_one_bad_row_is_refused_and_nothing_is_written(
        seeded_any: TestClient, csv: str, mentions: str) -> None:
    before = stock(seeded_any)
    response = seeded_any.post("/v1/inventory/import", content=csv, headers=CSV)
    problem = assert_problem(response, 422)
    assert mentions in problem["detail"], problem
    assert stock(seeded_any) == before
    assert position(seeded_any, "WH-A", "LAPTOP-15")["on_hand"] == 2  # type: ignore[index]


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_an_import_that_is_not_csv_is_415_and_writes_nothing(
        seeded_any: TestClient, content_type: str | None) -> None:
    before = stock(seeded_any)
    headers = {**ADMIN, **({"content-type": content_type} if content_type else {})}
    response = seeded_any.post("/v1/inventory/import",
                               content=b"location_id,sku,on_hand\nWH-A,LAPTOP-15,50\n",
                               headers=headers)
    assert_problem(response, 415)
    assert stock(seeded_any) == before


def test_an_import_that_is_not_utf8_is_400_and_writes_nothing(seeded_any: TestClient) -> None:
    before = stock(seeded_any)
    response = seeded_any.post("/v1/inventory/import",
                               content=b"location_id,sku,on_hand\nWH-A,LAPTOP-15,\xff\xfe\n",
                               headers=CSV)
    assert_problem(response, 400)
    assert stock(seeded_any) == before


def test_a_csv_the_csv_module_cannot_read_is_refused_with_422(seeded: TestClient) -> None:
    answer = seeded.post("/v1/inventory/import", content=b"\r0",
                         headers={**ADMIN, "content-type": "text/csv"})
    assert answer.status_code in (400, 422)
    assert answer.headers["content-type"].startswith("application/problem+json")
