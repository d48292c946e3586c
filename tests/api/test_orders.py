"""Orders from every channel: intake, the (channel, channel_order_id) rule, lists, payment,
cancel and the timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN, CHANNEL, OPS, PLANNER, order_body
from tests.api.helpers import (
    CONFIRMED_OR_LATER,
    PENDING,
    all_orders,
    assert_problem,
    create_order,
    event_types,
    stock,
    walk_pages,
)


def _get(client: TestClient, order_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/orders/{order_id}", headers=PLANNER)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _timeline(client: TestClient, order_id: str) -> list[dict[str, Any]]:
    return [e for page in walk_pages(client, f"/v1/orders/{order_id}/timeline")
            for e in page]


def _pay(client: TestClient, order_id: str, status: str, **extra: Any) -> Any:
    return client.post(f"/v1/orders/{order_id}/payment", json={"status": status, **extra},
                       headers=OPS)


# --- intake ---------------------------------------------------------------------------------

def test_creating_an_order_returns_201_with_id_status_token_and_first_event(
        seeded_any: TestClient) -> None:
    response = seeded_any.post("/v1/orders", json=order_body(payment=PENDING), headers=CHANNEL)
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["order_id"].startswith("ord_")
    assert response.headers["location"] == f"/v1/orders/{order['order_id']}"
    assert order["status"] == "received"
    assert len(order["tracking_token"]) >= 16
    assert (order["channel"], order["channel_order_id"]) == ("web", "W-1001")
    assert order["customer"] == {"id": "C-42", "name": "Ada", "email": "ada@example.com"}
    assert order["payment"] == {"status": "pending"}
    assert order["currency"] == "USD" and order["total"] == 1098.0
    assert [(line["line_id"], line["sku"], line["kind"], line["covers_line_id"])
            for line in order["lines"]] == [("1", "LAPTOP-15", "product", None),
                                            ("2", "WARRANTY-3Y", "service", "1")]
    first = order["timeline"][0]
    assert first["type"] == "order.received" and first["seq"] == 1
    assert datetime.fromisoformat(first["at"]).tzinfo is not None
    assert _get(seeded_any, order["order_id"]) == order


@pytest.mark.parametrize("channel,overrides", [
    pytest.param("web", {}, id="web"),
    pytest.param("store", {"delivery": {"method": "pickup", "location_id": "ST-1"},
                           "ship_to": None}, id="store-pickup"),
    pytest.param("call_center", {"payment": {"status": "pending"}}, id="call-center"),
    pytest.param("marketplace", {"source": "ebay", "priority": 2}, id="marketplace"),
])
def test_an_order_is_taken_from_every_channel(
        seeded_any: TestClient, channel: str, overrides: dict[str, Any]) -> None:
    order = create_order(seeded_any, f"{channel}-1", channel=channel, **overrides)
    assert order["channel"] == channel
    stored = _get(seeded_any, order["order_id"])
    assert stored["channel"] == channel
    assert stored["source"] == overrides.get("source")
    assert stored["priority"] == overrides.get("priority", 0)
    assert event_types(stored)[0] == "order.received"


def test_a_store_pickup_order_ships_to_the_store(seeded_any: TestClient) -> None:
    order = create_order(seeded_any, "S-1", channel="store", ship_to=None,
                         delivery={"method": "pickup", "location_id": "ST-1"})
    assert order["delivery"] == {"method": "pickup", "location_id": "ST-1"}
    assert order["ship_to"]["lat"] == pytest.approx(40.75, abs=0.05)
    assert order["ship_to"]["lon"] == pytest.approx(-73.99, abs=0.05)


def test_a_ship_to_postal_code_is_geocoded(seeded_any: TestClient) -> None:
    order = create_order(seeded_any, "PC-1", ship_to={"postal_code": "10001", "country": "US"})
    assert order["ship_to"]["postal_code"] == "10001"
    assert order["ship_to"]["lat"] == pytest.approx(40.75, abs=0.05)
    assert order["ship_to"]["lon"] == pytest.approx(-73.99, abs=0.05)


def test_a_confirmed_payment_at_intake_confirms_the_order(seeded_any: TestClient) -> None:
    order = create_order(seeded_any, "PAID-1", payment={"status": "confirmed"})
    assert order["payment"] == {"status": "confirmed"}
    assert order["status"] in CONFIRMED_OR_LATER
    assert event_types(order)[:2] == ["order.received", "payment.confirmed"]


def test_posting_the_same_channel_order_twice_returns_the_first_order(
        seeded_any: TestClient) -> None:
    first = create_order(seeded_any, "W-DUP")
    timeline = _get(seeded_any, first["order_id"])["timeline"]
    changed = order_body("W-DUP", customer={"id": "C-99", "name": "Someone else"},
                         lines=[{"line_id": "1", "sku": "PHONE-X", "qty": 3}])
    again = seeded_any.post("/v1/orders", json=changed, headers=OPS)
    assert again.status_code == 200, again.text
    assert again.json()["order_id"] == first["order_id"]
    assert again.json()["customer"]["id"] == "C-42"  # the first body wins
    assert [line["sku"] for line in again.json()["lines"]] == ["LAPTOP-15", "WARRANTY-3Y"]
    assert [o["order_id"] for o in all_orders(seeded_any)] == [first["order_id"]]
    assert _get(seeded_any, first["order_id"])["timeline"] == timeline


def test_the_same_channel_order_id_on_another_channel_is_a_new_order(
        seeded_any: TestClient) -> None:
    web = create_order(seeded_any, "X-1", channel="web")
    call = create_order(seeded_any, "X-1", channel="call_center")
    assert web["order_id"] != call["order_id"]
    assert len(all_orders(seeded_any)) == 2


def test_an_order_waiting_for_payment_reserves_no_stock(seeded_any: TestClient) -> None:
    before = stock(seeded_any)
    create_order(seeded_any, "W-1", payment=PENDING)
    assert stock(seeded_any) == before


# --- lists ----------------------------------------------------------------------------------

def _place_mixed(client: TestClient) -> list[dict[str, Any]]:
    """Seven orders across channels and customers, oldest first, all waiting for payment."""
    specs: list[tuple[str, dict[str, Any]]] = [
        ("web", {}),
        ("store", {"delivery": {"method": "pickup", "location_id": "ST-1"}, "ship_to": None,
                   "customer": {"id": "C-7"}}),
        ("call_center", {"payment": {"status": "pending"}}),
        ("marketplace", {"source": "amazon", "customer": {"id": "C-7"}}),
        ("web", {"customer": {"id": "C-7"}}),
        ("call_center", {}),
        ("web", {"payment": {"status": "pending"}}),
    ]
    return [create_order(client, f"M-{n}", channel=channel, **{"payment": PENDING, **extra})
            for n, (channel, extra) in enumerate(specs)]


def test_the_list_holds_every_channel_newest_first(seeded_any: TestClient) -> None:
    placed = _place_mixed(seeded_any)
    listed = all_orders(seeded_any, headers=PLANNER)
    assert [o["order_id"] for o in listed] == [o["order_id"] for o in reversed(placed)]
    assert {o["channel"] for o in listed} == {"web", "store", "call_center", "marketplace"}


def test_paging_seven_orders_three_at_a_time_has_no_duplicates_and_no_gaps(
        seeded_any: TestClient) -> None:
    placed = _place_mixed(seeded_any)
    pages = walk_pages(seeded_any, "/v1/orders", limit=3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [o["order_id"] for page in pages for o in page] == \
        [o["order_id"] for o in reversed(placed)]


def test_a_page_cursor_is_stable_when_newer_orders_arrive(seeded_any: TestClient) -> None:
    placed = _place_mixed(seeded_any)
    first = seeded_any.get("/v1/orders", params={"limit": 3}, headers=ADMIN).json()
    create_order(seeded_any, "NEWER")
    second = seeded_any.get("/v1/orders", params={"limit": 3, "cursor": first["next_cursor"]},
                            headers=ADMIN).json()
    assert [o["order_id"] for o in second["items"]] == \
        [o["order_id"] for o in reversed(placed)][3:6]


@pytest.mark.parametrize("params,expected", [
    pytest.param({"channel": "web"}, [0, 4, 6], id="channel-web"),
    pytest.param({"channel": "call_center"}, [2, 5], id="channel-call-center"),
    pytest.param({"customer_id": "C-7"}, [1, 3, 4], id="customer"),
    pytest.param({"status": "received"}, [0, 1, 2, 3, 4, 5, 6], id="status"),
    pytest.param({"status": "cancelled"}, [], id="status-none"),
    pytest.param({"channel": "web", "customer_id": "C-7"}, [4], id="channel-and-customer"),
])
def test_the_list_filters_by_status_channel_and_customer(
        seeded_any: TestClient, params: dict[str, str], expected: list[int]) -> None:
    placed = _place_mixed(seeded_any)
    listed = all_orders(seeded_any, **params)
    assert [o["order_id"] for o in listed] == [placed[i]["order_id"] for i in reversed(expected)]


def test_the_status_filter_follows_status_changes_and_pages(seeded_any: TestClient) -> None:
    placed = _place_mixed(seeded_any)
    for order in placed[:5]:
        assert seeded_any.post(f"/v1/orders/{order['order_id']}/cancel",
                               headers=OPS).status_code == 200
    pages = walk_pages(seeded_any, "/v1/orders", limit=2, status="cancelled")
    assert [o["order_id"] for page in pages for o in page] == \
        [o["order_id"] for o in reversed(placed[:5])]
    assert [o["order_id"] for o in all_orders(seeded_any, status="received")] == \
        [o["order_id"] for o in reversed(placed[5:])]


def test_an_unknown_status_filter_is_422(seeded_any: TestClient) -> None:
    assert_problem(seeded_any.get("/v1/orders", params={"status": "lost"}, headers=ADMIN), 422)


# --- payment ----------------------------------------------------------------------------------

def test_confirming_payment_moves_the_order_to_payment_confirmed(seeded_any: TestClient) -> None:
    order = create_order(seeded_any, "P-1", payment={"status": "pending"})
    response = _pay(seeded_any, order["order_id"], "confirmed")
    assert response.status_code == 200, response.text
    assert response.json()["status"] in CONFIRMED_OR_LATER
    assert response.json()["payment"] == {"status": "confirmed"}
    stored = _get(seeded_any, order["order_id"])
    assert stored == response.json()
    assert "payment.confirmed" in event_types(stored)
    changed = [e["data"] for e in stored["timeline"] if e["type"] == "order.status_changed"]
    assert changed[0] == {"from": "received", "to": "payment_confirmed"}


def test_confirming_payment_twice_is_200_with_one_event(seeded_any: TestClient) -> None:
    order = create_order(seeded_any, "P-2")
    first = _pay(seeded_any, order["order_id"], "confirmed")
    assert first.status_code == 200
    again = _pay(seeded_any, order["order_id"], "confirmed")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert event_types(_get(seeded_any, order["order_id"])).count("payment.confirmed") == 1


def test_a_failed_payment_puts_the_order_on_hold(seeded_any: TestClient) -> None:
    order = create_order(seeded_any, "P-3", payment={"status": "pending"})
    response = _pay(seeded_any, order["order_id"], "failed", reason="card declined")
    assert response.status_code == 200, response.text
    stored = _get(seeded_any, order["order_id"])
    assert stored["status"] == "on_hold"
    assert stored["hold_reason"] == "payment_failed"
    assert stored["payment"] == {"status": "failed"}
    types = event_types(stored)
    assert types.index("payment.failed") < types.index("order.on_hold")
    failed = next(e for e in stored["timeline"] if e["type"] == "payment.failed")
    assert "card declined" in failed["message"]
    assert [o["order_id"] for o in all_orders(seeded_any, status="on_hold")] == \
        [order["order_id"]]


def test_a_failed_then_confirmed_payment_releases_the_hold(seeded_any: TestClient) -> None:
    order = create_order(seeded_any, "P-4")
    _pay(seeded_any, order["order_id"], "failed")
    response = _pay(seeded_any, order["order_id"], "confirmed")
    assert response.status_code == 200, response.text
    stored = _get(seeded_any, order["order_id"])
    assert stored["status"] in CONFIRMED_OR_LATER
    assert stored["hold_reason"] is None
    types = event_types(stored)
    assert types.index("order.on_hold") < types.index("payment.confirmed") \
        < types.index("order.released")


def test_a_payment_update_must_be_confirmed_or_failed(seeded_any: TestClient) -> None:
    order = create_order(seeded_any, "P-5", payment=PENDING)
    before = _get(seeded_any, order["order_id"])
    assert_problem(_pay(seeded_any, order["order_id"], "authorized"), 422)
    assert_problem(_pay(seeded_any, order["order_id"], "refunded"), 422)
    assert _get(seeded_any, order["order_id"]) == before


# --- cancel -----------------------------------------------------------------------------------

def test_cancelling_an_order_records_it(seeded_any: TestClient) -> None:
    order = create_order(seeded_any, "C-1")
    response = seeded_any.post(f"/v1/orders/{order['order_id']}/cancel",
                               json={"reason": "customer asked"}, headers=CHANNEL)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    stored = _get(seeded_any, order["order_id"])
    assert stored["status"] == "cancelled"
    cancelled = [e for e in stored["timeline"] if e["type"] == "order.cancelled"]
    assert len(cancelled) == 1 and "customer asked" in cancelled[0]["message"]


def test_cancelling_without_a_body_works(seeded_any: TestClient) -> None:
    order = create_order(seeded_any, "C-2")
    response = seeded_any.post(f"/v1/orders/{order['order_id']}/cancel", headers=OPS)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_cancelling_twice_is_409_and_changes_nothing(seeded_any: TestClient) -> None:
    order = create_order(seeded_any, "C-3")
    seeded_any.post(f"/v1/orders/{order['order_id']}/cancel", headers=OPS)
    before = _get(seeded_any, order["order_id"])
    problem = assert_problem(seeded_any.post(f"/v1/orders/{order['order_id']}/cancel",
                                             headers=OPS), 409)
    assert "cancelled" in problem["detail"]
    assert _get(seeded_any, order["order_id"]) == before


@pytest.mark.parametrize("status", ["confirmed", "failed"])
def test_a_payment_update_on_a_cancelled_order_is_409_and_changes_nothing(
        seeded_any: TestClient, status: str) -> None:
    order = create_order(seeded_any, "C-4", payment={"status": "pending"})
    seeded_any.post(f"/v1/orders/{order['order_id']}/cancel", headers=OPS)
    before = _get(seeded_any, order["order_id"])
    assert_problem(_pay(seeded_any, order["order_id"], status), 409)
    assert _get(seeded_any, order["order_id"]) == before


def test_a_held_order_can_be_cancelled(seeded_any: TestClient) -> None:
    order = create_order(seeded_any, "C-5")
    _pay(seeded_any, order["order_id"], "failed")
    response = seeded_any.post(f"/v1/orders/{order['order_id']}/cancel", headers=OPS)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["hold_reason"] is None


# --- timeline -------------------------------------------------------------------------------

def _busy_order(client: TestClient) -> str:
    order = create_order(client, "TL-1", payment={"status": "pending"})
    _pay(client, order["order_id"], "failed", reason="insufficient funds")
    _pay(client, order["order_id"], "confirmed")
    client.post(f"/v1/orders/{order['order_id']}/cancel", headers=OPS)
    return str(order["order_id"])


def test_the_timeline_pages_in_increasing_seq_without_gaps(seeded_any: TestClient) -> None:
    order_id = _busy_order(seeded_any)
    pages = walk_pages(seeded_any, f"/v1/orders/{order_id}/timeline", limit=2)
    events = [e for page in pages for e in page]
    assert all(len(page) <= 2 for page in pages) and len(pages) >= 4
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events == _get(seeded_any, order_id)["timeline"]
    assert events[0]["type"] == "order.received"
    assert events[-1]["type"] == "order.cancelled"
    times = [datetime.fromisoformat(e["at"]) for e in events]
    assert times == sorted(times)


def test_every_timeline_event_has_seq_at_type_and_a_readable_message(
        seeded_any: TestClient) -> None:
    order_id = _busy_order(seeded_any)
    for event in _timeline(seeded_any, order_id):
        assert isinstance(event["seq"], int)
        assert datetime.fromisoformat(event["at"]).utcoffset() is not None
        assert event["type"] and "." in event["type"]
        assert event["message"] and event["message"][0].isupper()
        assert "fulfillment_id" in event and "location_id" in event


def test_every_timeline_event_has_an_id(seeded_any: TestClient) -> None:
    order_id = _busy_order(seeded_any)
    events = _timeline(seeded_any, order_id)
    ids = [e["id"] for e in events]
    assert all(ids) and len(set(ids)) == len(ids)


def test_the_timeline_of_an_unknown_order_is_404(seeded_any: TestClient) -> None:
    assert_problem(seeded_any.get("/v1/orders/ord_nope/timeline", headers=ADMIN), 404)
