"""Re-optimization through the real app: it moves allocations, and never loses one.

``POST /v1/allocations/run`` with ``reoptimize`` takes back allocations not yet released and
solves them again with the waiting orders. An allocation it takes back must come back (moved,
or restored), its report must count money as money, and the lookahead prices the run stores
must be money too. Each test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

import lifecycle.batch as batch
from api import create_app
from dom.bootstrap import Container
from lifecycle.batch import run_allocations
from tests.api.conftest import ADMIN, CHANNEL, OPS, PLANNER, order_body
from tests.api.test_allocation import NEAR, available, laptop_order, network

NOTHING_MOVED = {"fulfillments_reconsidered": 0, "cost_before": 0.0, "cost_after": 0.0,
                 "saving": 0.0, "units_unfilled": 0, "units_filled": 0, "orders_restored": 0}


@pytest.fixture
def app(container: Container) -> Iterator[TestClient]:
    """An empty app on each backend."""
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client


def reoptimize(client: TestClient) -> dict[str, Any]:
    response = client.post("/v1/allocations/run", json={"reoptimize": True}, headers=PLANNER)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def order(client: TestClient, placed: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/v1/orders/{placed['order_id']}", headers=OPS).json()
    return body


def shipping(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["location_id"], f["status"]) for f in body["fulfillments"] if f["type"] == "ship"]


def place(client: TestClient, channel_order_id: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/v1/orders", json=laptop_order(channel_order_id, **extra),
                           headers=CHANNEL)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def place_laptop_and_cable(client: TestClient, channel_order_id: str,
                           **extra: Any) -> dict[str, Any]:
    """An order for a laptop (line 1) and a cable (line 2), the cable product created first."""
    client.put("/v1/products/CABLE", json={"name": "Cable"}, headers=ADMIN)
    response = client.post("/v1/orders", headers=CHANNEL, json=order_body(
        channel_order_id, lines=[
            {"line_id": "1", "sku": "LAPTOP-15", "qty": 1, "unit_price": 999.0},
            {"line_id": "2", "sku": "CABLE", "qty": 1, "unit_price": 9.0}], **extra))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_order_whose_payment_failed_keeps_its_allocation(app: TestClient) -> None:
    network(app, {"WH-A": 5, "WH-B": 0})
    app.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    placed = place(app, "X")
    failed = app.post(f"/v1/orders/{placed['order_id']}/payment", json={"status": "failed"},
                      headers=CHANNEL)
    assert failed.json()["status"] == "on_hold"
    run = reoptimize(app)
    # the run cannot source an order on hold, so it must not take its allocation back
    after = order(app, placed)
    assert (after["status"], shipping(after)) == ("on_hold", [("WH-A", "allocated")])
    assert available(app) == {"WH-A": 4, "WH-B": 0}
    assert run["orders"] == 0 and run["reoptimized"] == NOTHING_MOVED


def test_a_run_with_nothing_to_move_still_reports_it(app: TestClient) -> None:
    network(app, {"WH-A": 5, "WH-B": 0})
    run = reoptimize(app)
    assert run["orders"] == 0 and run["reoptimized"] == NOTHING_MOVED
    plain = app.post("/v1/allocations/run", json={}, headers=PLANNER).json()
    assert plain["reoptimized"] is None


def test_under_reject_an_order_the_solve_leaves_short_keeps_its_allocation(
        app: TestClient) -> None:
    network(app, {"WH-A": 1, "WH-B": 0})
    app.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    first = place(app, "X")
    urgent = place(app, "Y", priority=5)  # would take X's only unit if the run let it
    assert urgent["status"] == "backordered"
    app.put("/v1/policy", json={"release_delay_minutes": 60, "backorder": "reject"},
            headers=PLANNER)
    run = reoptimize(app)
    assert run["reoptimized"]["orders_restored"] == 1
    assert run["reoptimized"]["saving"] == 0.0
    kept = order(app, first)
    assert (kept["status"], shipping(kept)) == ("allocated", [("WH-A", "allocated")])
    assert "fulfillment.cancelled" not in [e["type"] for e in kept["timeline"]]
    assert order(app, urgent)["status"] == "backordered"
    positions = app.get("/v1/inventory?sku=LAPTOP-15", headers=ADMIN).json()["positions"]
    (stock,) = [p for p in positions if p["location_id"] == "WH-A"]
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (1, 1, 0)


def test_units_left_unfilled_are_reported_apart_from_the_saving(app: TestClient) -> None:
    network(app, {"WH-A": 1, "WH-B": 0})
    app.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    first = place(app, "X")
    urgent = place(app, "Y", priority=5)
    run = reoptimize(app)
    assert run["reoptimized"] == {"fulfillments_reconsidered": 1, "cost_before": 15.0,
                                  "cost_after": 0.0, "saving": 0.0, "units_unfilled": 1,
                                  "units_filled": 0, "orders_restored": 0}
    moved = order(app, first)
    assert (moved["status"], shipping(moved)) == ("backordered", [("WH-A", "cancelled")])
    assert {"fulfillment.cancelled", "order.backordered"} <= \
        {e["type"] for e in moved["timeline"]}
    assert shipping(order(app, urgent)) == [("WH-A", "allocated")]
    assert available(app) == {"WH-A": 0, "WH-B": 0}


@pytest.mark.parametrize("started", [True, False])
def test_an_order_of_equal_priority_does_not_take_an_allocated_unit(
        app: TestClient, monkeypatch: pytest.MonkeyPatch, started: bool) -> None:
    """The model hands X's unit only to a higher priority (``LineSpec.held``) and, started
    from what X holds, keeps it there on the tie; an answer that swaps the equal orders anyway
    (here: a solve told neither, as a heuristic's may ignore them) is caught and X restored."""
    network(app, {"WH-A": 1, "WH-B": 0})
    app.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    first = place(app, "X")
    later = place(app, "Y")  # as urgent as X: giving it X's unit saves nothing
    if not started:
        real_solve = batch.solve
        monkeypatch.setattr(batch, "solve", lambda problem, params, start=None, **kw:
                            real_solve(problem, params, **kw))
        monkeypatch.setattr("optimizer.objective.HELD_RANK", 0.0)
    run = reoptimize(app)
    assert run["reoptimized"] == {"fulfillments_reconsidered": 1, "cost_before": 15.0,
                                  "cost_after": 15.0, "saving": 0.0, "units_unfilled": 0,
                                  "units_filled": 0, "orders_restored": 0 if started else 1}
    assert run["solver"]["solves"] == (1 if started else 2)
    kept = order(app, first)
    assert (kept["status"], shipping(kept)) == ("allocated", [("WH-A", "allocated")])
    assert order(app, later)["status"] == "backordered"


def test_the_saving_counts_new_fulfillments_released_at_once(app: TestClient) -> None:
    network(app, {"WH-A": 5, "WH-B": 0})
    app.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    placed = place(app, "X")
    app.put("/v1/inventory/WH-B/LAPTOP-15", json={"on_hand": 5}, headers=ADMIN)
    app.put("/v1/policy", json={"release_delay_minutes": 0}, headers=PLANNER)
    run = reoptimize(app)
    assert run["reoptimized"] == {"fulfillments_reconsidered": 1, "cost_before": 15.0,
                                  "cost_after": 3.0, "saving": 12.0, "units_unfilled": 0,
                                  "units_filled": 0, "orders_restored": 0}
    assert shipping(order(app, placed)) == [("WH-A", "cancelled"), ("WH-B", "released")]
    assert available(app) == {"WH-A": 5, "WH-B": 4}


def test_an_allocation_that_stays_best_is_left_as_it_is(app: TestClient) -> None:
    network(app, {"WH-A": 0, "WH-B": 5})
    app.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    placed = place(app, "X")
    (before,) = [f["fulfillment_id"] for f in placed["fulfillments"] if f["type"] == "ship"]
    run = reoptimize(app)
    assert run["orders"] == 0
    # reconsidered and kept: its cost is on both sides, and nothing is saved
    assert run["reoptimized"] == {**NOTHING_MOVED, "fulfillments_reconsidered": 1,
                                  "cost_before": 3.0, "cost_after": 3.0}
    after = order(app, placed)
    assert [f["fulfillment_id"] for f in after["fulfillments"] if f["type"] == "ship"] == [before]
    assert available(app) == {"WH-A": 0, "WH-B": 4}


def test_a_closed_location_loses_its_unreleased_allocations(app: TestClient) -> None:
    network(app, {"WH-A": 5, "WH-B": 5})
    app.put("/v1/policy", json={"release_delay_minutes": 60, "objective": "time"},
            headers=PLANNER)
    placed = place(app, "X")
    assert shipping(placed) == [("WH-A", "allocated")]  # the near one, under time
    closed = app.put("/v1/locations/WH-A", json={**NEAR, "active": False}, headers=ADMIN)
    assert closed.status_code == 200, closed.text
    # Closing moves them at once (lifecycle.stock_exceptions); a later run has nothing left
    # at the closed location to reconsider.
    assert closed.json()["reallocation"]["orders_resourced"] == [placed["order_id"]]
    moved = order(app, placed)
    assert (moved["status"], shipping(moved)) == \
        ("allocated", [("WH-A", "cancelled"), ("WH-B", "allocated")])
    assert available(app) == {"WH-A": 5, "WH-B": 4}
    run = reoptimize(app)
    assert run["reoptimized"]["saving"] == 0.0  # WH-B's allocation is already the answer
    assert shipping(order(app, placed)) == [("WH-A", "cancelled"), ("WH-B", "allocated")]


def test_lookahead_prices_under_the_time_objective_are_money(app: TestClient) -> None:
    network(app, {"WH-A": 0, "WH-B": 0})
    app.put("/v1/policy", json={"objective": "time"}, headers=PLANNER)
    for n in range(2):
        place(app, f"P-{n}")
    # One near unit for two orders: scarce in days, but the far warehouse is cheaper anyway,
    # so in money the near unit is worth nothing to the batch.
    app.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 1}, headers=ADMIN)
    app.put("/v1/inventory/WH-B/LAPTOP-15", json={"on_hand": 10}, headers=ADMIN)
    assert app.post("/v1/allocations/run", json={}, headers=PLANNER).json()["allocated"] == 2
    app.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 2}, headers=ADMIN)
    app.put("/v1/policy", json={"objective": "time", "lookahead": True}, headers=PLANNER)
    quote = app.post("/v1/allocate", json={"order": laptop_order("Q"), "commit": False},
                     headers=CHANNEL).json()
    assert [f["location_id"] for f in quote["fulfillments"]] == ["WH-A"]
    assert quote["totals"]["opportunity_cost"] == 0.0
    assert quote["totals"]["cost_with_opportunity"] == quote["totals"]["cost"] == 15.0


