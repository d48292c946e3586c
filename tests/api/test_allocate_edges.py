"""Allocation edges found by the audit: quotes hold no lock and commit nothing, the last
stock retry still answers under ``backorder: allow``, refusals leave a trace on the timeline,
and the policy's booleans are strict. Each runs on SQLite and PostgreSQL (``seeded_any``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dom.bootstrap import Container
from lifecycle import sourcing
from models import InsufficientStock, Reservation, ReservationRequest
from storage.repositories.ledger import SqlStockLedger
from tests.api.conftest import ADMIN, CHANNEL, OPS, PLANNER, order_body

LAPTOP_ONLY = [{"line_id": "1", "sku": "LAPTOP-15", "qty": 1, "unit_price": 999.0}]
SERVICE_ONLY = [{"line_id": "2", "sku": "WARRANTY-3Y", "qty": 1, "unit_price": 99.0}]


def _quote(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post("/v1/allocate", json={"order": body, "commit": False}, headers=CHANNEL)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _stock(client: TestClient) -> list[tuple[str, str, int, int]]:
    found = []
    for sku in ("LAPTOP-15", "PHONE-X", "CAM-BAG"):
        answer = client.get("/v1/inventory", params={"sku": sku}, headers=ADMIN)
        found += [(p["location_id"], sku, p["reserved"], p["available"])
                  for p in answer.json()["positions"]]
    return sorted(found)


def _writer_finishes_during(container: Container, seconds: float) -> Callable[[], bool]:
    """Start a write transaction in another thread; report whether it ends within ``seconds``."""
    done = threading.Event()

    def write() -> None:
        with container.uow() as uow:
            uow.policy.put(uow.policy.get())
            uow.commit()
        done.set()

    worker = threading.Thread(target=write, daemon=True)
    worker.start()
    return lambda: done.wait(seconds)


# -- 1. a quote takes no write lock and solves outside any transaction -----------------------
def test_a_quote_solves_outside_any_transaction_and_never_blocks_a_writer(
        seeded_any: TestClient, container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    real_solve = sourcing.solve
    seen: dict[str, Any] = {}

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen["checked_out"] = _connections_held(container)
        seen["writer_done"] = _writer_finishes_during(container, 5.0)()
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(sourcing, "solve", watched)
    _quote(seeded_any, order_body("Q-LOCK", lines=LAPTOP_ONLY))
    assert seen == {"checked_out": 0, "writer_done": True}


def _connections_held(container: Container) -> int:
    """Connections checked out of the pool: the least seen over 100 ms, since a background
    loop (the webhook fan-out, the timer) may hold one for a moment, while a request holding
    one through its solve would hold it throughout (one sample failed a CI run)."""
    samples = []
    for _ in range(20):
        samples.append(container.engine.pool.checkedout())  # type: ignore[attr-defined]
        time.sleep(0.005)
    return min(samples)


def test_a_commit_also_solves_outside_the_write_transaction(
        seeded_any: TestClient, container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    real_solve = sourcing.solve
    seen: list[int] = []

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append(_connections_held(container))
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(sourcing, "solve", watched)
    placed = seeded_any.post("/v1/allocate", json={"order": order_body("C-LOCK",
                                                                        lines=LAPTOP_ONLY)},
                             headers=CHANNEL)
    assert placed.status_code == 201, placed.text
    assert placed.json()["status"] == "allocated"
    assert seen == [0]


# -- 2. stock retries used up: allow answers from what is left, reject is a 409 ------------
def _always_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    def taken(self: SqlStockLedger, requests: Sequence[ReservationRequest]) -> list[Reservation]:
        first = requests[0]
        raise InsufficientStock(first.location_id, first.sku, first.qty, 0)

    monkeypatch.setattr(SqlStockLedger, "reserve", taken)


def test_used_up_stock_retries_backorder_under_allow(
        seeded_any: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _stock(seeded_any)
    _always_taken(monkeypatch)
    answer = seeded_any.post("/v1/allocate", json={"order": order_body("R-ALLOW",
                                                                        lines=LAPTOP_ONLY)},
                             headers=CHANNEL)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["status"], body["committed"]) == ("backordered", True)
    assert [u["qty"] for u in body["unallocated"]] == [1]
    assert _stock(seeded_any) == before


def test_used_up_stock_retries_are_a_409_under_reject(
        seeded_any: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    assert seeded_any.put("/v1/policy", json={"backorder": "reject"},
                          headers=PLANNER).status_code == 200
    before = _stock(seeded_any)
    _always_taken(monkeypatch)
    answer = seeded_any.post("/v1/allocate", json={"order": order_body("R-REJ",
                                                                        lines=LAPTOP_ONLY)},
                             headers=CHANNEL)
    assert answer.status_code == 409, answer.text
    assert seeded_any.get("/v1/orders", headers=OPS).json()["items"] == []
    assert _stock(seeded_any) == before


def test_used_up_retries_for_a_stored_order_backorder_it(
        seeded_any: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    placed = seeded_any.post("/v1/orders", json=order_body(
        "R-STORED", lines=LAPTOP_ONLY, payment={"status": "pending"}), headers=CHANNEL).json()
    assert placed["fulfillments"] == []
    _always_taken(monkeypatch)
    paid = seeded_any.post(f"/v1/orders/{placed['order_id']}/payment",
                           json={"status": "confirmed"}, headers=CHANNEL)
    assert paid.status_code == 200, paid.text
    answer = seeded_any.post("/v1/allocate", json={"order_id": placed["order_id"]},
                             headers=CHANNEL)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "backordered"
    order = seeded_any.get(f"/v1/orders/{placed['order_id']}", headers=OPS).json()
    assert order["status"] == "backordered"


# -- 3. capacity conflicts re-solve like stock conflicts --------------------------------------
def test_a_capacity_conflict_re_solves_on_what_is_left(
        seeded_any: TestClient, container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    """The solve saw room at WH-A; before the reservation another order filled it."""
    near = {"name": "Warehouse A", "type": "warehouse", "lat": 40.73, "lon": -74.17,
            "capabilities": ["ship"], "shipment_cost": 1.0, "capacity_units_per_day": 1}
    assert seeded_any.put("/v1/locations/WH-A", json=near, headers=ADMIN).status_code == 200
    real_solve = sourcing.solve
    picks: list[list[str]] = []

    def raced(*args: Any, **kwargs: Any) -> Any:
        result = real_solve(*args, **kwargs)
        picks.append(sorted({s.location_id for s in result.assignment(
            args[0].orders[0].order_id).shipments}))
        if len(picks) == 1:  # a concurrent commitment takes WH-A's only slot for today
            with container.uow() as uow:
                uow.ledger.reserve([ReservationRequest(order_id="ord_other", line_id="1",
                                                       location_id="WH-A", sku="LAPTOP-15",
                                                       qty=1)])
                uow.commit()
        return result

    monkeypatch.setattr(sourcing, "solve", raced)
    answer = seeded_any.post("/v1/allocate", json={"order": order_body("CAP-1",
                                                                        lines=LAPTOP_ONLY)},
                             headers=CHANNEL)
    assert answer.status_code == 201, answer.text
    assert picks == [["WH-A"], ["WH-B"]]
    assert [f["location_id"] for f in answer.json()["fulfillments"]] == ["WH-B"]


# -- 4. backorder: reject at intake leaves a reason on the timeline ---------------------------
def test_intake_refused_by_backorder_reject_says_why_on_the_timeline(
        seeded_any: TestClient) -> None:
    assert seeded_any.put("/v1/policy", json={"backorder": "reject"},
                          headers=PLANNER).status_code == 200
    placed = seeded_any.post("/v1/orders", json=order_body("REJ-1", lines=[
        {"line_id": "1", "sku": "LAPTOP-15", "qty": 9, "unit_price": 999.0}]), headers=CHANNEL)
    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert body["status"] == "received" and body["fulfillments"] == []
    refusals = [e for e in body["timeline"] if e["type"] == "order.backordered"]
    assert len(refusals) == 1 and "reject" in refusals[0]["message"], body["timeline"]
    track = seeded_any.get(f"/v1/track/{body['order_id']}",
                           params={"token": body["tracking_token"]}).json()
    assert "order.backordered" in [e["type"] for e in track["timeline"]]


def test_a_second_refusal_does_not_repeat_the_timeline_event(seeded_any: TestClient) -> None:
    assert seeded_any.put("/v1/policy", json={"backorder": "reject"},
                          headers=PLANNER).status_code == 200
    placed = seeded_any.post("/v1/orders", json=order_body("REJ-2", lines=[
        {"line_id": "1", "sku": "LAPTOP-15", "qty": 9, "unit_price": 999.0}],
        payment={"status": "pending"}), headers=CHANNEL).json()
    for _ in range(2):
        seeded_any.post(f"/v1/orders/{placed['order_id']}/payment",
                        json={"status": "confirmed"}, headers=CHANNEL)
        sourcing.source_if_ready(seeded_any.app.state.container.uow_factory,  # type: ignore
                                 placed["order_id"])
    order = seeded_any.get(f"/v1/orders/{placed['order_id']}", headers=OPS).json()
    assert [e["type"] for e in order["timeline"]].count("order.backordered") == 1


# -- 5. quotes never say committed and show what a commit would create ------------------------
def test_a_services_only_quote_is_not_committed_and_shows_the_service_fulfillment(
        seeded_any: TestClient) -> None:
    body = _quote(seeded_any, order_body("SVC-Q", lines=SERVICE_ONLY))
    assert body["committed"] is False
    assert [(f["type"], f["fulfillment_id"]) for f in body["fulfillments"]] == [("service", None)]
    assert body["solver"]["status"] == "optimal"
    assert seeded_any.get("/v1/orders", headers=OPS).json()["items"] == []


def test_a_mixed_quote_shows_the_same_fulfillments_as_the_commit(
        seeded_any: TestClient) -> None:
    before = _stock(seeded_any)
    quoted = _quote(seeded_any, order_body("MIX-Q"))
    assert _stock(seeded_any) == before
    committed = seeded_any.post("/v1/allocate", json={"order": order_body("MIX-C")},
                                headers=CHANNEL).json()

    def shape(answer: dict[str, Any]) -> list[tuple[str, str | None, list[Any]]]:
        return sorted((f["type"], f["location_id"], f["lines"]) for f in answer["fulfillments"])

    assert quoted["committed"] is False and committed["committed"] is True
    assert shape(quoted) == shape(committed)
    assert "service" in [f["type"] for f in quoted["fulfillments"]]


def test_quoting_an_allocated_order_is_not_a_commitment(seeded_any: TestClient) -> None:
    placed = seeded_any.post("/v1/orders", json=order_body("ALLOC-Q"), headers=CHANNEL).json()
    answer = seeded_any.post("/v1/allocate", json={"order_id": placed["order_id"],
                                                   "commit": False}, headers=CHANNEL)
    assert answer.status_code == 200, answer.text
    assert answer.json()["committed"] is False
    assert answer.json()["status"] == "allocated"


# -- 6. the policy's booleans are strict -------------------------------------------------------
@pytest.mark.parametrize("field", ["allow_line_split", "lookahead"])
@pytest.mark.parametrize("value", ["yes", "true", "1", 1, 0])
def test_policy_booleans_refuse_anything_but_json_booleans(
        seeded_any: TestClient, field: str, value: object) -> None:
    before = seeded_any.get("/v1/policy", headers=PLANNER).json()
    answer = seeded_any.put("/v1/policy", json={field: value}, headers=PLANNER)
    assert answer.status_code == 422, answer.text
    assert seeded_any.get("/v1/policy", headers=PLANNER).json() == before


def test_policy_booleans_take_json_true_and_false(seeded_any: TestClient) -> None:
    answer = seeded_any.put("/v1/policy", json={"allow_line_split": False, "lookahead": True},
                            headers=PLANNER)
    assert answer.status_code == 200, answer.text
    stored = seeded_any.get("/v1/policy", headers=PLANNER).json()
    assert (stored["allow_line_split"], stored["lookahead"]) == (False, True)


@pytest.mark.parametrize(("path", "body"), [
    ("/v1/allocations/run", {"reoptimize": "yes"}),
    ("/v1/allocations/run", {"reoptimize": 1}),
])
def test_run_flags_must_be_real_booleans(client: TestClient, path: str,
                                         body: dict[str, object]) -> None:
    response = client.post(path, json=body, headers=PLANNER)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("commit", ["yes", 1, "false"])
def test_commit_must_be_a_real_boolean_so_a_quote_is_never_committed_by_a_typo(
        seeded: TestClient, commit: object) -> None:
    response = seeded.post("/v1/allocate", json={"order": order_body("TYPO"), "commit": commit},
                           headers=CHANNEL)
    assert response.status_code == 422, response.text
    assert seeded.get("/v1/orders", headers=OPS).json()["items"] == []


def test_committing_a_body_that_cannot_be_sourced_yet_names_it_by_its_channel_reference(
        seeded: TestClient) -> None:
    """A pending payment is refused with nothing stored; the message must not name an order id
    that was never stored (a 404 for whoever follows it)."""
    body = order_body("W-PEND", lines=LAPTOP_ONLY, payment={"status": "pending"})
    before = _stock(seeded)
    refused = seeded.post("/v1/allocate", json={"order": body, "commit": True},
                          headers=CHANNEL)
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert "web order 'W-PEND' waits for payment (pending)" in detail
    assert "POST /v1/orders" in detail and "ord_" not in detail
    assert seeded.get("/v1/orders", headers=OPS).json()["items"] == []
    assert _stock(seeded) == before


def test_the_rest_of_an_accepted_order_is_sourced_under_reject_as_a_run_would(
        seeded: TestClient) -> None:
    """``backorder: reject`` refuses new orders; an order already partly allocated is past
    that point: allocate sources what it can of the rest, as ``/v1/allocations/run`` does."""
    seeded.put("/v1/policy", json={"source_backorders": False}, headers=PLANNER)
    body = order_body("W-REST", lines=[{"line_id": "1", "sku": "LAPTOP-15", "qty": 9,
                                        "unit_price": 999.0}])
    placed = seeded.post("/v1/orders", json=body, headers=CHANNEL).json()
    assert placed["status"] == "partially_allocated"
    seeded.put("/v1/inventory/ST-2/LAPTOP-15", json={"on_hand": 1}, headers=ADMIN)
    seeded.put("/v1/policy", json={"backorder": "reject", "source_backorders": False},
               headers=PLANNER)
    path = {"order_id": placed["order_id"]}
    quote = seeded.post("/v1/allocate", json={**path, "commit": False}, headers=CHANNEL).json()
    assert quote["commit_refusal"] is None
    rest = seeded.post("/v1/allocate", json={**path, "commit": True}, headers=CHANNEL)
    assert rest.status_code == 200, rest.text
    assert rest.json()["status"] == "partially_allocated"
    assert sorted(f["location_id"] for f in rest.json()["fulfillments"]) == \
        ["ST-2", "WH-A", "WH-B"]
    # the quote showed the whole order too, as the commit answered it
    assert (quote["status"], quote["totals"]) == (rest.json()["status"], rest.json()["totals"])
    assert sorted(f["location_id"] for f in quote["fulfillments"]) == ["ST-2", "WH-A", "WH-B"]


def test_a_quote_of_a_partly_allocated_order_with_nothing_more_to_take_shows_what_it_holds(
        seeded: TestClient) -> None:
    body = order_body("W-HOLDS", lines=[{"line_id": "1", "sku": "LAPTOP-15", "qty": 9,
                                         "unit_price": 999.0}])
    placed = seeded.post("/v1/orders", json=body, headers=CHANNEL).json()
    quote = seeded.post("/v1/allocate", json={"order_id": placed["order_id"], "commit": False},
                        headers=CHANNEL).json()
    assert quote["status"] == "partially_allocated"
    assert sorted(f["location_id"] for f in quote["fulfillments"]) == ["WH-A", "WH-B"]
    assert [u["qty"] for u in quote["unallocated"]] == [2]


def test_an_allocation_with_nothing_solved_carries_every_solver_field(
        seeded: TestClient) -> None:
    """A stored services-only order answers from what is stored: the solver object has the
    fields every answer has (api.md's name, status, gap, ms), with no gap to claim."""
    placed = seeded.post("/v1/orders", json=order_body("SVC-F", lines=SERVICE_ONLY),
                         headers=CHANNEL).json()
    answer = seeded.post("/v1/allocate", json={"order_id": placed["order_id"], "commit": True},
                         headers=CHANNEL).json()
    assert {"name", "status", "gap", "ms"} <= set(answer["solver"])
    run = seeded.post("/v1/allocations/run", json={}, headers=PLANNER).json()
    assert isinstance(run["totals"]["shipments"], int)


def test_the_rest_of_an_order_under_time_is_not_rushed_past_its_slow_first_package(
        client: TestClient) -> None:
    """One unit went from a slow supplier-like warehouse (7 days); sourcing the other under
    ``time``, a 1-day package at $40 brings the order no sooner than a 3-day one at $5."""
    here = {"type": "warehouse", "lat": 40.71, "lon": -74.0, "capabilities": ["ship"]}
    for location_id, extra in (("SLOWEST", {"processing_days": 6, "shipment_cost": 5.0}),
                               ("FAST", {"processing_days": 0, "shipment_cost": 40.0}),
                               ("CHEAP", {"processing_days": 2, "shipment_cost": 5.0})):
        assert client.put(f"/v1/locations/{location_id}",
                          json={**here, "name": location_id, **extra},
                          headers=ADMIN).status_code == 201
    client.put("/v1/products/CAM", json={"name": "Camera"}, headers=ADMIN)
    client.put("/v1/policy", json={"objective": "time", "source_backorders": False},
               headers=PLANNER)
    client.put("/v1/inventory/SLOWEST/CAM", json={"on_hand": 1}, headers=ADMIN)
    body = order_body("REST-1", lines=[{"line_id": "1", "sku": "CAM", "qty": 2,
                                         "unit_price": 300.0}])
    placed = client.post("/v1/orders", json=body, headers=CHANNEL).json()
    (first,) = [f for f in placed["fulfillments"] if f["type"] == "ship"]
    assert (placed["status"], first["location_id"]) == ("partially_allocated", "SLOWEST")
    for location_id in ("FAST", "CHEAP"):
        client.put(f"/v1/inventory/{location_id}/CAM", json={"on_hand": 1}, headers=ADMIN)
    answer = client.post("/v1/allocate", json={"order_id": placed["order_id"], "commit": False},
                         headers=CHANNEL)
    assert answer.status_code == 200, answer.text
    quote = answer.json()
    rest = [(f["location_id"], f["delivery_days"]) for f in quote["fulfillments"]
            if f["type"] == "ship" and f["location_id"] != "SLOWEST"]
    assert rest == [("CHEAP", first["delivery_days"] - 4)]
    # FAST lost the new package on price; it had nothing when SLOWEST's was chosen (that
    # fulfillment's runner-ups are shown as they were then)
    assert {(a["instead_of"], a["why_not"]) for a in quote["explanation"]["alternatives"]
            if a["location_id"] == "FAST"} == {("CHEAP", "dearer"), ("SLOWEST", "no_stock")}


def test_the_total_cost_is_the_sum_of_the_fulfillments_shown(client: TestClient) -> None:
    """Three parcels of 1.004 each are shown at 1.00: the total is 3.00 in the quote, the
    commit and when the order is allocated again (it said 3.01, then 3.00)."""
    for location_id in ("A", "B", "C"):
        assert client.put(f"/v1/locations/{location_id}", headers=ADMIN, json={
            "name": location_id, "type": "warehouse", "lat": 40.7, "lon": -74.0,
            "capabilities": ["ship"], "shipment_cost": 1.004}).status_code == 201
    client.put("/v1/products/P", json={"name": "P"}, headers=ADMIN)
    for location_id in ("A", "B", "C"):
        client.put(f"/v1/inventory/{location_id}/P", json={"on_hand": 1}, headers=ADMIN)
    body = order_body("TOTALS", lines=[{"line_id": "1", "sku": "P", "qty": 3,
                                         "unit_price": 5.0}])
    answers = [client.post("/v1/allocate", json={"order": body, "commit": commit},
                           headers=CHANNEL).json() for commit in (False, True)]
    answers.append(client.post("/v1/allocate", json={"order_id": answers[1]["order_id"]},
                               headers=CHANNEL).json())
    for answer in answers:
        assert [f["cost"] for f in answer["fulfillments"]] == [1.0, 1.0, 1.0]
        assert answer["totals"]["cost"] == 3.0
