"""The customer's tracking view: status and timeline behind the token, nothing private."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import CHANNEL, OPS, order_body
from tests.api.helpers import assert_problem


def _order(client: TestClient, **overrides: Any) -> dict[str, Any]:
    body = order_body("TR-1", customer={"id": "C-SECRET-42", "name": "Ada Lovelace",
                                        "email": "ada@example.com", "phone": "+1 555 0100"},
                      ship_to={"lat": 40.71, "lon": -74.0, "address1": "350 Fifth Avenue",
                               "city": "New York"}, **overrides)
    response = client.post("/v1/orders", json=body, headers=OPS)
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


def test_the_right_token_shows_status_and_timeline_without_a_key(seeded: TestClient) -> None:
    order = _order(seeded, payment={"status": "pending"})
    seeded.post(f"/v1/orders/{order['order_id']}/payment", json={"status": "confirmed"},
                headers=OPS)
    response = seeded.get(f"/v1/track/{order['order_id']}",
                          params={"token": order["tracking_token"]})
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["order_id"] == order["order_id"]
    stored = seeded.get(f"/v1/orders/{order['order_id']}", headers=OPS).json()
    assert view["status"] == stored["status"] != "received"
    assert view["delivery"] == {"method": "ship"}
    assert [(line["line_id"], line["sku"], line["qty"]) for line in view["lines"]] == \
        [("1", "LAPTOP-15", 1), ("2", "WARRANTY-3Y", 1)]
    types = [e["type"] for e in view["timeline"]]
    assert types[0] == "order.received" and "payment.confirmed" in types
    assert all(e["message"] for e in view["timeline"])


def test_the_tracking_view_has_no_prices_and_no_customer_data(seeded: TestClient) -> None:
    order = _order(seeded)
    view = seeded.get(f"/v1/track/{order['order_id']}",
                      params={"token": order["tracking_token"]})
    # times and generated ids may hold any digits ("13:33:00.999064"): leave them out
    shown = view.json()
    for event in shown["timeline"]:
        for generated in ("id", "at", "order_id", "fulfillment_id"):
            event.pop(generated, None)
    shown.pop("order_id")
    text = json.dumps(shown)
    for private in ("C-SECRET-42", "Ada", "ada@example.com", "555 0100", "350 Fifth",
                    "999", "1098", "unit_price", "total", "customer", "tracking_token",
                    order["tracking_token"]):
        assert private not in text, private
    assert "ship_to" not in view.json()


def test_the_tracking_view_follows_a_cancellation(seeded: TestClient) -> None:
    order = _order(seeded)
    seeded.post(f"/v1/orders/{order['order_id']}/cancel",
                json={"reason": "fraud score 98 - blacklisted card"}, headers=OPS)
    view = seeded.get(f"/v1/track/{order['order_id']}",
                      params={"token": order["tracking_token"]}).json()
    assert view["status"] == "cancelled"
    assert view["timeline"][-1]["type"] == "order.cancelled"
    assert view["timeline"][-1]["message"] == "Order cancelled"  # staff's reason stays inside
    assert "fraud" not in json.dumps(view)


def test_a_wrong_token_is_404(seeded: TestClient) -> None:
    order = _order(seeded)
    for token in ("wrong", order["tracking_token"][:-1], order["tracking_token"] + "x"):
        assert_problem(seeded.get(f"/v1/track/{order['order_id']}", params={"token": token}),
                       404)


def test_another_orders_token_is_404(seeded: TestClient) -> None:
    first = _order(seeded)
    second = seeded.post("/v1/orders", json=order_body("TR-2"), headers=OPS).json()
    assert_problem(seeded.get(f"/v1/track/{first['order_id']}",
                              params={"token": second["tracking_token"]}), 404)


def test_an_unknown_order_is_404_like_a_wrong_token(seeded: TestClient) -> None:
    order = _order(seeded)
    unknown = seeded.get("/v1/track/ord_doesnotexist", params={"token": order["tracking_token"]})
    wrong = seeded.get(f"/v1/track/{order['order_id']}", params={"token": "wrong"})
    assert_problem(unknown, 404)
    assert assert_problem(wrong, 404)["detail"] == unknown.json()["detail"]


def test_tracking_without_a_token_is_refused(seeded: TestClient) -> None:
    order = _order(seeded)
    response = seeded.get(f"/v1/track/{order['order_id']}")
    assert response.status_code in (404, 422)
    assert_problem(response, response.status_code)


def test_internal_reasons_and_drop_ship_partners_stay_out_of_the_customer_s_view(
        seeded: TestClient) -> None:
    order = _order(seeded, lines=[{"line_id": "1", "sku": "LAPTOP-15", "qty": 1,
                                   "unit_price": 999.0},
                                  {"line_id": "2", "sku": "CAM-BAG", "qty": 1,
                                   "unit_price": 40.0}])
    stored = seeded.get(f"/v1/orders/{order['order_id']}", headers=OPS).json()
    eta = datetime.now(UTC).date() + timedelta(days=26)
    by_type = {f["type"]: f["fulfillment_id"] for f in stored["fulfillments"]}
    seeded.post(f"/v1/fulfillments/{by_type['dropship']}/events",
                json={"type": "shipped"}, headers=OPS)
    seeded.post(f"/v1/fulfillments/{by_type['ship']}/events",
                json={"type": "delayed", "reason": "picker off sick; WMS wave 42 stuck",
                      "eta": f"{eta.isoformat()}T12:00:00Z"}, headers=OPS)
    seeded.post(f"/v1/orders/{order['order_id']}/payment",
                json={"status": "failed", "reason": "fraud score 97"}, headers=OPS)
    staff = json.dumps(seeded.get(f"/v1/orders/{order['order_id']}/timeline",
                                  params={"limit": 100}, headers=OPS).json())
    assert "Accessories Supplier" in staff and "fraud score 97" in staff and "WMS" in staff
    view = seeded.get(f"/v1/track/{order['order_id']}",
                      params={"token": order["tracking_token"]}).json()
    text = json.dumps(view)
    for internal in ("Accessories Supplier", "SUP-1", "fraud", "WMS", "picker", "Flagged"):
        assert internal not in text, internal
    messages = {e["type"]: e["message"] for e in view["timeline"]}
    assert messages["fulfillment.delayed"] == f"Running late; new estimate {eta.isoformat()}"
    assert messages["payment.failed"] == "Payment failed: please update your payment details"
    assert "our partner" in messages["fulfillment.shipped"]
    notices = seeded.get("/v1/notifications", params={"order_id": order["order_id"]},
                         headers=OPS).json()["items"]
    (delay,) = [n for n in notices if n["template"] == "delay"]
    assert "WMS" not in delay["body"] and "running late" in delay["body"]


def test_the_customer_follows_each_parcel_with_its_tracking_number(seeded: TestClient) -> None:
    order = _order(seeded, lines=[{"line_id": "1", "sku": "LAPTOP-15", "qty": 1,
                                   "unit_price": 999.0},
                                  {"line_id": "2", "sku": "CAM-BAG", "qty": 1,
                                   "unit_price": 40.0}])
    stored = seeded.get(f"/v1/orders/{order['order_id']}", headers=OPS).json()
    by_type = {f["type"]: f for f in stored["fulfillments"]}
    laptop, bag = by_type["ship"], by_type["dropship"]
    shipped = seeded.post(f"/v1/fulfillments/{laptop['fulfillment_id']}/events",
                          json={"type": "shipped", "carrier": "UPS",
                                "tracking_number": "1Z999"}, headers=OPS)
    assert shipped.status_code == 200, shipped.text

    view = seeded.get(f"/v1/track/{order['order_id']}",
                      params={"token": order["tracking_token"]}).json()

    parcels = {p["fulfillment_id"]: p for p in view["parcels"]}
    assert parcels == {
        laptop["fulfillment_id"]: {
            "fulfillment_id": laptop["fulfillment_id"], "stage": "shipped",
            "lines": [{"line_id": "1", "sku": "LAPTOP-15", "qty": 1}],
            "promised_date": laptop["promised_date"], "carrier": "UPS",
            "tracking_number": "1Z999"},
        bag["fulfillment_id"]: {
            "fulfillment_id": bag["fulfillment_id"], "stage": "preparing",
            "lines": [{"line_id": "2", "sku": "CAM-BAG", "qty": 1}],
            "promised_date": bag["promised_date"], "carrier": None, "tracking_number": None}}
    # the timeline's events name the parcel they are about
    (event,) = [e for e in view["timeline"] if e["type"] == "fulfillment.shipped"]
    assert event["fulfillment_id"] == laptop["fulfillment_id"]
    cancelled = seeded.post(f"/v1/orders/{order['order_id']}/cancel", headers=CHANNEL)
    assert cancelled.status_code == 200, cancelled.text  # the bag had not left: it stops
    after = seeded.get(f"/v1/track/{order['order_id']}",
                       params={"token": order["tracking_token"]}).json()
    assert [p["fulfillment_id"] for p in after["parcels"]] == [laptop["fulfillment_id"]]
    assert [(line["sku"], line["qty"], line["cancelled_qty"]) for line in after["lines"]] == \
        [("LAPTOP-15", 1, 0), ("CAM-BAG", 1, 1)]