def price_the_one_cheap_unit(app: TestClient) -> None:
    """Two orders wait; a joint run gives WH-B's one cheap unit to one of them and WH-A's to the
    other, pricing WH-B's unit at what it saves the batch (15 - 3 = 12)."""
    network(app, {"WH-A": 0, "WH-B": 0})
    for n in range(2):
        place(app, f"P-{n}")
    app.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 10}, headers=ADMIN)
    app.put("/v1/inventory/WH-B/LAPTOP-15", json={"on_hand": 1}, headers=ADMIN)
    assert app.post("/v1/allocations/run", json={}, headers=PLANNER).json()["allocated"] == 2


def stored_prices(container: Container) -> dict[tuple[str, str], float]:
    uow = container.uow()
    with uow:
        return uow.policy.opportunity_costs()


def test_prices_are_kept_when_the_lp_does_not_finish(app: TestClient, container: Container,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    price_the_one_cheap_unit(app)
    # A later run whose LP does not finish in time (here: never) must not erase that price.
    app.put("/v1/products/MOUSE", json={"name": "Mouse"}, headers=ADMIN)
    for n in range(2):  # two orders waiting for the one mouse about to arrive
        mouse = order_body(f"M-{n}", lines=[{"line_id": "1", "sku": "MOUSE", "qty": 1,
                                             "unit_price": 9.0}])
        assert app.post("/v1/orders", json=mouse, headers=CHANNEL).json()["status"] == \
            "backordered"
    app.put("/v1/inventory/WH-A/MOUSE", json={"on_hand": 1}, headers=ADMIN)
    monkeypatch.setattr("optimizer.lookahead.solve_lp", lambda *args, **kwargs: None)
    run = app.post("/v1/allocations/run", json={}, headers=PLANNER).json()
    assert (run["allocated"], run["backordered"]) == (1, 1)
    monkeypatch.undo()
    assert stored_prices(container) == {("WH-B", "LAPTOP-15"): pytest.approx(12.0, abs=0.01)}


def test_stock_coming_in_drops_the_price_lookahead_put_on_it(app: TestClient,
                                                              container: Container) -> None:
    """A joint run prices WH-B's one cheap unit at 12 (two orders wanted it); once more units
    arrive there with nobody waiting, the price would steer the next order to the dearer
    WH-A for a scarcity that is gone."""
    price_the_one_cheap_unit(app)
    assert ("WH-B", "LAPTOP-15") in stored_prices(container)
    received = app.post("/v1/inventory/adjustments", headers=ADMIN, json={
        "location_id": "WH-B", "sku": "LAPTOP-15", "delta": 20, "reason": "receipt"})
    assert received.status_code == 201, received.text
    assert stored_prices(container) == {}
    app.put("/v1/policy", json={"lookahead": True}, headers=PLANNER)
    quote = app.post("/v1/allocate", json={"order": laptop_order("Q"), "commit": False},
                     headers=CHANNEL).json()
    assert [f["location_id"] for f in quote["fulfillments"]] == ["WH-B"]
    assert quote["totals"]["opportunity_cost"] == 0.0


def test_a_safety_stock_raised_after_the_allocation_limits_what_freeing_it_offers(
        app: TestClient) -> None:
    network(app, {"WH-A": 5, "WH-B": 0})
    app.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    placed = place(app, "X", qty=5)
    assert shipping(placed) == [("WH-A", "allocated")]
    raised = app.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 5, "safety_stock": 3},
                     headers=ADMIN)
    assert raised.status_code == 200, raised.text
    # freeing X's 5 units leaves 5 - 3 = 2 at WH-A, not 0 + 5: X cannot be re-sourced whole
    # there, so it keeps what it holds (before, the run planned 5 and the ledger refused: 409)
    run = reoptimize(app)
    assert run["reoptimized"]["orders_restored"] == 1
    assert shipping(order(app, placed)) == [("WH-A", "allocated")]
    app.put("/v1/inventory/WH-B/LAPTOP-15", json={"on_hand": 5}, headers=ADMIN)
    run = reoptimize(app)
    assert run["reoptimized"]["saving"] == 12.0
    assert shipping(order(app, placed)) == [("WH-A", "cancelled"), ("WH-B", "allocated")]
    assert available(app) == {"WH-A": 2, "WH-B": 0}


