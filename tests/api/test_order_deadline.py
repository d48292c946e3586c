"""An order's delivery deadline (``delivery.deliver_by``) through the real app.

The seeded network (tests/api/conftest.py) ships a laptop to New York from Warehouse A (Newark,
near, 1 day, dearer) or Warehouse B (Dallas, far, 3 days, cheaper): under objective ``cost`` B
wins unless the deadline rules it out.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN, CHANNEL, OPS, order_body
from tests.api.helpers import assert_problem, assert_validation_problem


def today() -> date:
    return datetime.now(UTC).date()


def laptop_order(channel_order_id: str, deliver_by: Any = None, **extra: Any) -> dict[str, Any]:
    delivery: dict[str, Any] = {"method": "ship"}
    if deliver_by is not None:
        delivery["deliver_by"] = deliver_by
    return order_body(channel_order_id, delivery=delivery, lines=[
        {"line_id": "1", "sku": "LAPTOP-15", "qty": 1, "unit_price": 999.0}], **extra)


def set_policy(client: TestClient, **fields: Any) -> None:
    response = client.put("/v1/policy", json={"objective": "cost", **fields}, headers=ADMIN)
    assert response.status_code == 200, response.text


def place(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/orders", json=body, headers=CHANNEL)
    assert response.status_code == 201, response.text
    order = client.get(f"/v1/orders/{response.json()['order_id']}", headers=OPS)
    assert order.status_code == 200, order.text
    result: dict[str, Any] = order.json()
    return result


def shipped_from(order: dict[str, Any]) -> list[str | None]:
    return [f["location_id"] for f in order["fulfillments"] if f["type"] != "service"]


def order_count(client: TestClient) -> int:
    return len(client.get("/v1/orders", headers=OPS).json()["items"])


def test_without_a_deadline_cost_picks_the_cheap_far_warehouse(seeded: TestClient) -> None:
    set_policy(seeded)
    order = place(seeded, laptop_order("W-NODL"))
    assert order["status"] == "allocated"
    assert shipped_from(order) == ["WH-B"]
    assert order["fulfillments"][0]["delivery_days"] == 3
    assert "deliver_by" not in order["delivery"]


def test_a_deadline_only_the_near_warehouse_meets_sources_from_it(seeded: TestClient) -> None:
    set_policy(seeded)
    deliver_by = today() + timedelta(days=2)
    order = place(seeded, laptop_order("W-DL", deliver_by.isoformat()))
    assert order["status"] == "allocated"
    assert shipped_from(order) == ["WH-A"]
    (fulfillment,) = order["fulfillments"]
    assert date.fromisoformat(fulfillment["promised_date"]) <= deliver_by
    assert order["delivery"] == {"method": "ship", "deliver_by": deliver_by.isoformat()}


def test_a_deadline_the_far_warehouse_just_meets_leaves_cost_in_charge(seeded: TestClient
                                                                       ) -> None:
    """The boundary counts like promised_date: arriving on deliver_by itself is in time."""
    set_policy(seeded)
    order = place(seeded, laptop_order("W-DL3", (today() + timedelta(days=3)).isoformat()))
    assert shipped_from(order) == ["WH-B"]
    assert order["fulfillments"][0]["promised_date"] == (today() + timedelta(days=3)).isoformat()


def test_a_quote_names_the_deadline_as_why_a_location_lost(seeded: TestClient) -> None:
    """The explanation ranks the top runners-up; the slow supplier is out for the deadline."""
    set_policy(seeded)
    body = laptop_order("W-Q", (today() + timedelta(days=1)).isoformat())
    answer = seeded.post("/v1/allocate", json={"order": body, "commit": False}, headers=CHANNEL)
    assert answer.status_code == 200, answer.text
    quote = answer.json()
    assert [f["location_id"] for f in quote["fulfillments"]] == ["WH-A"]
    why = {a["location_id"]: a["why_not"] for a in quote["explanation"]["alternatives"]}
    assert "ineligible:deadline" in why.values(), quote["explanation"]
    assert why.get("WH-B", "ineligible:deadline") == "ineligible:deadline"
    assert order_count(seeded) == 0


def test_an_order_no_location_can_deliver_in_time_is_backordered(seeded: TestClient) -> None:
    """Due today: every shipment takes at least a day, so nothing is eligible."""
    set_policy(seeded)
    order = place(seeded, laptop_order("W-LATE", today().isoformat()))
    assert order["status"] == "backordered"
    assert shipped_from(order) == []
    (event,) = [e for e in order["timeline"] if e["type"] == "order.backordered"]
    assert event["data"]["lines"][0]["reason"] == "deadline"
    assert event["message"].startswith("Backordered: 1 unit(s) no location can deliver by ")
    # Stock was there: the deadline, not the stock, is what kept the order back.
    again = seeded.post("/v1/allocate", json={"order_id": order["order_id"], "commit": False},
                        headers=CHANNEL).json()
    assert again["status"] == "backordered"
    assert [u["reason"] for u in again["unallocated"]] == ["deadline"]
    available = seeded.get("/v1/inventory?sku=LAPTOP-15", headers=ADMIN).json()["positions"]
    assert {p["location_id"]: p["available"] for p in available} == {"WH-A": 2, "WH-B": 5}


def test_under_a_reject_policy_an_order_no_one_can_deliver_in_time_is_refused(
        seeded: TestClient) -> None:
    set_policy(seeded, backorder="reject")
    body = laptop_order("W-REJ", today().isoformat())
    answer = seeded.post("/v1/allocate", json={"order": body, "commit": True}, headers=CHANNEL)
    problem = assert_problem(answer, 409)
    # stock is there: the refusal names the deadline, not "not enough stock"
    assert problem["detail"] == ("cannot fill the order (1 x line 1 short: no location can "
                                 "deliver it by the deadline) and the policy rejects backorders")
    quote = seeded.post("/v1/allocate", json={"order": body, "commit": False},
                        headers=CHANNEL).json()
    assert quote["commit_refusal"] == problem["detail"]
    assert order_count(seeded) == 0
    # The same order without a deadline is taken and shipped.
    body = laptop_order("W-REJ")
    answer = seeded.post("/v1/allocate", json={"order": body, "commit": True}, headers=CHANNEL)
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "allocated"


def test_a_pickup_due_today_is_met_by_a_store_with_no_processing_time(seeded: TestClient
                                                                      ) -> None:
    body = order_body("W-PICK", ship_to=None,
                      delivery={"method": "pickup", "location_id": "ST-1",
                                "deliver_by": today().isoformat()},
                      lines=[{"line_id": "1", "sku": "PHONE-X", "qty": 1, "unit_price": 5.0}])
    order = place(seeded, body)
    assert order["status"] == "allocated"
    assert shipped_from(order) == ["ST-1"]
    assert order["delivery"] == {"method": "pickup", "location_id": "ST-1",
                                 "deliver_by": today().isoformat()}


def test_a_pickup_whose_work_starts_after_its_deadline_is_not_promised_late(
        seeded: TestClient) -> None:
    """Allocations wait three days before they reach the store: a pickup due tomorrow cannot
    be ready by then, not even at a store that needs no processing time (the deadline counted
    as 'day 0' and the customer was promised a day after it)."""
    set_policy(seeded, release_delay_minutes=3 * 24 * 60)
    due = (today() + timedelta(days=1)).isoformat()
    body = order_body("W-PICK-LATE", ship_to=None,
                      delivery={"method": "pickup", "location_id": "ST-1", "deliver_by": due},
                      lines=[{"line_id": "1", "sku": "PHONE-X", "qty": 1, "unit_price": 5.0}])
    quote = seeded.post("/v1/allocate", json={"order": body, "commit": False}, headers=CHANNEL)
    assert quote.status_code == 200, quote.text
    assert quote.json()["fulfillments"] == []
    assert [u["reason"] for u in quote.json()["unallocated"]] == ["deadline"]
    order = place(seeded, body)
    assert order["status"] == "backordered" and shipped_from(order) == []


@pytest.mark.parametrize("path", ["/v1/orders", "/v1/allocate"])
def test_a_deadline_in_the_past_is_refused_and_writes_nothing(seeded: TestClient,
                                                               path: str) -> None:
    yesterday = (today() - timedelta(days=1)).isoformat()
    body = laptop_order("W-PAST", yesterday)
    payload = body if path == "/v1/orders" else {"order": body, "commit": True}
    problem = assert_validation_problem(seeded.post(path, json=payload, headers=CHANNEL))
    assert "in the past" in problem["detail"]
    where = ["body"] if path == "/v1/orders" else ["body", "order"]
    assert [*where, "delivery", "deliver_by"] in [e["loc"] for e in problem["errors"]]
    assert order_count(seeded) == 0
    available = seeded.get("/v1/inventory?sku=LAPTOP-15", headers=ADMIN).json()["positions"]
    assert {p["location_id"]: p["available"] for p in available} == {"WH-A": 2, "WH-B": 5}


@pytest.mark.parametrize("value", ["2026-13-01", "2026-02-30", "tomorrow", "", "03/12/2026",
                                   "2026-12-03T10:00:00Z", "2026-12-03T00:00:00", 1796256000,
                                   True, {"date": "2026-12-03"}])
def test_a_malformed_deadline_is_422(seeded: TestClient, value: Any) -> None:
    response = seeded.post("/v1/orders", json=laptop_order("W-BAD", value), headers=CHANNEL)
    problem = assert_validation_problem(response)
    assert any(e["loc"][-1] == "deliver_by" for e in problem["errors"]), problem
    assert order_count(seeded) == 0


def test_the_deadline_round_trips_on_both_backends(seeded_any: TestClient) -> None:
    deliver_by = (today() + timedelta(days=30)).isoformat()
    created = seeded_any.post("/v1/orders", json=laptop_order("W-RT", deliver_by),
                              headers=CHANNEL)
    assert created.status_code == 201, created.text
    assert created.json()["delivery"]["deliver_by"] == deliver_by
    order_id = created.json()["order_id"]
    got = seeded_any.get(f"/v1/orders/{order_id}", headers=OPS).json()
    assert got["delivery"] == {"method": "ship", "deliver_by": deliver_by}
    listed = seeded_any.get("/v1/orders", headers=OPS).json()["items"]
    assert [o["delivery"].get("deliver_by") for o in listed] == [deliver_by]
    # The same channel order again answers with the first (its deadline wins, too).
    again = seeded_any.post("/v1/orders", json=laptop_order("W-RT"), headers=CHANNEL)
    assert again.status_code == 200 and again.json()["delivery"]["deliver_by"] == deliver_by
    # Without a deadline, nothing changes in what is returned.
    plain = seeded_any.post("/v1/orders", json=laptop_order("W-RT2"), headers=CHANNEL).json()
    assert plain["delivery"] == {"method": "ship"}


def test_a_deadline_is_in_the_openapi_document(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    field = schema["DeliveryIn"]["properties"]["deliver_by"]
    assert {"type": "string", "format": "date"} in field["anyOf"]
    assert "deliver_by" not in schema["DeliveryIn"].get("required", [])
