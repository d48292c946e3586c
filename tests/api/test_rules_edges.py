"""Rules and timers at their edges, through the HTTP app: a configured hold the order can no
longer take, an SLA pass where one order fails, escalations after a resolution, and a client
that repeats a delay report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lifecycle import timers
from models import Conflict
from tests.api.conftest import ADMIN, CHANNEL, OPS, STORE, SUPPLIER, order_body
from tests.api.helpers import use_pipelines

HOLD_RULE = "      - escalate: {kind: fulfillment_delayed, severity: high}\n"


@pytest.fixture
def hold_on_delay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The packaged rules plus ``hold: delay_review`` on every delay (an operator's choice)."""
    use_pipelines(tmp_path, monkeypatch, HOLD_RULE, HOLD_RULE + "      - hold: delay_review\n")


def _place(client: TestClient, ref: str, *lines: tuple[str, int], **extra: Any) -> dict[str, Any]:
    body = order_body(ref, lines=[{"line_id": str(n), "sku": sku, "qty": qty, "unit_price": 50.0}
                                  for n, (sku, qty) in enumerate(lines, start=1)], **extra)
    response = client.post("/v1/orders", json=body, headers=CHANNEL)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _at(placed: dict[str, Any], location_id: str) -> str:
    (found,) = [f["fulfillment_id"] for f in placed["fulfillments"]
                if f["location_id"] == location_id]
    return str(found)


def _report(client: TestClient, fulfillment_id: str, type_: str,
            headers: dict[str, str] = OPS, **extra: Any) -> Any:
    return client.post(f"/v1/fulfillments/{fulfillment_id}/events",
                       json={"type": type_, **extra}, headers=headers)


def _order(client: TestClient, order_id: str) -> dict[str, Any]:
    return dict(client.get(f"/v1/orders/{order_id}", headers=OPS).json())


def _escalations(client: TestClient, order_id: str) -> list[dict[str, Any]]:
    return list(client.get("/v1/escalations", params={"order_id": order_id},
                           headers=OPS).json()["items"])


def _notices(client: TestClient, order_id: str) -> list[dict[str, Any]]:
    return [n for n in client.get("/v1/notifications", params={"order_id": order_id},
                                  headers=OPS).json()["items"] if n["template"] == "delay"]


def _ship_by(client: TestClient, fulfillment_id: str) -> date:
    found = client.get(f"/v1/fulfillments/{fulfillment_id}", headers=OPS).json()
    return date.fromisoformat(found["ship_by"])


def _sla(client: TestClient, now: datetime | date) -> dict[str, Any]:
    when = now if isinstance(now, datetime) else datetime(now.year, now.month, now.day,
                                                          tzinfo=UTC)
    response = client.post("/v1/sla/check", json={"now": when.isoformat()}, headers=OPS)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _partially_shipped(client: TestClient, ref: str) -> tuple[dict[str, Any], str]:
    """A laptop from a warehouse and a bag drop-shipped by SUP-1; the bag has shipped."""
    placed = _place(client, ref, ("LAPTOP-15", 1), ("CAM-BAG", 1))
    assert _report(client, _at(placed, "SUP-1"), "shipped", headers=SUPPLIER).status_code == 200
    laptop = next(f["fulfillment_id"] for f in placed["fulfillments"]
                  if f["location_id"] != "SUP-1")
    assert _order(client, placed["order_id"])["status"] == "partially_shipped"
    return placed, str(laptop)


@pytest.mark.usefixtures("hold_on_delay")
def test_a_hold_the_order_cannot_take_is_escalated_and_the_delay_still_counts(
        seeded: TestClient) -> None:
    placed, laptop = _partially_shipped(seeded, "W-HOLD-PS")
    delayed = _report(seeded, laptop, "delayed", reason="damaged in the warehouse")
    assert delayed.status_code == 200, delayed.text
    after = _order(seeded, placed["order_id"])
    assert (after["status"], after["hold_reason"]) == ("partially_shipped", None)
    kinds = [e["type"] for e in after["timeline"]]
    assert "fulfillment.delayed" in kinds and "notification.sent" in kinds
    assert len(_notices(seeded, placed["order_id"])) == 1
    opened = {e["kind"]: e for e in _escalations(seeded, placed["order_id"])}
    assert set(opened) == {"fulfillment_delayed", "hold_skipped"}
    assert "delay_review" in opened["hold_skipped"]["reason"]
    assert "partially shipped" in opened["hold_skipped"]["reason"]