def test_a_moved_allocation_keeps_the_release_time_of_the_one_it_replaces(
        app: TestClient, container: Container) -> None:
    network(app, {"WH-A": 5, "WH-B": 0})
    app.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    placed = place(app, "X")
    with container.uow(write=False) as uow:
        (held,) = [f for f in uow.fulfillments.for_order(placed["order_id"])
                   if f.location_id == "WH-A"]
    assert held.release_at is not None
    app.put("/v1/inventory/WH-B/LAPTOP-15", json={"on_hand": 5}, headers=ADMIN)
    # 50 minutes on, the run moves it to the cheaper WH-B: due in 10 minutes, as the one it
    # replaces was, not in another hour (moved run after run, it would never be released)
    later = held.release_at - timedelta(minutes=10)
    run = run_allocations(container.uow_factory, reoptimize=True, now=later)
    assert run.reoptimized is not None and run.reoptimized["saving"] == 12.0
    with container.uow(write=False) as uow:
        (moved,) = [f for f in uow.fulfillments.for_order(placed["order_id"])
                    if f.location_id == "WH-B"]
    assert (moved.status.value, moved.release_at) == ("allocated", held.release_at)
    # promised from the day it reaches its location
    assert moved.promised_date == held.release_at.date() + timedelta(days=moved.delivery_days or 0)
    # a second move after its release time was due releases the replacement at once
    app.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 5}, headers=ADMIN)
    app.put("/v1/locations/WH-A", json={**NEAR, "shipment_cost": 1.0}, headers=ADMIN)
    overdue = held.release_at + timedelta(minutes=5)
    run = run_allocations(container.uow_factory, reoptimize=True, now=overdue)
    assert run.reoptimized is not None and run.reoptimized["fulfillments_reconsidered"] == 1
    with container.uow(write=False) as uow:
        live = [(f.location_id, f.status.value, f.release_at)
                for f in uow.fulfillments.for_order(placed["order_id"])
                if f.status.value != "cancelled"]
    assert live == [("WH-A", "released", overdue)]


