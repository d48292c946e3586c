"""Allocation through the real app: quotes, commitments, objectives, policy, joint runs."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from dom.bootstrap import Container
from tests.api.conftest import ADMIN, CHANNEL, OPS, PLANNER, order_body

NEAR = {"name": "Warehouse A (near, dear)", "type": "warehouse", "lat": 40.80, "lon": -74.05,
        "capabilities": ["ship"], "shipment_cost": 15.0}
FAR = {"name": "Warehouse B (far, cheap)", "type": "warehouse", "lat": 34.05, "lon": -118.24,
       "capabilities": ["ship"], "shipment_cost": 3.0}


def network(client: TestClient, stock: dict[str, int] | None = None) -> None:
    for location_id, body in (("WH-A", NEAR), ("WH-B", FAR)):
        assert client.put(f"/v1/locations/{location_id}", json=body,
                          headers=ADMIN).status_code in (200, 201)
    for sku, body in (("LAPTOP-15", {"name": "Laptop 15"}),
                      ("WARRANTY-3Y", {"name": "Warranty", "kind": "service",
                                       "term_months": 36})):
        client.put(f"/v1/products/{sku}", json=body, headers=ADMIN)
    for location_id, on_hand in (stock or {"WH-A": 2, "WH-B": 5}).items():
        client.put(f"/v1/inventory/{location_id}/LAPTOP-15", json={"on_hand": on_hand},
                   headers=ADMIN)


def laptop_order(channel_order_id: str = "W-1", qty: int = 1, **extra: Any) -> dict[str, Any]:
    return order_body(channel_order_id, lines=[
        {"line_id": "1", "sku": "LAPTOP-15", "qty": qty, "unit_price": 999.0}], **extra)


def available(client: TestClient) -> dict[str, int]:
    positions = client.get("/v1/inventory?sku=LAPTOP-15", headers=ADMIN).json()["positions"]
    return {p["location_id"]: p["available"] for p in positions}


@pytest.fixture
def api(client: TestClient) -> TestClient:
    network(client)
    return client


def test_minimizing_time_picks_the_near_warehouse_and_cost_the_cheap_one(api: TestClient) -> None:
    picks = {}
    for objective in ("time", "cost"):
        answer = api.post("/v1/allocate", json={"order": laptop_order(), "commit": False,
                                                "objective": objective}, headers=CHANNEL)
        assert answer.status_code == 200, answer.text
        picks[objective] = [f["location_id"] for f in answer.json()["fulfillments"]]
    assert picks == {"time": ["WH-A"], "cost": ["WH-B"]}


def test_a_quote_writes_and_reserves_nothing(api: TestClient) -> None:
    before = available(api)
    answer = api.post("/v1/allocate", json={"order": laptop_order(qty=3), "commit": False},
                      headers=CHANNEL).json()
    assert answer["order_id"] is None and answer["committed"] is False
    assert answer["fulfillments"][0]["fulfillment_id"] is None
    assert available(api) == before
    assert api.get("/v1/orders", headers=OPS).json()["items"] == []


def test_the_answer_carries_solver_proof_totals_and_the_runner_up(api: TestClient) -> None:
    answer = api.post("/v1/allocate", json={"order": laptop_order(), "commit": False,
                                            "objective": "cost"}, headers=CHANNEL).json()
    assert answer["solver"]["status"] == "optimal" and answer["solver"]["gap"] == 0.0
    assert answer["totals"] == {"cost": 3.0, "delivery_days": 5, "shipments": 1,
                                "opportunity_cost": 0.0, "cost_with_opportunity": 3.0}
    (runner_up,) = answer["explanation"]["alternatives"]
    assert (runner_up["location_id"], runner_up["why_not"]) == ("WH-A", "dearer")


def test_committing_an_inline_order_creates_it_and_reserves_its_units(api: TestClient) -> None:
    answer = api.post("/v1/allocate", json={"order": laptop_order(qty=2), "commit": True,
                                            "objective": "time"}, headers=CHANNEL)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "allocated" and body["committed"] is True
    assert available(api) == {"WH-A": 0, "WH-B": 5}
    order = api.get(f"/v1/orders/{body['order_id']}", headers=OPS).json()
    assert order["status"] == "allocated"
    assert [f["location_id"] for f in order["fulfillments"]] == ["WH-A"]
    kinds = [e["type"] for e in order["timeline"]]
    assert kinds.index("order.allocated") < kinds.index("fulfillment.released")


def test_an_authorized_order_is_sourced_before_the_response_returns(api: TestClient) -> None:
    placed = api.post("/v1/orders", json=laptop_order(), headers=CHANNEL).json()
    assert placed["status"] == "allocated"
    (shipment,) = [f for f in placed["fulfillments"] if f["type"] == "ship"]
    assert shipment["location_id"] == "WH-B" and shipment["status"] == "released"
    assert available(api)["WH-B"] == 4


def test_a_pending_payment_waits_and_is_sourced_when_confirmed(api: TestClient) -> None:
    placed = api.post("/v1/orders", json=laptop_order(payment={"status": "pending"}),
                      headers=CHANNEL).json()
    assert placed["status"] == "received" and placed["fulfillments"] == []
    assert available(api)["WH-B"] == 5
    confirmed = api.post(f"/v1/orders/{placed['order_id']}/payment",
                         json={"status": "confirmed"}, headers=CHANNEL).json()
    assert confirmed["status"] == "allocated"
    assert available(api)["WH-B"] == 4


def test_allocating_an_allocated_order_returns_its_current_allocation(api: TestClient) -> None:
    placed = api.post("/v1/orders", json=laptop_order(), headers=CHANNEL).json()
    again = api.post("/v1/allocate", json={"order_id": placed["order_id"]}, headers=CHANNEL)
    assert again.status_code == 200
    assert [f["fulfillment_id"] for f in again.json()["fulfillments"] if f["type"] == "ship"] \
        == [f["fulfillment_id"] for f in placed["fulfillments"] if f["type"] == "ship"]
    assert available(api)["WH-B"] == 4


def test_allocating_an_allocated_order_again_explains_it_as_the_first_answer_did(
        api: TestClient) -> None:
    first = api.post("/v1/allocate", json={"order": laptop_order(), "commit": True,
                                           "objective": "cost"}, headers=CHANNEL)
    assert first.status_code == 201, first.text
    explained = first.json()["explanation"]["alternatives"]
    assert [(a["location_id"], a["why_not"], a["instead_of"]) for a in explained] == \
        [("WH-A", "dearer", "WH-B")]
    # WH-A costs more to reach now, but the runner-up shown is the one the choice was made on
    api.put("/v1/locations/WH-A", json={**NEAR, "shipment_cost": 40.0}, headers=ADMIN)
    for commit in (True, False):
        again = api.post("/v1/allocate", json={"order_id": first.json()["order_id"],
                                               "commit": commit}, headers=CHANNEL)
        assert again.status_code == 200, again.text
        assert again.json()["explanation"]["alternatives"] == explained


def test_short_stock_backorders_the_rest_under_the_default_policy(api: TestClient) -> None:
    placed = api.post("/v1/orders", json=laptop_order(qty=9), headers=CHANNEL).json()
    assert placed["status"] == "partially_allocated"
    assert sum(line["qty"] for f in placed["fulfillments"] for line in f["lines"]) == 7
    assert "order.backordered" in [e["type"] for e in placed["timeline"]]


def test_backorder_reject_refuses_the_whole_order_and_writes_nothing(api: TestClient) -> None:
    assert api.put("/v1/policy", json={"backorder": "reject"}, headers=PLANNER).status_code == 200
    refused = api.post("/v1/allocate", json={"order": laptop_order(qty=9), "commit": True},
                       headers=CHANNEL)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert api.get("/v1/orders", headers=OPS).json()["items"] == []
    assert available(api) == {"WH-A": 2, "WH-B": 5}
    # a quote of the same body says so, instead of only "partially_allocated"
    quote = api.post("/v1/allocate", json={"order": laptop_order(qty=9), "commit": False},
                     headers=CHANNEL).json()
    assert quote["status"] == "partially_allocated"
    assert quote["commit_refusal"] == ("not enough stock to fill the order (2 x line 1 short) "
                                       "and the policy rejects backorders")
    assert refused.json()["detail"].endswith("(2 x line 1 short) and the policy rejects "
                                             "backorders")
    fits = api.post("/v1/allocate", json={"order": laptop_order(qty=7), "commit": False},
                    headers=CHANNEL).json()
    assert (fits["status"], fits["commit_refusal"]) == ("allocated", None)
    api.put("/v1/policy", json={"backorder": "allow"}, headers=PLANNER)
    allowed = api.post("/v1/allocate", json={"order": laptop_order(qty=9), "commit": False},
                       headers=CHANNEL).json()
    assert allowed["commit_refusal"] is None


def test_a_quote_of_an_order_waiting_for_payment_says_a_commit_would_be_refused(
        api: TestClient) -> None:
    unpaid = laptop_order(payment={"status": "pending"})
    quote = api.post("/v1/allocate", json={"order": unpaid, "commit": False},
                     headers=CHANNEL).json()
    assert quote["commit_refusal"].startswith("the order waits for payment (pending)")
    placed = api.post("/v1/orders", json=unpaid, headers=CHANNEL).json()
    stored = api.post("/v1/allocate", json={"order_id": placed["order_id"], "commit": False},
                      headers=CHANNEL).json()
    committed = api.post("/v1/allocate", json={"order_id": placed["order_id"], "commit": True},
                         headers=CHANNEL)
    assert committed.status_code == 409
    assert stored["commit_refusal"] == committed.json()["detail"]


def test_backordered_orders_are_sourced_by_the_joint_run_when_stock_arrives(
        client: TestClient) -> None:
    network(client, {"WH-A": 0, "WH-B": 0})
    placed = client.post("/v1/orders", json=laptop_order(qty=2), headers=CHANNEL).json()
    assert placed["status"] == "backordered"
    client.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 5}, headers=ADMIN)
    run = client.post("/v1/allocations/run", json={}, headers=PLANNER)
    assert run.status_code == 200, run.text
    assert run.json()["allocated"] == 1 and run.json()["units_allocated"] == 2
    order = client.get(f"/v1/orders/{placed['order_id']}", headers=OPS).json()
    assert order["status"] == "allocated"


def test_stock_a_refused_order_cannot_use_goes_to_an_accepted_backorder(
        client: TestClient) -> None:
    network(client, {"WH-A": 0, "WH-B": 0})
    waiting = client.post("/v1/orders", json=laptop_order("Y", qty=3), headers=CHANNEL).json()
    assert waiting["status"] == "backordered"  # accepted under backorder: allow
    client.put("/v1/policy", json={"backorder": "reject"}, headers=PLANNER)
    urgent = client.post("/v1/orders", json=laptop_order("X", qty=5, priority=5),
                         headers=CHANNEL).json()
    assert urgent["status"] == "received"  # refused whole, never accepted
    client.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 3}, headers=ADMIN)
    # the joint answer gives the 3 units to X (higher priority) and reject then refuses X:
    # the run must solve again without X rather than leave the units idle
    run = client.post("/v1/allocations/run", json={}, headers=PLANNER).json()
    assert (run["orders"], run["allocated"], run["rejected"], run["units_allocated"]) == \
        (2, 1, 1, 3)
    for placed, status in ((waiting, "allocated"), (urgent, "received")):
        order = client.get(f"/v1/orders/{placed['order_id']}", headers=OPS).json()
        assert order["status"] == status
    assert available(client) == {"WH-A": 0, "WH-B": 0}


def test_an_order_refused_beside_another_gets_the_stock_that_refusal_left(
        client: TestClient) -> None:
    """Z (priority 5) wants a laptop and a cable nobody stocks, Y a laptop; neither was ever
    accepted. The joint answer gives WH-A's one laptop to Z, so both are short and both were
    refused in the same round, leaving the laptop idle until the next run gave it to Y."""
    network(client, {"WH-A": 0, "WH-B": 0})
    client.put("/v1/products/CABLE", json={"name": "Cable"}, headers=ADMIN)
    client.put("/v1/policy", json={"backorder": "reject"}, headers=PLANNER)
    urgent = client.post("/v1/orders", headers=CHANNEL, json=order_body("Z", priority=5, lines=[
        {"line_id": "1", "sku": "LAPTOP-15", "qty": 1, "unit_price": 999.0},
        {"line_id": "2", "sku": "CABLE", "qty": 1, "unit_price": 9.0}])).json()
    later = client.post("/v1/orders", json=laptop_order("Y"), headers=CHANNEL).json()
    assert (urgent["status"], later["status"]) == ("received", "received")
    client.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 1}, headers=ADMIN)
    run = client.post("/v1/allocations/run", json={}, headers=PLANNER).json()
    assert (run["orders"], run["allocated"], run["rejected"], run["units_allocated"]) == \
        (2, 1, 1, 1)
    # both in one solve, Y alone against the idle laptop (Z not: no cable is idle), Y again
    assert run["solver"]["solves"] == 3
    for placed, status in ((later, "allocated"), (urgent, "received")):
        order = client.get(f"/v1/orders/{placed['order_id']}", headers=OPS).json()
        assert order["status"] == status
    assert available(client) == {"WH-A": 0, "WH-B": 0}


def test_reoptimizing_moves_unreleased_allocations_and_reports_the_saving(
        client: TestClient) -> None:
    network(client, {"WH-A": 5, "WH-B": 0})
    client.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    placed = client.post("/v1/orders", json=laptop_order(), headers=CHANNEL).json()
    (held,) = [f for f in placed["fulfillments"] if f["type"] == "ship"]
    assert (held["location_id"], held["status"]) == ("WH-A", "allocated")
    client.put("/v1/inventory/WH-B/LAPTOP-15", json={"on_hand": 5}, headers=ADMIN)
    run = client.post("/v1/allocations/run", json={"reoptimize": True}, headers=PLANNER).json()
    assert run["reoptimized"] == {"fulfillments_reconsidered": 1, "cost_before": 15.0,
                                  "cost_after": 3.0, "saving": 12.0, "units_unfilled": 0,
                                  "units_filled": 0, "orders_restored": 0}
    order = client.get(f"/v1/orders/{placed['order_id']}", headers=OPS).json()
    live = [f for f in order["fulfillments"] if f["status"] == "allocated"]
    assert [f["location_id"] for f in live] == ["WH-B"]
    assert available(client) == {"WH-A": 5, "WH-B": 4}


def test_policy_round_trips_and_refuses_nonsense(api: TestClient) -> None:
    assert api.get("/v1/policy", headers=CHANNEL).json()["objective"] == "cost"
    put = api.put("/v1/policy", json={"objective": "time", "max_shipments_per_order": 1},
                  headers=PLANNER)
    assert put.status_code == 200 and put.json()["allow_line_split"] is True
    assert api.get("/v1/policy", headers=PLANNER).json()["objective"] == "time"
    for bad in ({"objective": "fastest"}, {"max_shipments_per_order": 0},
                {"time_limit_ms": 1}, {"unknown": 1}):
        assert api.put("/v1/policy", json=bad, headers=PLANNER).status_code == 422
    assert api.get("/v1/policy", headers=PLANNER).json()["objective"] == "time"


def test_policy_unfilled_cost_factor_round_trips_and_defaults_to_fill_first(
        api: TestClient) -> None:
    assert api.get("/v1/policy", headers=PLANNER).json()["unfilled_cost_factor"] is None
    put = api.put("/v1/policy", json={"unfilled_cost_factor": 2.0}, headers=PLANNER)
    assert put.status_code == 200 and put.json()["unfilled_cost_factor"] == 2.0
    assert api.get("/v1/policy", headers=CHANNEL).json()["unfilled_cost_factor"] == 2.0
    for bad in (0, -1, 1001, "lots"):
        assert api.put("/v1/policy", json={"unfilled_cost_factor": bad},
                       headers=PLANNER).status_code == 422
    assert api.get("/v1/policy", headers=PLANNER).json()["unfilled_cost_factor"] == 2.0
    assert api.put("/v1/policy", json={}, headers=PLANNER).json()["unfilled_cost_factor"] is None


def test_a_unit_dearer_than_its_unfilled_price_is_left_unallocated(client: TestClient) -> None:
    network(client, {"WH-A": 2})  # only the near, dear warehouse holds laptops
    quote = {"order": laptop_order(), "commit": False}
    filled = client.post("/v1/allocate", json=quote, headers=CHANNEL).json()
    assert [f["location_id"] for f in filled["fulfillments"]] == ["WH-A"]
    # an unfilled unit priced at half its only shipment: shipping it is not worth it
    client.put("/v1/policy", json={"unfilled_cost_factor": 0.5}, headers=PLANNER)
    answer = client.post("/v1/allocate", json=quote, headers=CHANNEL)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["fulfillments"] == []
    assert [(u["line_id"], u["qty"], u["reason"]) for u in body["unallocated"]] == [
        ("1", 1, "dearer_than_unfilled")]
    # twice the dearest shipment (the literature's setting) fills it again
    client.put("/v1/policy", json={"unfilled_cost_factor": 2}, headers=PLANNER)
    again = client.post("/v1/allocate", json=quote, headers=CHANNEL).json()
    assert [f["location_id"] for f in again["fulfillments"]] == ["WH-A"]


def test_rejecting_backorders_fills_first_whatever_the_unfilled_price(
        client: TestClient) -> None:
    network(client, {"WH-A": 2})
    client.put("/v1/policy", json={"unfilled_cost_factor": 0.5, "backorder": "reject"},
               headers=PLANNER)
    answer = client.post("/v1/allocate", json={"order": laptop_order(), "commit": True},
                         headers=CHANNEL)
    assert answer.status_code == 201, answer.text
    assert [f["location_id"] for f in answer.json()["fulfillments"]] == ["WH-A"]
    assert available(client) == {"WH-A": 1}
    # a real shortage is still refused, and the refusal names no order that was never stored
    short = client.post("/v1/allocate", json={"order": laptop_order("W-2", qty=2),
                                              "commit": True}, headers=CHANNEL)
    assert short.status_code == 409
    assert "ord_" not in short.json()["detail"] and "the order" in short.json()["detail"]
    assert available(client) == {"WH-A": 1}


def test_refusals_after_schema_checks_point_at_the_field_wherever_the_order_sits(
        api: TestClient) -> None:
    unknown_sku = order_body("W-9", lines=[
        {"line_id": "1", "sku": "LAPTOP-15", "qty": 1, "unit_price": 999.0},
        {"line_id": "2", "sku": "NO-SUCH", "qty": 1, "unit_price": 1.0}])
    bad_zip = laptop_order(ship_to={"postal_code": "00000"})
    for body, path in ((unknown_sku, ["lines", 1, "sku"]),
                       (bad_zip, ["ship_to", "postal_code"])):
        placed = api.post("/v1/orders", json=body, headers=CHANNEL)
        assert placed.status_code == 422
        assert placed.json()["errors"][0]["loc"] == ["body", *path]
        quoted = api.post("/v1/allocate", json={"order": body, "commit": True}, headers=CHANNEL)
        assert quoted.status_code == 422
        assert quoted.json()["errors"][0]["loc"] == ["body", "order", *path]
    assert api.get("/v1/orders", headers=OPS).json()["items"] == []


def test_roles_for_allocation(api: TestClient) -> None:
    quote = {"order": laptop_order(), "commit": False}
    assert api.post("/v1/allocate", json=quote, headers=OPS).status_code == 403
    assert api.post("/v1/allocate", json=quote, headers=PLANNER).status_code == 200
    assert api.post("/v1/allocate", json={**quote, "commit": True},
                    headers=PLANNER).status_code == 403  # that would create the order
    assert api.get("/v1/orders", headers=OPS).json()["items"] == []
    stored = api.post("/v1/orders", json=laptop_order(payment={"status": "pending"}),
                      headers=CHANNEL).json()
    api.post(f"/v1/orders/{stored['order_id']}/payment", json={"status": "confirmed"},
             headers=CHANNEL)
    committed = api.post("/v1/allocate", json={"order_id": stored["order_id"], "commit": True},
                         headers=PLANNER)
    assert committed.status_code == 200, committed.text
    assert committed.json()["committed"] is True
    assert api.put("/v1/policy", json={}, headers=CHANNEL).status_code == 403
    assert api.post("/v1/allocations/run", json={}, headers=CHANNEL).status_code == 403


def test_allocate_needs_exactly_one_of_order_id_and_order(api: TestClient) -> None:
    assert api.post("/v1/allocate", json={"commit": False}, headers=CHANNEL).status_code == 422
    both = {"order_id": "ord_x", "order": laptop_order()}
    assert api.post("/v1/allocate", json=both, headers=CHANNEL).status_code == 422
    assert api.post("/v1/allocate", json={"order_id": "ord_missing"},
                    headers=CHANNEL).status_code == 404


def test_lookahead_prices_stock_the_latest_joint_run_found_scarce(client: TestClient) -> None:
    network(client, {"WH-A": 0, "WH-B": 0})
    waiting = [client.post("/v1/orders", json=laptop_order(f"P-{n}"), headers=CHANNEL).json()
               for n in range(2)]
    assert [o["status"] for o in waiting] == ["backordered", "backordered"]
    # Stock arrives: one cheap unit at WH-B for two waiting orders, plenty at WH-A.
    client.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 10}, headers=ADMIN)
    client.put("/v1/inventory/WH-B/LAPTOP-15", json={"on_hand": 1}, headers=ADMIN)
    assert client.post("/v1/allocations/run", json={}, headers=PLANNER).json()["allocated"] == 2
    # WH-B's unit comes free again by a cancel (a receipt there would drop its price: the
    # scarcity it measured would be gone)
    at_b = [o for o in waiting if any(
        f["location_id"] == "WH-B" for f in client.get(
            f"/v1/orders/{o['order_id']}", headers=OPS).json()["fulfillments"])]
    cancelled = client.post(f"/v1/orders/{at_b[0]['order_id']}/cancel",
                            json={"reason": "customer asked"}, headers=OPS)
    assert cancelled.status_code == 200, cancelled.text
    plain = client.post("/v1/allocate", json={"order": laptop_order("Q-1"), "commit": False},
                        headers=CHANNEL).json()
    assert plain["totals"]["opportunity_cost"] == 0.0
    client.put("/v1/policy", json={"lookahead": True}, headers=PLANNER)
    priced = client.post("/v1/allocate", json={"order": laptop_order("Q-1"), "commit": False},
                         headers=CHANNEL).json()
    totals = priced["totals"]
    # The unit at WH-B is worth what the runner-up costs more (15 - 3) to the batch.
    assert totals["opportunity_cost"] == pytest.approx(12.0, abs=0.01) or \
        priced["fulfillments"][0]["location_id"] == "WH-A"
    assert totals["cost_with_opportunity"] == pytest.approx(
        totals["cost"] + totals["opportunity_cost"])


def test_allocating_again_shows_the_opportunity_cost_the_allocation_was_made_with(
        client: TestClient) -> None:
    """The opportunity cost is stored per fulfillment: an allocated order allocated again
    (a commit or a quote) answers the price its units were taken at, as the first answer did,
    not 0."""
    network(client, {"WH-A": 0, "WH-B": 0})
    waiting = [client.post("/v1/orders", json=laptop_order(f"P-{n}"), headers=CHANNEL).json()
               for n in range(2)]
    client.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 10}, headers=ADMIN)
    client.put("/v1/inventory/WH-B/LAPTOP-15", json={"on_hand": 1}, headers=ADMIN)
    assert client.post("/v1/allocations/run", json={}, headers=PLANNER).json()["allocated"] == 2
    for placed in waiting:  # frees WH-B's one unit, still priced
        client.post(f"/v1/orders/{placed['order_id']}/cancel", json={"reason": "test"},
                    headers=OPS)
    # WH-A dearer since: WH-B's unit, at 3 plus its price of 12, is now the cheaper one
    client.put("/v1/locations/WH-A", json=dict(NEAR, shipment_cost=16.0), headers=ADMIN)
    client.put("/v1/policy", json={"lookahead": True}, headers=PLANNER)
    first = client.post("/v1/allocate", json={"order": laptop_order("L-1"), "commit": True},
                        headers=CHANNEL)
    assert first.status_code == 201, first.text
    body = {"order_id": first.json()["order_id"], "commit": True}
    assert [f["location_id"] for f in first.json()["fulfillments"]] == ["WH-B"]
    totals = first.json()["totals"]
    assert totals["opportunity_cost"] == pytest.approx(12.0, abs=0.01)
    for commit in (True, False):
        again = client.post("/v1/allocate", json=dict(body, commit=commit), headers=CHANNEL)
        assert again.status_code == 200, again.text
        assert again.json()["totals"] == totals


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf"])
def test_a_number_that_is_not_finite_is_refused_as_such(api: TestClient, value: str) -> None:
    refused = api.put("/v1/policy", json={"cost_per_day": value}, headers=PLANNER)
    assert refused.status_code == 422
    assert "finite number" in refused.json()["errors"][0]["msg"]
    assert api.get("/v1/policy", headers=PLANNER).json()["cost_per_day"] == 5.0


def test_an_answers_opportunity_cost_is_its_packages_prices_to_the_cent(
        client: TestClient, default_container: Container) -> None:
    """Two packages priced 0.3333 each: the answer says 0.66 (each package's price to the cent,
    as stored on its fulfillment), not the unrounded sum's 0.67, on commit, on allocating
    again (read back from the fulfillments) and on a quote of it alike."""
    network(client, {"WH-A": 1, "WH-B": 1})
    with default_container.uow_factory() as uow:
        uow.policy.replace_opportunity_costs({("WH-A", "LAPTOP-15"): 0.3333,
                                              ("WH-B", "LAPTOP-15"): 0.3333})
        uow.commit()
    client.put("/v1/policy", json={"lookahead": True}, headers=PLANNER)
    committed = client.post("/v1/allocate", json={"order": laptop_order("R-1", qty=2),
                                                  "commit": True}, headers=CHANNEL)
    assert committed.status_code == 201, committed.text
    answer = committed.json()
    assert sorted(f["location_id"] for f in answer["fulfillments"]) == ["WH-A", "WH-B"]
    assert answer["totals"]["opportunity_cost"] == 0.66
    for commit in (True, False):
        again = client.post("/v1/allocate", json={"order_id": answer["order_id"],
                                                  "commit": commit}, headers=CHANNEL)
        assert again.status_code == 200, again.text
        assert again.json()["totals"]["opportunity_cost"] == 0.66