@pytest.mark.usefixtures("hold_on_delay")
def test_a_hold_rule_still_holds_an_order_that_may_be_held(seeded: TestClient) -> None:
    placed = _place(seeded, "W-HOLD-OK", ("LAPTOP-15", 1))
    delayed = _report(seeded, placed["fulfillments"][0]["fulfillment_id"], "delayed",
                      reason="late truck")
    assert delayed.status_code == 200, delayed.text
    after = _order(seeded, placed["order_id"])
    assert (after["status"], after["hold_reason"]) == ("on_hold", "delay_review")
    assert [e["kind"] for e in _escalations(seeded, placed["order_id"])] == \
        ["fulfillment_delayed"]


@pytest.mark.usefixtures("hold_on_delay")
def test_a_hold_rule_does_not_stop_the_sla_check_expiring_pickups(seeded: TestClient) -> None:
    placed, _ = _partially_shipped(seeded, "W-HOLD-SLA")
    pickup = _place(seeded, "W-PU", ("PHONE-X", 1),
                    delivery={"method": "pickup", "location_id": "ST-1"})
    ready = _report(seeded, pickup["fulfillments"][0]["fulfillment_id"], "ready_for_pickup",
                    headers=STORE)
    assert ready.status_code == 200, ready.text
    outcome = _sla(seeded, datetime.now(UTC) + timedelta(days=30))
    assert (outcome["delays_raised"], outcome["pickups_expired"]) == (1, 1)
    assert _order(seeded, pickup["order_id"])["status"] == "cancelled"
    phone = seeded.get("/v1/inventory", params={"sku": "PHONE-X"}, headers=ADMIN).json()
    assert [p["reserved"] for p in phone["positions"] if p["location_id"] == "ST-1"] == [0]
    assert {e["kind"] for e in _escalations(seeded, placed["order_id"])} == \
        {"fulfillment_delayed", "hold_skipped"}