def test_an_allocation_moved_off_a_closed_location_keeps_its_release_time(
        app: TestClient, container: Container) -> None:
    network(app, {"WH-A": 5, "WH-B": 5})
    app.put("/v1/policy", json={"release_delay_minutes": 60, "objective": "time"},
            headers=PLANNER)
    placed = place(app, "X")
    closed = app.put("/v1/locations/WH-A", json={**NEAR, "active": False}, headers=ADMIN)
    assert closed.json()["reallocation"]["orders_resourced"] == [placed["order_id"]]
    with container.uow(write=False) as uow:
        by_location = {f.location_id: f for f in uow.fulfillments.for_order(placed["order_id"])}
    before, after = by_location["WH-A"], by_location["WH-B"]
    assert (before.status.value, after.status.value) == ("cancelled", "allocated")
    assert before.release_at is not None and after.release_at == before.release_at


def test_a_move_that_also_fills_a_backordered_unit_does_not_count_it_against_the_saving(
        app: TestClient) -> None:
    network(app, {"WH-A": 1, "WH-B": 0})
    app.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    placed = place(app, "X", qty=2)  # one unit at WH-A ($15), one waits
    assert order(app, placed)["attributes"]["backordered_units"] == {"1": 1}
    app.put("/v1/inventory/WH-B/LAPTOP-15", json={"on_hand": 5}, headers=ADMIN)
    run = reoptimize(app)
    moved = order(app, placed)
    assert shipping(moved) == [("WH-A", "cancelled"), ("WH-B", "allocated")]
    (parcel,) = [f for f in moved["fulfillments"] if f["status"] == "allocated"]
    # the new parcel carries both units: half of it pays for the unit that waited, which is
    # no loss; the other half replaces the $15 parcel
    assert run["reoptimized"] == {
        "fulfillments_reconsidered": 1, "cost_before": 15.0, "cost_after": parcel["cost"],
        "saving": round(15.0 - parcel["cost"] / 2, 2), "units_unfilled": 0, "units_filled": 1,
        "orders_restored": 0}


