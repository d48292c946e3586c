"""Scenarios through the real app: what-if runs on the live network that never touch it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN, CHANNEL, OPS, PLANNER, order_body

# Both warehouses charge per km, so the near one is the cheap one too.
NEAR = {"name": "Warehouse Newark", "type": "warehouse", "lat": 40.73, "lon": -74.17,
        "capabilities": ["ship"], "shipment_cost": 5.0, "cost_per_km": 0.01}
FAR = {"name": "Warehouse Dallas", "type": "warehouse", "lat": 32.78, "lon": -96.80,
       "capabilities": ["ship"], "shipment_cost": 5.0, "cost_per_km": 0.01}


def laptop(channel_order_id: str, qty: int = 1) -> dict[str, Any]:
    return order_body(channel_order_id, lines=[
        {"line_id": "1", "sku": "LAPTOP-15", "qty": qty, "unit_price": 999.0},
        {"line_id": "2", "sku": "WARRANTY-3Y", "qty": 1, "unit_price": 99.0,
         "covers_line_id": "1"}])


@pytest.fixture
def live(client: TestClient) -> TestClient:
    """Two warehouses, 5 + 10 laptops, three live orders sourced from the near one."""
    return seed_live(client)


def seed_live(client: TestClient) -> TestClient:
    """What ``live`` sets up, for other scenario test modules."""
    for location_id, body in (("WH-A", NEAR), ("WH-B", FAR)):
        assert client.put(f"/v1/locations/{location_id}", json=body,
                          headers=ADMIN).status_code in (200, 201)
    client.put("/v1/products/LAPTOP-15", json={"name": "Laptop 15"}, headers=ADMIN)
    client.put("/v1/products/WARRANTY-3Y", json={"name": "Warranty", "kind": "service",
                                                 "term_months": 36}, headers=ADMIN)
    for location_id, on_hand in (("WH-A", 5), ("WH-B", 10)):
        client.put(f"/v1/inventory/{location_id}/LAPTOP-15", json={"on_hand": on_hand},
                   headers=ADMIN)
    for n in range(3):
        created = client.post("/v1/orders", json=laptop(f"W-{n}"), headers=CHANNEL)
        assert created.status_code == 201, created.text
    return client


def snapshot(client: TestClient) -> dict[str, Any]:
    """Everything a scenario must leave alone: stock, reservations, locations, orders."""
    orders = client.get("/v1/orders", headers=OPS).json()["items"]
    return {
        "stock": client.get("/v1/inventory?sku=LAPTOP-15", headers=ADMIN).json(),
        "locations": client.get("/v1/locations", headers=ADMIN).json(),
        "orders": [(o["order_id"], o["status"]) for o in orders],
        "fulfillments": [client.get(f"/v1/orders/{o['order_id']}", headers=OPS)
                         .json()["fulfillments"] for o in orders],
    }


def post(client: TestClient, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    answer = client.post("/v1/scenarios", json=body, headers=PLANNER)
    assert answer.status_code == status, answer.text
    return dict(answer.json())


def test_closing_the_nearest_location_costs_more_and_slows_delivery_and_writes_nothing(
        live: TestClient) -> None:
    before = snapshot(live)
    assert {p["location_id"]: p["reserved"] for p in before["stock"]["positions"]} == \
        {"WH-A": 3, "WH-B": 0}
    baseline = post(live, {"name": "as is", "base": "current"})
    closed = post(live, {"name": "close WH-A", "base": "current",
                         "changes": {"close_locations": ["WH-A"]}})
    assert baseline["status"] == closed["status"] == "done"
    b, c = baseline["kpis"], closed["kpis"]
    assert b["orders"] == c["orders"] == 3 and b["fill_rate"] == c["fill_rate"] == 1.0
    assert b["units_by_location"] == {"WH-A": 3} and c["units_by_location"] == {"WH-B": 3}
    assert c["total_cost"] > b["total_cost"]
    assert c["mean_delivery_days"] > b["mean_delivery_days"]
    assert c["utilization"]["WH-A"] == 0.0 and c["utilization"]["WH-B"] == pytest.approx(0.3)
    assert closed["solver"]["status"] == "optimal"
    assert snapshot(live) == before


def test_doubling_demand_lowers_the_fill_rate_when_stock_is_short(live: TestClient) -> None:
    # 10 laptops of the 12 in stock that the 3 live orders (left out) have not reserved
    orders = [laptop(f"S-{n}") for n in range(10)]
    once = post(live, {"name": "x1", "orders": orders})["kpis"]
    twice = post(live, {"name": "x2", "orders": orders,
                        "changes": {"demand_multiplier": 2}})["kpis"]
    assert (once["orders"], once["fill_rate"]) == (10, 1.0)
    assert (twice["orders"], twice["units_ordered"], twice["fill_rate"]) == (20, 20, 0.6)


def test_orders_given_in_place_of_the_live_ones_leave_the_live_reservations_alone(
        live: TestClient) -> None:
    """The 3 live orders hold 3 laptops at WH-A; a scenario of its own orders on the current
    base may use only the other 2 there (and WH-B's 10), not the reserved ones."""
    kpis = post(live, {"name": "mine", "orders": [laptop("BIG", qty=15)]})["kpis"]
    assert kpis["units_filled"] == 12
    assert kpis["units_by_location"] == {"WH-A": 2, "WH-B": 10}
    given = post(live, {"name": "mine, my stock", "orders": [laptop("BIG", qty=15)],
                        "inventory": [{"location_id": "WH-A", "sku": "LAPTOP-15",
                                       "on_hand": 15}]})["kpis"]
    assert given["units_by_location"] == {"WH-A": 15}  # stock given inline is taken as given


def test_compare_gives_both_kpis_and_the_differences_b_minus_a(live: TestClient) -> None:
    a = post(live, {"name": "A", "changes": {"objective": "cost"}})
    b = post(live, {"name": "B", "changes": {"close_locations": ["WH-A"]}})
    answer = live.get(f"/v1/scenarios/compare?ids={a['scenario_id']},{b['scenario_id']}",
                      headers=PLANNER)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [s["scenario_id"] for s in body["scenarios"]] == [a["scenario_id"], b["scenario_id"]]
    for key in ("total_cost", "mean_delivery_days", "fill_rate", "shipments"):
        assert body["differences"][key] == pytest.approx(b["kpis"][key] - a["kpis"][key])
    assert body["differences"]["utilization"]["WH-A"] == pytest.approx(-0.6)
    missing = live.get(f"/v1/scenarios/compare?ids={a['scenario_id']},scn_nope",
                       headers=PLANNER)
    assert missing.status_code == 404
    assert live.get("/v1/scenarios/compare?ids=one", headers=PLANNER).status_code == 422


def test_a_large_run_answers_202_and_is_polled_to_done(client: TestClient) -> None:
    body = {"name": "peak", "base": "empty",
            "locations": [{"id": "WH-A", **NEAR}, {"id": "WH-B", **FAR}],
            "inventory": [{"location_id": "WH-A", "sku": "LAPTOP-15", "on_hand": 3000}],
            "orders": [laptop(f"P-{n}") for n in range(21)],
            "changes": {"demand_multiplier": 100}}
    answer = client.post("/v1/scenarios", json=body, headers=PLANNER)
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "running"
    location = answer.headers["Location"]
    deadline = time.monotonic() + 60
    while (current := client.get(location, headers=PLANNER).json())["status"] == "running":
        assert time.monotonic() < deadline, "the scenario never finished"
        time.sleep(0.2)
    assert current["status"] == "done", current
    assert current["kpis"]["orders"] == 2100 and current["kpis"]["fill_rate"] == 1.0


def test_scenarios_are_listed_newest_first_with_a_cursor(live: TestClient) -> None:
    ids = [post(live, {"name": f"run {n}"})["scenario_id"] for n in range(3)]
    first = live.get("/v1/scenarios?limit=2", headers=ADMIN).json()
    assert [s["scenario_id"] for s in first["items"]] == ids[::-1][:2]
    rest = live.get(f"/v1/scenarios?limit=2&cursor={first['next_cursor']}",
                    headers=ADMIN).json()
    assert [s["scenario_id"] for s in rest["items"]] == ids[:1] and rest["next_cursor"] is None
    assert live.get(f"/v1/scenarios/{ids[0]}", headers=PLANNER).json()["name"] == "run 0"
    assert live.get("/v1/scenarios/scn_nope", headers=PLANNER).status_code == 404


@pytest.mark.parametrize(("body", "says"), [
    ({"name": "x", "changes": {"close_locations": ["WH-Z"]}}, "WH-Z"),
    ({"name": "x", "changes": {"demand_multiplier": -1}}, "demand_multiplier"),
    ({"name": "x", "changes": {"objective": "fastest"}}, "objective"),
    ({"name": "x", "files": {"orders": "/etc/passwd"}}, "inline"),
    ({"name": "x", "inventory": [{"location_id": "WH-Q", "sku": "LAPTOP-15", "on_hand": 1}]},
     "WH-Q"),
    ({"name": "x", "orders": [order_body("Z-1", lines=[
        {"line_id": "1", "sku": "NO-SUCH-SKU", "qty": 1}])]}, "NO-SUCH-SKU"),
])
def test_bad_input_is_422_with_a_reason_and_nothing_is_stored(
        live: TestClient, body: dict[str, Any], says: str) -> None:
    answer = live.post("/v1/scenarios", json=body, headers=PLANNER)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert says in answer.text
    assert live.get("/v1/scenarios", headers=PLANNER).json()["items"] == []


def test_only_planners_and_admins_run_scenarios(live: TestClient) -> None:
    assert live.post("/v1/scenarios", json={"name": "x"}, headers=CHANNEL).status_code == 403
    assert live.get("/v1/scenarios", headers=OPS).status_code == 403
    assert live.post("/v1/scenarios", json={"name": "x"}, headers=ADMIN).status_code == 201


def ship_first_order(client: TestClient) -> str:
    order = client.get("/v1/orders", headers=OPS).json()["items"][-1]
    detail = client.get(f"/v1/orders/{order['order_id']}", headers=OPS).json()
    (goods,) = [f for f in detail["fulfillments"] if f["type"] == "ship"]
    shipped = client.post(f"/v1/fulfillments/{goods['fulfillment_id']}/events",
                          json={"type": "shipped"}, headers=OPS)
    assert shipped.status_code == 200, shipped.text
    return str(order["order_id"])


def test_the_current_base_is_the_open_orders_only(live: TestClient) -> None:
    ship_first_order(live)
    kpis = post(live, {"name": "open only"})["kpis"]
    assert (kpis["orders"], kpis["units_by_location"]) == (2, {"WH-A": 2})
    assert kpis["utilization"]["WH-A"] == 0.5  # 2 of the 4 laptops left on hand


def test_replay_re_sources_what_live_sourcing_decided_and_compares(live: TestClient) -> None:
    ship_first_order(live)
    same = post(live, {"name": "replay as is", "base": "replay"})["kpis"]
    assert same["orders"] == 3
    assert same["replay"]["same_location_rate"] == 1.0
    assert same["replay"]["cost_difference"] == pytest.approx(0.0, abs=0.02)  # cents rounding
    assert same["replay"]["decided_mean_delivery_days"] == \
        same["replay"]["replay_mean_delivery_days"]
    moved = post(live, {"name": "replay without WH-A", "base": "replay",
                        "changes": {"close_locations": ["WH-A"]}})["kpis"]["replay"]
    assert moved["same_location_rate"] == 0.0 and moved["cost_difference"] > 0
    assert moved["replay_mean_delivery_days"] > moved["decided_mean_delivery_days"]


def test_a_what_if_on_live_orders_keeps_their_delivery_deadlines(live: TestClient) -> None:
    """Closing the near warehouse cannot move orders due in two days to one three days away."""
    from datetime import UTC, datetime, timedelta

    due = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    for n in range(2):
        body = laptop(f"DUE-{n}")
        body["delivery"] = {"method": "ship", "deliver_by": due}
        created = live.post("/v1/orders", json=body, headers=CHANNEL)
        assert created.status_code == 201, created.text
    closed = post(live, {"name": "close WH-A", "base": "current",
                         "changes": {"close_locations": ["WH-A"]}})["kpis"]
    assert closed["orders"] == 5
    assert closed["units_by_location"] == {"WH-B": 3}  # only the orders without a deadline
    assert closed["fill_rate"] == pytest.approx(3 / 5)


def test_a_scenario_prices_unfilled_units_only_where_the_live_policy_backorders(
        live: TestClient) -> None:
    """Live sourcing ignores ``unfilled_cost_factor`` under ``backorder: reject`` (it fills
    every unit it can); a scenario of that policy sources the same, and asking it to price
    unfilled units there is refused instead of silently changing nothing."""
    cheap_to_leave = {"backorder": "allow", "unfilled_cost_factor": 0.05}
    assert live.put("/v1/policy", json=cheap_to_leave, headers=PLANNER).status_code == 200
    assert post(live, {"name": "priced"})["kpis"]["fill_rate"] == 0.0
    rejecting = {"backorder": "reject", "unfilled_cost_factor": 0.05}
    assert live.put("/v1/policy", json=rejecting, headers=PLANNER).status_code == 200
    assert post(live, {"name": "rejecting"})["kpis"]["fill_rate"] == 1.0
    refused = post(live, {"name": "priced anyway", "changes": {"unfilled_cost_factor": 2}}, 422)
    assert "backorder is reject" in str(refused)
    assert any(e["loc"][-2:] == ["changes", "unfilled_cost_factor"]
               for e in refused["errors"]), refused
    stored = live.get("/v1/scenarios", headers=PLANNER).json()["items"]
    assert [s["name"] for s in stored if s["name"] == "priced anyway"] == []