def test_one_order_failing_does_not_stop_the_sla_check_for_the_others(
        seeded: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    late = _place(seeded, "W-LATE", ("LAPTOP-15", 1))
    broken = late["fulfillments"][0]["fulfillment_id"]
    other = _place(seeded, "W-LATE-2", ("CAM-BAG", 1))
    real = timers._raise_delay

    def flaky(uow: Any, order: Any, fulfillment: Any, now: datetime) -> bool:
        if fulfillment.id == broken:
            raise Conflict("this order cannot be handled right now")
        return real(uow, order, fulfillment, now)

    monkeypatch.setattr(timers, "_raise_delay", flaky)
    outcome = _sla(seeded, datetime.now(UTC) + timedelta(days=30))
    assert outcome["delays_raised"] == 1
    assert [e["kind"] for e in _escalations(seeded, other["order_id"])] == \
        ["fulfillment_delayed"]
    assert _escalations(seeded, late["order_id"]) == []
    monkeypatch.setattr(timers, "_raise_delay", real)
    assert _sla(seeded, datetime.now(UTC) + timedelta(days=30))["delays_raised"] == 1


def test_a_delay_after_a_resolved_escalation_escalates_again(seeded_any: TestClient) -> None:
    placed = _place(seeded_any, "W-ESC", ("LAPTOP-15", 1))
    fulfillment = placed["fulfillments"][0]["fulfillment_id"]
    _report(seeded_any, fulfillment, "delayed", reason="first")
    _report(seeded_any, fulfillment, "delayed", reason="second, while the first is open")
    (first,) = _escalations(seeded_any, placed["order_id"])
    resolved = seeded_any.post(f"/v1/escalations/{first['escalation_id']}/resolve",
                               json={"resolution": "called the warehouse"}, headers=OPS)
    assert resolved.status_code == 200, resolved.text
    _report(seeded_any, fulfillment, "delayed", reason="third, after the resolution")
    _report(seeded_any, fulfillment, "delayed", reason="fourth")
    assert sorted(e["status"] for e in _escalations(seeded_any, placed["order_id"])) == \
        ["open", "resolved"]


def test_the_sla_check_escalates_again_when_the_new_estimate_is_missed(
        seeded_any: TestClient) -> None:
    placed = _place(seeded_any, "W-SLA2", ("LAPTOP-15", 1))
    fulfillment = placed["fulfillments"][0]
    ship_by = _ship_by(seeded_any, fulfillment["fulfillment_id"])
    assert _sla(seeded_any, ship_by + timedelta(days=1))["delays_raised"] == 1
    assert _sla(seeded_any, ship_by + timedelta(days=2))["delays_raised"] == 0
    (first,) = _escalations(seeded_any, placed["order_id"])
    eta = ship_by + timedelta(days=5)
    _report(seeded_any, fulfillment["fulfillment_id"], "delayed", reason="waiting for stock",
            eta=f"{eta.isoformat()}T00:00:00Z")
    seeded_any.post(f"/v1/escalations/{first['escalation_id']}/resolve",
                    json={"resolution": "new estimate agreed"}, headers=OPS)
    assert _sla(seeded_any, ship_by + timedelta(days=3))["delays_raised"] == 0
    assert _sla(seeded_any, eta + timedelta(days=1))["delays_raised"] == 1
    assert _sla(seeded_any, eta + timedelta(days=2))["delays_raised"] == 0
    assert sorted(e["status"] for e in _escalations(seeded_any, placed["order_id"])) == \
        ["open", "resolved"]


def test_a_missed_new_estimate_while_escalated_does_not_open_a_second_one(
        seeded: TestClient) -> None:
    placed = _place(seeded, "W-SLA3", ("LAPTOP-15", 1))
    fulfillment = placed["fulfillments"][0]
    ship_by = _ship_by(seeded, fulfillment["fulfillment_id"])
    eta = ship_by + timedelta(days=2)
    _report(seeded, fulfillment["fulfillment_id"], "delayed", reason="stock",
            eta=f"{eta.isoformat()}T00:00:00Z")
    assert _sla(seeded, eta + timedelta(days=1))["delays_raised"] == 1
    assert [e["status"] for e in _escalations(seeded, placed["order_id"])] == ["open"]


def test_a_repeated_delay_report_notifies_the_customer_once(seeded_any: TestClient) -> None:
    placed = _place(seeded_any, "W-CAM", ("LAPTOP-15", 1))
    fulfillment = placed["fulfillments"][0]["fulfillment_id"]
    first, second = (datetime.now(UTC).date() + timedelta(days=n) for n in (12, 16))
    for _ in range(2):
        retry = _report(seeded_any, fulfillment, "delayed", reason="stock damaged",
                        eta=f"{first.isoformat()}T00:00:00Z")
        assert retry.status_code == 200, retry.text
    (notice,) = _notices(seeded_any, placed["order_id"])
    assert _spelled(first) in notice["body"] and "T00:00" not in notice["body"]
    sent = [e for e in _order(seeded_any, placed["order_id"])["timeline"]
            if e["type"] == "notification.sent"]
    assert len(sent) == 1
    _report(seeded_any, fulfillment, "delayed", reason="stock damaged",
            eta=f"{second.isoformat()}T00:00:00Z")
    bodies = [n["body"] for n in _notices(seeded_any, placed["order_id"])]
    assert len(bodies) == 2 and _spelled(second) in bodies[1]


def _spelled(day: date) -> str:
    """How the customer's notice writes a date: "Thursday, December 10"."""
    return f"{day.strftime('%A, %B')} {day.day}"


def test_a_delay_whose_new_estimate_is_already_past_is_refused(seeded: TestClient) -> None:
    placed = _place(seeded, "W-ETA", ("LAPTOP-15", 1))
    fulfillment = placed["fulfillments"][0]["fulfillment_id"]
    past = datetime.now(UTC).date() - timedelta(days=3)
    refused = _report(seeded, fulfillment, "delayed", reason="stock damaged",
                      eta=f"{past.isoformat()}T00:00:00Z")
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"] == ["body", "eta"]
    assert _notices(seeded, placed["order_id"]) == []
    assert "fulfillment.delayed" not in [
        e["type"] for e in _order(seeded, placed["order_id"])["timeline"]]


@pytest.mark.parametrize("body", [
    {"type": "shipped", "lines": [{"line_id": "1", "qty": 1}]},
    {"type": "rejected", "lines": [{"line_id": "1", "qty": 1}]},
    {"type": "accepted", "eta": "2099-01-01T00:00:00Z"},
], ids=["shipped-with-lines", "rejected-with-lines", "accepted-with-eta"])
def test_a_field_the_event_type_does_not_take_is_refused_and_nothing_moves(
        seeded: TestClient, body: dict[str, Any]) -> None:
    """Only a short pick names lines, only a delay has an estimate: dropping them silently would
    move the whole fulfillment when part was meant."""
    placed = _place(seeded, "W-PART", ("LAPTOP-15", 2))
    fulfillment = placed["fulfillments"][0]
    refused = _report(seeded, fulfillment["fulfillment_id"], body["type"],
                      **{k: v for k, v in body.items() if k != "type"})
    assert refused.status_code == 422, refused.text
    field = "lines" if "lines" in body else "eta"
    assert refused.json()["errors"][0]["loc"] == ["body", field]
    after = _order(seeded, placed["order_id"])
    assert after["fulfillments"][0]["status"] == fulfillment["status"]
    assert after["status"] == placed["status"]