@pytest.mark.parametrize("model_knows", [True, False])
def test_a_higher_priority_order_elsewhere_does_not_let_an_equal_one_take_a_unit(
        app: TestClient, monkeypatch: pytest.MonkeyPatch, model_knows: bool) -> None:
    """Y (priority 0, nearer: the cheaper use of WH-A's unit) may not take X's unit (priority 0)
    because Z (priority 5) picks the SKU up at a store neither could use: it competes for
    nothing of X's. The run used to move the unit and tell X it was on backorder, and the next
    run could move it back. The model no longer offers the move (X's line held whole ranks
    above Y's); told nothing of it, the run restores X."""
    if not model_knows:
        monkeypatch.setattr("optimizer.objective.HELD_RANK", 0.0)
    network(app, {"WH-A": 1, "WH-B": 0})
    app.put("/v1/locations/WH-A", json={**NEAR, "cost_per_km": 0.01}, headers=ADMIN)
    store = {"name": "Pickup only", "type": "store", "lat": 34.05, "lon": -118.2,
             "capabilities": ["pickup"]}
    assert app.put("/v1/locations/ST-P", json=store, headers=ADMIN).status_code in (200, 201)
    app.put("/v1/inventory/ST-P/LAPTOP-15", json={"on_hand": 1}, headers=ADMIN)
    app.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    first = place(app, "X", ship_to={"lat": 42.36, "lon": -71.06})  # Boston
    later = place(app, "Y")  # New York, next to WH-A
    urgent = place(app, "Z", priority=5, delivery={"method": "pickup", "location_id": "ST-P"})
    assert (later["status"], urgent["status"]) == ("backordered", "allocated")
    for _ in range(2):
        run = reoptimize(app)
        assert run["reoptimized"]["orders_restored"] == (0 if model_knows else 1)
        assert run["reoptimized"]["units_unfilled"] == 0
        kept = order(app, first)
        assert (kept["status"], shipping(kept)) == ("allocated", [("WH-A", "allocated")])
        assert order(app, later)["status"] == "backordered"


def test_under_reject_an_order_already_waiting_may_still_move_what_it_has(
        app: TestClient) -> None:
    """X has its laptop at the far WH-B and waits for a cable nobody stocks. Under reject the
    run kept X where it was because the answer 'leaves it short': it was short before, by the
    same cable, so moving the laptop to the nearer WH-A costs X nothing."""
    network(app, {"WH-A": 0, "WH-B": 1})
    app.put("/v1/policy", json={"release_delay_minutes": 60, "objective": "time"},
            headers=PLANNER)
    first = place_laptop_and_cable(app, "X")
    assert shipping(first) == [("WH-B", "allocated")]
    app.put("/v1/policy", json={"release_delay_minutes": 60, "objective": "time",
                                "backorder": "reject"}, headers=PLANNER)
    app.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 1}, headers=ADMIN)
    run = reoptimize(app)
    assert run["reoptimized"]["orders_restored"] == 0
    assert run["reoptimized"]["units_unfilled"] == 0
    moved = order(app, first)
    assert [f for f in shipping(moved) if f[1] == "allocated"] == [("WH-A", "allocated")]
    # still waiting for the cable, as before the run: no shorter, no fuller
    assert moved["status"] == first["status"] == "partially_allocated"


