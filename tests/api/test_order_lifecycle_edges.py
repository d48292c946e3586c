"""Order lifecycle edges through the HTTP app: cancelling after part has shipped, holds that
stop the goods, late payment news, services-only orders, reported times and repeated reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN, CHANNEL, OPS, order_body
from tests.api.helpers import use_pipelines

LAPTOP = {"line_id": "1", "sku": "LAPTOP-15", "qty": 1, "unit_price": 999.0}
WARRANTY = {"line_id": "2", "sku": "WARRANTY-3Y", "qty": 1, "unit_price": 99.0,
            "covers_line_id": "1"}
BAG = {"line_id": "3", "sku": "CAM-BAG", "qty": 1, "unit_price": 40.0}


def place(client: TestClient, ref: str, *lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    response = client.post("/v1/orders", json=order_body(ref, lines=list(lines), **extra),
                           headers=CHANNEL)
    assert response.status_code == 201, response.text
    return dict(response.json())


def report(client: TestClient, fulfillment_id: str, type_: str, **extra: Any) -> Any:
    return client.post(f"/v1/fulfillments/{fulfillment_id}/events",
                       json={"type": type_, **extra}, headers=OPS)


def get(client: TestClient, order_id: str) -> dict[str, Any]:
    return dict(client.get(f"/v1/orders/{order_id}", headers=ADMIN).json())


def of_type(placed: dict[str, Any], kind: str) -> str:
    (found,) = [f["fulfillment_id"] for f in placed["fulfillments"] if f["type"] == kind]
    return str(found)


def timeline(client: TestClient, order_id: str) -> list[dict[str, Any]]:
    return list(client.get(f"/v1/orders/{order_id}/timeline", params={"limit": 100},
                           headers=ADMIN).json()["items"])


def services(client: TestClient, customer_id: str = "C-42") -> list[dict[str, Any]]:
    return list(client.get(f"/v1/customers/{customer_id}/services",
                           headers=CHANNEL).json()["items"])


# -- 1. cancel after part has shipped -------------------------------------------------------
def test_cancelling_after_the_laptop_shipped_stops_only_the_bag(seeded_any: TestClient) -> None:
    client = seeded_any
    placed = place(client, "W-LW", LAPTOP, WARRANTY, BAG)
    laptop, bag = of_type(placed, "ship"), of_type(placed, "dropship")
    assert report(client, laptop, "shipped").status_code == 200
    cancelled = client.post(f"/v1/orders/{placed['order_id']}/cancel", headers=CHANNEL)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "shipped"
    now = {f["fulfillment_id"]: f["status"] for f in get(client, placed["order_id"])
           ["fulfillments"]}
    assert now[bag] == "cancelled" and now[laptop] == "shipped"
    assert now[of_type(placed, "service")] == "pending"
    assert report(client, bag, "shipped").status_code == 409
    assert report(client, laptop, "delivered").status_code == 200
    assert get(client, placed["order_id"])["status"] == "completed"
    assert [s["covers_sku"] for s in services(client)] == ["LAPTOP-15"]
    again = client.post(f"/v1/orders/{placed['order_id']}/cancel", headers=CHANNEL)
    assert again.status_code == 409


def test_a_partial_cancel_gives_the_unshipped_stock_back(seeded: TestClient) -> None:
    placed = place(seeded, "W-PC", LAPTOP, BAG)
    assert report(seeded, of_type(placed, "ship"), "shipped").status_code == 200
    assert seeded.post(f"/v1/orders/{placed['order_id']}/cancel",
                       headers=CHANNEL).status_code == 200
    bag = seeded.get("/v1/inventory", params={"sku": "CAM-BAG"}, headers=ADMIN).json()
    (sup,) = [p for p in bag["positions"] if p["location_id"] == "SUP-1"]
    assert (sup["reserved"], sup["available"]) == (0, 40)
    kinds = [e["type"] for e in timeline(seeded, placed["order_id"])]
    assert "order.partially_cancelled" in kinds and "order.cancelled" not in kinds
    lines = seeded.get(f"/v1/orders/{placed['order_id']}", headers=OPS).json()["lines"]
    assert [(line["sku"], line["qty"], line["cancelled_qty"]) for line in lines] == \
        [("LAPTOP-15", 1, 0), ("CAM-BAG", 1, 1)]  # for the channel's refund


def test_a_service_line_shows_the_terms_it_was_sold_with(seeded: TestClient) -> None:
    placed = place(seeded, "W-TERMS", LAPTOP, WARRANTY)
    laptop, warranty = placed["lines"]
    assert laptop["service"] is None
    assert warranty["service"] == {"name": "Extended warranty 3y", "service_type": "warranty",
                                   "term_months": 36}


def test_cancelling_a_fully_shipped_order_is_still_refused(seeded: TestClient) -> None:
    placed = place(seeded, "W-FS", LAPTOP)
    assert report(seeded, of_type(placed, "ship"), "shipped").status_code == 200
    refused = seeded.post(f"/v1/orders/{placed['order_id']}/cancel", headers=CHANNEL)
    assert refused.status_code == 409
    assert get(seeded, placed["order_id"])["status"] == "shipped"


# -- 2. a hold stops the goods --------------------------------------------------------------
def test_a_held_orders_goods_cannot_ship_until_released(seeded_any: TestClient) -> None:
    client = seeded_any
    placed = place(client, "W-H", LAPTOP)
    fid = of_type(placed, "ship")
    client.post(f"/v1/orders/{placed['order_id']}/payment",
                json={"status": "failed", "reason": "card declined"}, headers=CHANNEL)
    for kind in ("picked", "packed", "shipped"):
        refused = report(client, fid, kind)
        assert refused.status_code == 409 and "on hold" in refused.json()["detail"]
    assert get(client, placed["order_id"])["fulfillments"][0]["status"] == "released"
    assert report(client, fid, "accepted").status_code == 200
    confirmed = client.post(f"/v1/orders/{placed['order_id']}/payment",
                            json={"status": "confirmed"}, headers=CHANNEL)
    assert confirmed.json()["status"] == "in_fulfillment"
    assert report(client, fid, "shipped").status_code == 200


def test_a_parcel_already_with_the_carrier_is_still_delivered(seeded: TestClient) -> None:
    placed = place(seeded, "W-HC", LAPTOP, BAG)
    laptop, bag = of_type(placed, "ship"), of_type(placed, "dropship")
    assert report(seeded, laptop, "shipped").status_code == 200
    assert seeded.post(f"/v1/orders/{placed['order_id']}/payment", json={"status": "failed"},
                       headers=CHANNEL).status_code == 200
    assert report(seeded, laptop, "delivered").status_code == 200
    assert report(seeded, bag, "shipped").status_code == 200


# -- 3. confirming or releasing does not move the status backwards -------------------------
def test_confirming_payment_after_a_failure_resumes_allocated(seeded_any: TestClient) -> None:
    client = seeded_any
    placed = place(client, "W-PF", LAPTOP)
    oid = placed["order_id"]
    client.post(f"/v1/orders/{oid}/payment", json={"status": "failed"}, headers=CHANNEL)
    confirmed = client.post(f"/v1/orders/{oid}/payment", json={"status": "confirmed"},
                            headers=CHANNEL)
    assert confirmed.status_code == 200
    body = get(client, oid)
    assert body["status"] == "allocated"
    assert [f["status"] for f in body["fulfillments"]] == ["released"]
    moves = [(e["data"]["from"], e["data"]["to"]) for e in timeline(client, oid)
             if e["type"] == "order.status_changed"]
    assert ("on_hold", "payment_confirmed") not in moves and moves[-1] == ("on_hold",
                                                                           "allocated")


def test_releasing_a_rule_hold_resumes_where_the_fulfillment_is(
        seeded: TestClient, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    rule = "      - escalate: {kind: fulfillment_delayed, severity: high}\n"
    use_pipelines(tmp_path, monkeypatch, rule, rule + "      - hold: delay_review\n")
    placed = place(seeded, "W-RH", LAPTOP)
    fid = of_type(placed, "ship")
    assert report(seeded, fid, "accepted").status_code == 200
    assert report(seeded, fid, "delayed", reason="late").status_code == 200
    assert get(seeded, placed["order_id"])["hold_reason"] == "delay_review"
    assert report(seeded, fid, "shipped").status_code == 409
    released = seeded.post(f"/v1/orders/{placed['order_id']}/release", headers=OPS)
    assert released.status_code == 200 and released.json()["status"] == "in_fulfillment"


# -- 4. a failed payment after shipping ---------------------------------------------------------
def test_a_payment_failing_after_shipping_is_recorded_and_flagged(
        seeded_any: TestClient) -> None:
    client = seeded_any
    placed = place(client, "W-PL", LAPTOP)
    oid = placed["order_id"]
    assert report(client, of_type(placed, "ship"), "shipped").status_code == 200
    failed = client.post(f"/v1/orders/{oid}/payment",
                         json={"status": "failed", "reason": "chargeback"}, headers=CHANNEL)
    assert failed.status_code == 200, failed.text
    body = failed.json()
    assert (body["status"], body["hold_reason"], body["payment"]["status"]) == \
        ("shipped", None, "failed")
    kinds = [e["type"] for e in timeline(client, oid)]
    assert "payment.failed" in kinds and "order.flagged" in kinds
    assert "order.on_hold" not in kinds
    notes = client.get("/v1/notifications", params={"order_id": oid}, headers=OPS).json()
    assert [n["template"] for n in notes["items"]] == ["payment_failed"]
    # a person follows it up from the escalation queue, until the payment comes after all
    (flagged,) = client.get("/v1/escalations", params={"order_id": oid},
                            headers=OPS).json()["items"]
    assert (flagged["kind"], flagged["status"]) == ("order_flagged", "open")
    confirmed = client.post(f"/v1/orders/{oid}/payment", json={"status": "confirmed"},
                            headers=CHANNEL)
    assert confirmed.status_code == 200, confirmed.text
    (closed,) = client.get("/v1/escalations", params={"order_id": oid},
                           headers=OPS).json()["items"]
    assert (closed["status"], closed["resolved_by"]) == ("resolved", "dom")


def test_a_payment_failing_while_the_goods_wait_at_the_counter_holds_them(
        seeded_any: TestClient) -> None:
    """Nothing has left the store: a hold can still stop the handover, so it is a hold."""
    client = seeded_any
    phone = {"line_id": "1", "sku": "PHONE-X", "qty": 1, "unit_price": 500.0}
    placed = place(client, "S-PF", phone, delivery={"method": "pickup", "location_id": "ST-1"},
                   channel="store")
    oid, pickup = placed["order_id"], of_type(placed, "pickup")
    assert report(client, pickup, "ready_for_pickup").status_code == 200
    failed = client.post(f"/v1/orders/{oid}/payment",
                         json={"status": "failed", "reason": "chargeback"}, headers=CHANNEL)
    assert (failed.json()["status"], failed.json()["hold_reason"]) == ("on_hold", "payment_failed")
    assert report(client, pickup, "picked_up").status_code == 409
    paid = client.post(f"/v1/orders/{oid}/payment", json={"status": "confirmed"},
                       headers=CHANNEL)
    assert (paid.json()["status"], paid.json()["hold_reason"]) == ("ready_for_pickup", None)
    assert report(client, pickup, "picked_up").status_code == 200
    assert get(client, oid)["status"] == "completed"


# -- 5. services-only orders ---------------------------------------------------------------
def test_a_standalone_warranty_completes_once_paid(seeded_any: TestClient) -> None:
    client = seeded_any
    warranty = {"line_id": "1", "sku": "WARRANTY-3Y", "qty": 1, "unit_price": 99.0}
    placed = place(client, "W-SVC", warranty, customer={"id": "C-S"})
    assert [(f["type"], f["status"]) for f in placed["fulfillments"]] == [("service", "pending")]
    assert placed["status"] == "received"
    paid = client.post(f"/v1/orders/{placed['order_id']}/payment",
                       json={"status": "confirmed"}, headers=CHANNEL)
    assert paid.json()["status"] == "completed"
    assert [(f["type"], f["status"]) for f in paid.json()["fulfillments"]] == \
        [("service", "registered")]
    assert len(services(client, "C-S")) == 1


def test_a_standalone_warranty_paid_at_intake_is_completed_at_once(seeded: TestClient) -> None:
    warranty = {"line_id": "1", "sku": "WARRANTY-3Y", "qty": 1, "unit_price": 99.0}
    placed = place(seeded, "W-SVC2", warranty, payment={"status": "confirmed"})
    assert placed["status"] == "completed"
    assert [f["status"] for f in placed["fulfillments"]] == ["registered"]


def test_a_paid_standalone_warranty_waits_for_the_review_and_starts_on_release(
        seeded: TestClient, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_pipelines(tmp_path, monkeypatch, "review_hold_above: null", "review_hold_above: 500")
    warranty = {"line_id": "1", "sku": "WARRANTY-3Y", "qty": 6, "unit_price": 99.0}
    held = place(seeded, "W-SVR", warranty, customer={"id": "C-R"},
                 payment={"status": "confirmed"})
    assert (held["status"], held["hold_reason"]) == ("on_hold", "review")
    assert services(seeded, "C-R") == []
    released = seeded.post(f"/v1/orders/{held['order_id']}/release", headers=OPS)
    assert released.status_code == 200 and released.json()["status"] == "completed"
    assert [(s["qty"], s["status"]) for s in services(seeded, "C-R")] == [(6, "active")]
    again = place(seeded, "W-SVR2", warranty, customer={"id": "C-R2"},
                  payment={"status": "confirmed"})
    cancelled = seeded.post(f"/v1/orders/{again['order_id']}/cancel",
                            json={"reason": "review: fraud"}, headers=OPS)
    assert cancelled.json()["status"] == "cancelled"
    assert services(seeded, "C-R2") == []


def test_cancelling_an_order_before_anything_left_cancels_its_paid_services(
        seeded_any: TestClient) -> None:
    client = seeded_any
    plan = {"line_id": "2", "sku": "WARRANTY-3Y", "qty": 1, "unit_price": 99.0}
    placed = place(client, "W-SVC3", LAPTOP, plan, customer={"id": "C-X"},
                   payment={"status": "confirmed"})
    assert [s["status"] for s in services(client, "C-X")] == ["active"]
    cancelled = client.post(f"/v1/orders/{placed['order_id']}/cancel", headers=OPS)
    assert cancelled.status_code == 200, cancelled.text
    assert [s["status"] for s in services(client, "C-X")] == ["cancelled"]
    after = get(client, placed["order_id"])
    assert {f["type"]: f["status"] for f in after["fulfillments"]} == \
        {"ship": "cancelled", "service": "cancelled"}
    (cancel,) = [e for e in after["timeline"] if e["type"] == "order.cancelled"]
    assert cancel["data"]["services_cancelled"] == ["2"]


@pytest.mark.parametrize("customer_id", ["C/SLASH 1", "shop/42/ü"])
def test_services_of_a_customer_id_holding_a_slash_can_be_read(
        seeded: TestClient, customer_id: str) -> None:
    plan = {"line_id": "1", "sku": "WARRANTY-3Y", "qty": 1, "unit_price": 99.0}
    place(seeded, f"W-SL-{len(customer_id)}", plan, customer={"id": customer_id},
          payment={"status": "confirmed"})
    for path in (quote(customer_id, safe=""), quote(customer_id, safe="/")):
        found = seeded.get(f"/v1/customers/{path}/services", headers=CHANNEL)
        assert found.status_code == 200, found.text
        assert [s["sku"] for s in found.json()["items"]] == ["WARRANTY-3Y"]


def test_each_warranty_unit_follows_its_own_laptop(seeded_any: TestClient) -> None:
    """Two laptops, two warranties. One laptop is short-picked and sent from elsewhere; the
    first arrives (one warranty starts), the other is cancelled (its warranty goes too)."""
    client = seeded_any
    placed = place(client, "W-2X2", {**LAPTOP, "qty": 2}, {**WARRANTY, "qty": 2})
    first = of_type(placed, "ship")
    assert report(client, first, "short_picked",
                  lines=[{"line_id": "1", "qty": 1}]).status_code == 200
    assert report(client, first, "shipped").status_code == 200
    assert report(client, first, "delivered").status_code == 200
    (registered,) = services(client)
    assert (registered["line_id"], registered["qty"]) == ("2", 1)
    service = [f for f in get(client, placed["order_id"])["fulfillments"]
               if f["type"] == "service"]
    assert [(f["status"], f["lines"][0]["qty"]) for f in service] == [("pending", 2)]

    cancelled = client.post(f"/v1/orders/{placed['order_id']}/cancel", headers=CHANNEL)

    assert cancelled.status_code == 200, cancelled.text
    after = get(client, placed["order_id"])
    (cancel,) = [e for e in after["timeline"] if e["type"] == "order.partially_cancelled"]
    assert cancel["data"]["lines"] == {"1": 1, "2": 1}  # the laptop and its warranty
    assert cancel["message"].startswith("Cancelled 1 unit(s) that had not shipped and 1 "
                                        "service unit(s) covering them")
    assert cancel["data"]["services_cancelled"] == ["2"]
    service = [f for f in after["fulfillments"] if f["type"] == "service"]
    assert [(f["status"], f["lines"][0]["qty"]) for f in service] == [("registered", 1)]
    assert [(s["qty"], s["status"]) for s in services(client)] == [(1, "active")]
    assert after["status"] == "completed"


def test_two_lines_of_one_warranty_share_the_laptops_they_cover(seeded_any: TestClient) -> None:
    """Lines 2 and 3 each hold one warranty for line 1's two laptops: the first laptop to
    arrive starts one of them, and the laptop cancelled afterwards takes the other."""
    client = seeded_any
    placed = place(client, "W-2L", {**LAPTOP, "qty": 2}, {**WARRANTY, "qty": 1},
                   {**WARRANTY, "line_id": "3", "qty": 1})
    first = of_type(placed, "ship")
    report(client, first, "short_picked", lines=[{"line_id": "1", "qty": 1}])
    report(client, first, "shipped")
    assert report(client, first, "delivered").status_code == 200
    assert [(s["line_id"], s["qty"]) for s in services(client)] == [("2", 1)]
    assert client.post(f"/v1/orders/{placed['order_id']}/cancel",
                       headers=CHANNEL).status_code == 200
    after = get(client, placed["order_id"])
    (cancel,) = [e for e in after["timeline"] if e["type"] == "order.partially_cancelled"]
    assert cancel["data"]["lines"] == {"1": 1, "3": 1}
    assert [(s["line_id"], s["qty"]) for s in services(client)] == [("2", 1)]
    assert after["status"] == "completed"


def test_two_warranties_on_laptops_delivered_apart_start_on_their_own_days(
        seeded_any: TestClient) -> None:
    client = seeded_any
    placed = place(client, "W-APART", {**LAPTOP, "qty": 2}, {**WARRANTY, "qty": 2},
                   placed_at=(datetime.now(UTC) - timedelta(days=5)).isoformat())
    first = of_type(placed, "ship")
    report(client, first, "short_picked", lines=[{"line_id": "1", "qty": 1}])
    early = datetime.now(UTC) - timedelta(days=3)
    report(client, first, "shipped", at=early.isoformat())
    assert report(client, first, "delivered", at=early.isoformat()).status_code == 200
    (second,) = [f["fulfillment_id"] for f in get(client, placed["order_id"])["fulfillments"]
                 if f["type"] == "ship" and f["status"] == "released"]
    report(client, second, "shipped")
    assert report(client, second, "delivered").status_code == 200
    starts = sorted((s["starts"], s["qty"]) for s in services(client))
    assert starts == [(early.date().isoformat(), 1), (datetime.now(UTC).date().isoformat(), 1)]
    assert get(client, placed["order_id"])["status"] == "completed"


def _left_at_the_counter(client: TestClient, placed: dict[str, Any]) -> dict[str, Any]:
    """The order's pickup made ready and never collected: the SLA check 30 days later expires
    it; the order as it is then."""
    assert report(client, of_type(placed, "pickup"), "ready_for_pickup").status_code == 200
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    assert client.post("/v1/sla/check", json={"now": later},
                       headers=OPS).json()["pickups_expired"] == 1
    return get(client, placed["order_id"])


def test_an_uncollected_pickup_takes_its_warranty_with_it(seeded_any: TestClient) -> None:
    client = seeded_any
    phone = {"line_id": "1", "sku": "PHONE-X", "qty": 1, "unit_price": 500.0}
    placed = place(client, "S-EXPIRES", phone, WARRANTY,
                   delivery={"method": "pickup", "location_id": "ST-1"}, channel="store")
    after = _left_at_the_counter(client, placed)
    assert after["status"] == "cancelled"
    assert {f["type"]: f["status"] for f in after["fulfillments"]} == \
        {"pickup": "cancelled", "service": "cancelled"}
    assert services(client) == []
    (cancel,) = [e for e in after["timeline"] if e["type"] == "order.cancelled"]
    assert cancel["data"]["services_cancelled"] == ["2"]


def test_an_uncollected_pickup_cancels_the_paid_plan_on_its_own_too(seeded: TestClient) -> None:
    """The same rule as a cancel before anything left: nothing was collected, so the service
    paid for on its own is cancelled with the order."""
    phone = {"line_id": "1", "sku": "PHONE-X", "qty": 1, "unit_price": 500.0}
    plan = {"line_id": "2", "sku": "WARRANTY-3Y", "qty": 1, "unit_price": 99.0}
    placed = place(seeded, "S-PLAN", phone, plan, customer={"id": "C-P"}, channel="store",
                   delivery={"method": "pickup", "location_id": "ST-1"},
                   payment={"status": "confirmed"})
    assert [s["status"] for s in services(seeded, "C-P")] == ["active"]
    after = _left_at_the_counter(seeded, placed)
    assert after["status"] == "cancelled"
    assert {f["type"]: f["status"] for f in after["fulfillments"]} == \
        {"pickup": "cancelled", "service": "cancelled"}
    assert [s["status"] for s in services(seeded, "C-P")] == ["cancelled"]
    (cancel,) = [e for e in after["timeline"] if e["type"] == "order.cancelled"]
    assert cancel["data"]["services_cancelled"] == ["2"]


# -- 6. the reported time -----------------------------------------------------------------
def test_a_reported_time_is_kept_and_starts_the_warranty(seeded_any: TestClient) -> None:
    client = seeded_any
    placed_at = datetime.now(UTC) - timedelta(days=5)  # the channel sent it in late
    placed = place(client, "W-AT", LAPTOP, WARRANTY, placed_at=placed_at.isoformat())
    fid = of_type(placed, "ship")
    shipped_at = datetime.now(UTC) - timedelta(days=3)
    delivered_at = datetime.now(UTC) - timedelta(days=1)
    assert report(client, fid, "shipped", at=shipped_at.isoformat()).status_code == 200
    assert report(client, fid, "delivered", at=delivered_at.isoformat()).status_code == 200
    times = {e["type"]: e["at"] for e in timeline(client, placed["order_id"])}
    assert times["fulfillment.shipped"].startswith(shipped_at.date().isoformat())
    assert times["fulfillment.delivered"].startswith(delivered_at.date().isoformat())
    (warranty,) = services(client)
    assert warranty["starts"] == delivered_at.date().isoformat()


def test_a_time_in_the_future_is_refused(seeded: TestClient) -> None:
    placed = place(seeded, "W-FUT", LAPTOP)
    fid = of_type(placed, "ship")
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    refused = report(seeded, fid, "shipped", at=future)
    assert refused.status_code == 422 and "future" in refused.json()["detail"]
    assert get(seeded, placed["order_id"])["fulfillments"][0]["status"] == "released"
    skewed = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert report(seeded, fid, "shipped", at=skewed).status_code == 200


def test_a_time_before_the_order_or_before_the_previous_step_is_refused(
        seeded: TestClient) -> None:
    placed = place(seeded, "W-PAST", LAPTOP, WARRANTY,
                   placed_at=(datetime.now(UTC) - timedelta(days=2)).isoformat())
    fid = of_type(placed, "ship")
    refused = report(seeded, fid, "shipped", at="2019-12-31T10:00:00Z")
    assert refused.status_code == 422 and "before order" in refused.json()["detail"]
    shipped_at = datetime.now(UTC) - timedelta(days=1)
    assert report(seeded, fid, "shipped", at=shipped_at.isoformat()).status_code == 200
    backwards = report(seeded, fid, "delivered",
                       at=(shipped_at - timedelta(hours=1)).isoformat())
    assert backwards.status_code == 422 and "previous step" in backwards.json()["detail"]
    after = get(seeded, placed["order_id"])
    assert [f["status"] for f in after["fulfillments"] if f["type"] == "ship"] == ["shipped"]
    assert services(seeded) == []  # no warranty started by the refused delivery
    assert report(seeded, fid, "delivered").status_code == 200


def test_an_order_placed_in_the_future_is_refused_and_a_zoneless_time_is_utc(
        seeded: TestClient) -> None:
    ahead = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    refused = seeded.post("/v1/orders", json=order_body("W-AHEAD", lines=[LAPTOP],
                                                        placed_at=ahead), headers=CHANNEL)
    assert refused.status_code == 422 and "future" in refused.json()["detail"]
    assert seeded.get("/v1/orders", headers=ADMIN).json()["items"] == []
    zoneless = (datetime.now(UTC) - timedelta(hours=3)).replace(tzinfo=None)
    placed = place(seeded, "W-NAIVE", LAPTOP, placed_at=zoneless.isoformat())
    assert get(seeded, placed["order_id"])["placed_at"].startswith(
        zoneless.isoformat(timespec="seconds"))
    shipped = report(seeded, of_type(placed, "ship"), "shipped",
                     at=(datetime.now(UTC) - timedelta(hours=1)).isoformat())
    assert shipped.status_code == 200, shipped.text


# -- 7. intake and repeated reports ---------------------------------------------------------
def test_a_service_cannot_cover_more_units_than_its_line(seeded: TestClient) -> None:
    body = order_body("W-Q2", lines=[LAPTOP, {**WARRANTY, "qty": 2}])
    refused = seeded.post("/v1/orders", json=body, headers=CHANNEL)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"] == ["body", "lines", 1, "qty"]
    orders = seeded.get("/v1/orders", headers=ADMIN).json()["items"]
    assert orders == []


def test_two_of_the_same_service_cannot_cover_one_unit(seeded: TestClient) -> None:
    twice = {**WARRANTY, "line_id": "4"}
    body = order_body("W-W2", lines=[LAPTOP, WARRANTY, twice])
    refused = seeded.post("/v1/orders", json=body, headers=CHANNEL)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"] == ["body", "lines", 2, "covers_line_id"]
    assert seeded.get("/v1/orders", headers=ADMIN).json()["items"] == []
    # two units, one warranty each, is fine
    pair = seeded.post("/v1/orders", json=order_body(
        "W-W3", lines=[{**LAPTOP, "qty": 2}, WARRANTY, twice]), headers=CHANNEL)
    assert pair.status_code == 201, pair.text


def test_a_repeated_identical_delay_is_recorded_once(seeded: TestClient) -> None:
    placed = place(seeded, "W-DL", LAPTOP)
    fid = of_type(placed, "ship")
    eta = (datetime.now(UTC) + timedelta(days=4)).isoformat()
    for _ in range(2):
        assert report(seeded, fid, "delayed", reason="truck broke", eta=eta).status_code == 200
    kinds = [e["type"] for e in timeline(seeded, placed["order_id"])]
    assert kinds.count("fulfillment.delayed") == 1
    assert report(seeded, fid, "delayed", reason="truck broke again",
                  eta=eta).status_code == 200
    kinds = [e["type"] for e in timeline(seeded, placed["order_id"])]
    assert kinds.count("fulfillment.delayed") == 2