def test_a_unit_lost_on_one_line_and_one_filled_on_another_are_both_counted(
        app: TestClient) -> None:
    """X holds WH-A's one laptop and waits for a cable; Y (priority 5) waits for the laptop.
    When a cable comes in at WH-B, the run gives Y the laptop and X the cable. Netted over X,
    one unit short before and one after looked like no change, and the report called the
    laptop's $15 parcel replaced by the cable's $3 one a $12 saving."""
    network(app, {"WH-A": 1, "WH-B": 0})
    app.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    first = place_laptop_and_cable(app, "X")
    assert shipping(first) == [("WH-A", "allocated")]
    urgent = place(app, "Y", priority=5)
    assert urgent["status"] == "backordered"
    app.put("/v1/inventory/WH-B/CABLE", json={"on_hand": 1}, headers=ADMIN)
    run = reoptimize(app)
    moved = order(app, first)
    assert shipping(moved) == [("WH-A", "cancelled"), ("WH-B", "allocated")]
    (parcel,) = [f for f in moved["fulfillments"] if f["status"] == "allocated"]
    assert [line["sku"] for line in parcel["lines"]] == ["CABLE"]
    assert shipping(order(app, urgent)) == [("WH-A", "allocated")]
    # the laptop's parcel paid for a unit now short, the cable's for one that waited: neither
    # is money saved or spent on the same units
    assert run["reoptimized"] == {
        "fulfillments_reconsidered": 1, "cost_before": 15.0, "cost_after": parcel["cost"],
        "saving": 0.0, "units_unfilled": 1, "units_filled": 1, "orders_restored": 0}


def test_a_run_that_finds_nothing_for_a_waiting_order_leaves_it_unwritten(
        app: TestClient, container: Container) -> None:
    """Every joint run answers every waiting order; one that is still short as it was told
    must not be rewritten (its version bumped), or two runs at once would collide on orders
    neither changed (on PostgreSQL, one of them retried, or answered 409)."""
    network(app, {"WH-A": 0, "WH-B": 0})
    placed = place(app, "X")
    assert placed["status"] == "backordered"

    def stored() -> tuple[int, Any, int]:
        with container.uow(write=False) as uow:
            found = uow.orders.get(placed["order_id"])
            assert found is not None
            return found.version, found.updated_at, len(order(app, placed)["timeline"])

    before = stored()
    for _ in range(2):
        run = app.post("/v1/allocations/run", json={}, headers=PLANNER).json()
        assert (run["orders"], run["backordered"]) == (1, 1)
        assert stored() == before
    app.put("/v1/inventory/WH-B/LAPTOP-15", json={"on_hand": 1}, headers=ADMIN)
    run = app.post("/v1/allocations/run", json={}, headers=PLANNER).json()
    assert run["allocated"] == 1
    version, _, events = stored()
    assert version > before[0] and events > before[2]
    assert order(app, placed)["status"] == "allocated"


@pytest.mark.parametrize("model_knows", [True, False])
def test_an_order_gaining_a_unit_on_one_line_keeps_the_unit_it_had_on_another(
        app: TestClient, monkeypatch: pytest.MonkeyPatch, model_knows: bool) -> None:
    """X holds WH-A's one laptop and waits for a cable; Y, as urgent as X, waits for the
    laptop and lives nearer WH-A. A cable comes in: X gets it and keeps its laptop. Netted
    over X (one unit short before, one after) the run saw no loss and gave Y the laptop.
    The model keeps X's laptop line held whole; told nothing of it, the run restores X."""
    if not model_knows:
        monkeypatch.setattr("optimizer.objective.HELD_RANK", 0.0)
    network(app, {"WH-A": 1, "WH-B": 0})
    app.put("/v1/locations/WH-A", json={**NEAR, "cost_per_km": 0.01}, headers=ADMIN)
    app.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    first = place_laptop_and_cable(app, "X", ship_to={"lat": 42.36, "lon": -71.06})  # Boston
    later = place(app, "Y")
    assert later["status"] == "backordered"
    app.put("/v1/inventory/WH-B/CABLE", json={"on_hand": 1}, headers=ADMIN)
    run = reoptimize(app)
    assert run["reoptimized"]["orders_restored"] == (0 if model_knows else 1)
    assert run["reoptimized"]["units_unfilled"] == 0
    kept = order(app, first)
    assert kept["status"] == "allocated"
    assert sorted(shipping(kept)) == [("WH-A", "allocated"), ("WH-B", "allocated")]
    assert order(app, later)["status"] == "backordered"


def test_a_higher_priority_order_keeping_its_own_unit_there_lets_no_one_take_another(
        app: TestClient) -> None:
    """Z (priority 5) and X (priority 0) each hold one of WH-A's two laptops; Y (priority 0)
    waits. Z ships its own unit from WH-A, taking nothing of X's: X keeps its laptop, run
    after run (it used to move to Y and back on every run)."""
    network(app, {"WH-A": 0, "WH-B": 0})
    app.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    waiting = place(app, "Y")
    assert waiting["status"] == "backordered"
    app.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 2}, headers=ADMIN)
    urgent = place(app, "Z", priority=5, ship_to={"lat": 34.0, "lon": -118.0})
    first = place(app, "X")
    assert (urgent["status"], first["status"]) == ("allocated", "allocated")
    for _ in range(3):
        run = reoptimize(app)
        assert run["reoptimized"]["units_unfilled"] == 0
        assert shipping(order(app, first)) == [("WH-A", "allocated")]
        assert order(app, waiting)["status"] == "backordered"
        assert shipping(order(app, urgent)) == [("WH-A", "allocated")]


def test_a_tie_never_moves_an_allocation(app: TestClient) -> None:
    """Stock arriving at a location that only ties (same cost, a higher location priority,
    farther: a later promise) moves nothing: re-optimization moves for a saving only."""
    network(app, {"WH-A": 1, "WH-B": 0})
    app.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    placed = place(app, "X")
    before = order(app, placed)
    # as dear as WH-A (15.00 a parcel) but across the country, and preferred on a tie
    twin = dict(NEAR, name="Warehouse A2 (far, as dear)", lat=34.05, lon=-118.24, priority=9)
    assert app.put("/v1/locations/WH-A2", json=twin, headers=ADMIN).status_code in (200, 201)
    app.put("/v1/inventory/WH-A2/LAPTOP-15", json={"on_hand": 5}, headers=ADMIN)
    quote = app.post("/v1/allocate", json={"order": laptop_order("Q"), "commit": False},
                     headers=CHANNEL).json()
    assert [f["location_id"] for f in quote["fulfillments"]] == ["WH-A2"]  # a new order's pick
    for _ in range(2):
        run = reoptimize(app)
        assert run["reoptimized"] == dict(NOTHING_MOVED, fulfillments_reconsidered=1,
                                          cost_before=15.0, cost_after=15.0)
        after = order(app, placed)
        assert shipping(after) == [("WH-A", "allocated")]
        assert after["fulfillments"] == before["fulfillments"]
        assert "fulfillment.cancelled" not in [e["type"] for e in after["timeline"]]


def test_two_tied_orders_do_not_swap_their_units(app: TestClient) -> None:
    """Two equal orders each holding a unit at one of two tied warehouses keep them, run after
    run: without a preference for what they hold the solver could hand each the other's."""
    network(app, {"WH-A": 1, "WH-B": 0})
    app.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    twin = dict(NEAR, name="Warehouse A2 (next door)", priority=9)
    assert app.put("/v1/locations/WH-A2", json=twin, headers=ADMIN).status_code in (200, 201)
    first = place(app, "X")
    app.put("/v1/inventory/WH-A2/LAPTOP-15", json={"on_hand": 1}, headers=ADMIN)
    app.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 1}, headers=ADMIN)  # 0 free
    second = place(app, "Y")
    held = {shipping(order(app, first))[0][0], shipping(order(app, second))[0][0]}
    assert held == {"WH-A", "WH-A2"}
    where = [shipping(order(app, first)), shipping(order(app, second))]
    for _ in range(3):
        assert reoptimize(app)["reoptimized"]["saving"] == 0.0
        assert [shipping(order(app, first)), shipping(order(app, second))] == where


def test_an_unproven_answer_does_not_move_an_allocation_to_a_dearer_place(
        app: TestClient) -> None:
    """Greedy (nearest stock, whatever the objective) would move the far, cheap allocation to
    the near, dear warehouse: a move that costs 12 more is put back, not reported as a saving
    of -12; under ``time`` the same move pays (a day sooner) and stands."""
    network(app, {"WH-A": 0, "WH-B": 1})
    app.put("/v1/policy", json={"release_delay_minutes": 60, "solver": "greedy"},
            headers=PLANNER)
    placed = place(app, "X")
    assert shipping(order(app, placed)) == [("WH-B", "allocated")]
    app.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 5}, headers=ADMIN)
    run = reoptimize(app)
    assert run["reoptimized"] == dict(NOTHING_MOVED, fulfillments_reconsidered=1,
                                      cost_before=3.0, cost_after=3.0)
    assert shipping(order(app, placed)) == [("WH-B", "allocated")]
    assert available(app) == {"WH-A": 5, "WH-B": 0}
    app.put("/v1/policy", json={"release_delay_minutes": 60, "solver": "greedy",
                                "objective": "time"}, headers=PLANNER)
    run = reoptimize(app)
    assert run["reoptimized"]["saving"] == -12.0
    assert shipping(order(app, placed)) == [("WH-B", "cancelled"), ("WH-A", "allocated")]


class _Clock:
    """``time`` as lifecycle.batch reads it: each joint solve takes 1.5 s of it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def perf_counter(self) -> float:
        return self.now


def test_a_runs_solves_share_its_time_limit_and_start_from_the_last_answer(
        app: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Restoring an order means solving again; that solve gets what is left of the policy's
    limit (not the whole limit again) and starts from the allocation the run may move, then
    from the answer before it."""
    network(app, {"WH-A": 1, "WH-B": 0})
    app.put("/v1/policy", json={"release_delay_minutes": 60, "time_limit_ms": 2000},
            headers=PLANNER)
    first = place(app, "X")
    urgent = place(app, "Y", priority=5)
    app.put("/v1/policy", json={"release_delay_minutes": 60, "backorder": "reject",
                                "time_limit_ms": 2000}, headers=PLANNER)
    clock, calls = _Clock(), []
    real_solve = batch.solve

    def timed_solve(problem: Any, params: Any, **kw: Any) -> Any:
        calls.append((params.time_limit_ms, kw.get("start")))
        result = real_solve(problem, params, **kw)
        clock.now += 1.5
        return result

    monkeypatch.setattr(batch, "time", clock)
    monkeypatch.setattr(batch, "solve", timed_solve)
    run = reoptimize(app)
    assert run["reoptimized"]["orders_restored"] == 1
    assert [limit for limit, _ in calls] == [2000, 500]
    assert calls[0][1] == {(first["order_id"], "1", "WH-A"): 1}  # what X held
    assert calls[1][1] == {(urgent["order_id"], "1", "WH-A"): 1}  # the first answer
    assert (run["solver"]["solves"], run["solver"]["solves_ms"]) == (2, 3000.0)
    assert shipping(order(app, first)) == [("WH-A", "allocated")]


def test_an_order_with_an_extra_parcel_for_its_backorder_keeps_it_when_re_optimized(
        app: TestClient) -> None:
    """Under max_shipments_per_order 1, X holds WH-A's laptop and waits for a cable; the cable
    arriving at WH-B is sourced as one more parcel (a backorder's rest always may be). Solving
    X again under a limit of one parcel could keep neither plan, so every re-optimization
    'lost' one of X's units and restored it, in a second solve; X may keep the parcels it has."""
    network(app, {"WH-A": 1, "WH-B": 0})
    app.put("/v1/policy", json={"release_delay_minutes": 60, "max_shipments_per_order": 1},
            headers=PLANNER)
    first = place_laptop_and_cable(app, "X")
    assert shipping(first) == [("WH-A", "allocated")]
    app.put("/v1/inventory/WH-B/CABLE", json={"on_hand": 1}, headers=ADMIN)
    filled = app.post("/v1/allocations/run", json={}, headers=PLANNER).json()
    assert filled["allocated"] == 1
    held = shipping(order(app, first))
    assert held == [("WH-A", "allocated"), ("WH-B", "allocated")]
    for _ in range(2):
        run = reoptimize(app)
        assert run["reoptimized"] == {**NOTHING_MOVED, "fulfillments_reconsidered": 2,
                                      "cost_before": 18.0, "cost_after": 18.0}
        assert run["solver"]["solves"] == 1
        assert shipping(order(app, first)) == held


def test_after_a_solve_that_keeps_its_start_restores_are_judged_without_solving(
        app: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A safety stock raised under X's allocation leaves 2 of its 5 laptops free again: the
    first solve can do no better than X's allocation cut to 2, X would lose 3 and is restored.
    Restoring orders can go on in a chain, one link per round; once a solve found nothing
    better than its start, the next rounds take that start made feasible without a backend
    (keep_start) and the one that restores nobody is explained as a solve would be."""
    network(app, {"WH-A": 5, "WH-B": 0})
    app.put("/v1/policy", json={"release_delay_minutes": 60}, headers=PLANNER)
    placed = place(app, "X", qty=5)
    waiting = place(app, "Y", qty=1)
    assert waiting["status"] == "backordered"
    app.put("/v1/inventory/WH-A/LAPTOP-15", json={"on_hand": 5, "safety_stock": 3},
            headers=ADMIN)
    calls: list[bool] = []
    real_solve = batch.solve

    def spied(problem: Any, params: Any, **kw: Any) -> Any:
        result = real_solve(problem, params, **kw)
        calls.append(kw.get("keep_start", False))
        return result

    monkeypatch.setattr(batch, "solve", spied)
    run = reoptimize(app)
    assert calls == [False, True]
    assert run["reoptimized"]["orders_restored"] == 1
    assert (run["solver"]["name"], run["solver"]["solves"]) == ("start", 2)
    assert shipping(order(app, placed)) == [("WH-A", "allocated")]
    assert order(app, waiting)["status"] == "backordered"
