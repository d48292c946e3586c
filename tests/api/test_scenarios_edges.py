"""Scenario edge cases a planner hits: hand-checked KPIs, replay, limits, failures, roles."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from tests.api.conftest import ADMIN, CHANNEL, OPS, PLANNER, STORE, SUPPLIER, order_body
from tests.api.test_scenarios import laptop, post, seed_live, snapshot
from tests.conftest import make_container

# A tiny network on the equator: WH-A beside the customers (0 km, 1 day), WH-B 1 degree of
# longitude away (~111 km: still 1 day) and WH-C 10 degrees away (~1112 km: 2 days).
TINY_LOCATIONS = [
    {"id": "WH-A", "type": "warehouse", "lat": 0.0, "lon": 0.0, "shipment_cost": 10.0},
    {"id": "WH-C", "type": "warehouse", "lat": 0.0, "lon": 10.0, "shipment_cost": 3.0},
]


@pytest.fixture
def net(client: TestClient) -> TestClient:
    """As test_scenarios.live: WH-A (5, near) and WH-B (10, far), three live orders from WH-A."""
    return seed_live(client)


def tiny_order(order_id: str, qty: int) -> dict[str, Any]:
    return order_body(order_id, ship_to={"lat": 0.0, "lon": 0.0},
                      lines=[{"line_id": "1", "sku": "LAPTOP-15", "qty": qty,
                              "unit_price": 999.0}])


def tiny(**changes: Any) -> dict[str, Any]:
    return {"name": "tiny", "base": "empty", "locations": TINY_LOCATIONS,
            "inventory": [{"location_id": "WH-A", "sku": "LAPTOP-15", "on_hand": 5},
                          {"location_id": "WH-C", "sku": "LAPTOP-15", "on_hand": 1}],
            "orders": [tiny_order("O-1", 2), tiny_order("O-2", 1)], "changes": changes}


def test_an_inline_line_covering_no_line_is_refused_not_dropped(client: TestClient) -> None:
    """A covering line is a service and is not sourced: one pointing nowhere would drop a
    product from the scenario silently, where live intake answers 422."""
    body = tiny()
    body["orders"][0]["lines"][0]["covers_line_id"] = "9"
    answer = client.post("/v1/scenarios", json=body, headers=PLANNER)
    assert answer.status_code == 422, answer.text
    assert "covers_line_id '9'" in answer.text
    assert client.get("/v1/scenarios", headers=PLANNER).json()["items"] == []


def test_kpis_match_a_hand_computation_on_a_tiny_network(client: TestClient) -> None:
    # Cheapest: O-2 (1 unit) from WH-C for 3, O-1 (2 units) in one package from WH-A for 10.
    kpis = post(client, tiny())["kpis"]
    assert kpis["total_cost"] == pytest.approx(13.0)
    assert kpis["cost_per_order"] == pytest.approx(6.5)
    assert (kpis["orders"], kpis["units_ordered"], kpis["units_filled"]) == (2, 3, 3)
    assert kpis["fill_rate"] == 1.0 and kpis["split_rate"] == 0.0
    assert kpis["shipments"] == 2
    assert kpis["units_by_location"] == {"WH-A": 2, "WH-C": 1}
    assert kpis["mean_delivery_days"] == pytest.approx(1.5)  # (1 + 2) / 2
    assert kpis["p95_delivery_days"] == 2.0
    assert kpis["utilization"] == {"WH-A": pytest.approx(0.4), "WH-C": 1.0}
    # Closing WH-C: all three units from WH-A, two packages of 10, one day each.
    closed = post(client, tiny(close_locations=["WH-C"]))["kpis"]
    assert (closed["total_cost"], closed["shipments"]) == (pytest.approx(20.0), 2)
    assert closed["units_by_location"] == {"WH-A": 3}
    assert closed["mean_delivery_days"] == 1.0 and closed["utilization"]["WH-C"] == 0.0
    # Time objective: nothing slower than one day when WH-A can serve all.
    fast = post(client, tiny(objective="time"))["kpis"]
    assert fast["mean_delivery_days"] == 1.0 and fast["fill_rate"] == 1.0
    # A cost multiplier of 3 on WH-C (9 a package) still beats WH-A's 10.
    dearer = post(client, tiny(cost_multiplier={"WH-C": 3}))["kpis"]
    assert dearer["total_cost"] == pytest.approx(19.0)
    # Short stock: 6 ordered x2 demand, 6 in stock.
    short = post(client, tiny(demand_multiplier=2))["kpis"]
    assert (short["orders"], short["units_ordered"], short["units_filled"]) == (4, 6, 6)
    removed = post(client, tiny(inventory=[{"location_id": "WH-A", "sku": "LAPTOP-15",
                                           "delta": -4}]))["kpis"]
    assert removed["units_filled"] == 2 and removed["fill_rate"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(("changes", "says"), [
    ({"close_locations": ["WH-NOPE"]}, "WH-NOPE"),
    ({"demand_multiplier": 0}, "demand_multiplier"),
    ({"demand_multiplier": -0.5}, "demand_multiplier"),
    ({"demand_multiplier": 1e9}, "demand_multiplier"),
    ({"objective": "cheapest"}, "objective"),
    ({"cost_multiplier": {"WH-A": -1}}, "cost multipliers"),
    ({"cost_multiplier": {"WH-X": 2}}, "WH-X"),
    ({"capacity": {"WH-A": -3}}, "capacity"),
    ({"capacity": {"WH-A": 10**400}}, "capacity must be 0 to 1,000,000,000"),
    ({"inventory": [{"location_id": "WH-X", "sku": "LAPTOP-15", "delta": 1}]}, "WH-X"),
    ({"inventory": [{"location_id": "WH-A", "sku": "LAPTOP15", "delta": 1}]}, "LAPTOP15"),
    ({"solver": "magic"}, "solver"),
    ({"time_limit_ms": 10**9}, "time_limit_ms"),
    ({"unknown_knob": 1}, "unknown_knob"),
    ({"allow_line_split": "yes"}, "allow_line_split"),
    ({"allow_line_split": 1}, "allow_line_split"),
])
def test_invalid_changes_are_422_and_store_nothing(client: TestClient, changes: dict[str, Any],
                                                   says: str) -> None:
    answer = client.post("/v1/scenarios", json=tiny(**changes), headers=PLANNER)
    assert answer.status_code == 422, answer.text
    assert says in answer.text
    assert client.get("/v1/scenarios", headers=PLANNER).json()["items"] == []


@pytest.mark.parametrize(("capabilities", "says"), [
    ([], "at least one capability"),
    (["dropship"], "a warehouse cannot have capability dropship"),
])
def test_inline_locations_follow_the_live_network_s_capability_rules(
        client: TestClient, capabilities: list[str], says: str) -> None:
    body = tiny()
    body["locations"] = [{**TINY_LOCATIONS[0], "capabilities": capabilities},
                         TINY_LOCATIONS[1]]
    answer = client.post("/v1/scenarios", json=body, headers=PLANNER)
    assert answer.status_code == 422, answer.text
    assert says in answer.text
    supplier = tiny()
    supplier["locations"] = [*TINY_LOCATIONS, {"id": "SUP", "type": "supplier", "lat": 0.0,
                                               "lon": 1.0, "capabilities": ["ship"]}]
    answer = client.post("/v1/scenarios", json=supplier, headers=PLANNER)
    assert answer.status_code == 422 and "ship alone never sources" in answer.text
    assert client.get("/v1/scenarios", headers=PLANNER).json()["items"] == []


@pytest.mark.parametrize(("capacity", "used"), [(3, "WH-B"), (4, "WH-A"), (None, "WH-A")])
def test_a_capacity_set_by_a_scenario_still_counts_what_live_orders_hold(
        net: TestClient, capacity: int | None, used: str) -> None:
    # the inline order replaces the three live ones, which keep their 3 units at WH-A
    body = {"name": "capacity", "base": "current",
            "orders": [order_body("S-1", lines=[{"line_id": "1", "sku": "LAPTOP-15",
                                                 "qty": 1, "unit_price": 999.0}])],
            "changes": {"capacity": {"WH-A": capacity}}}
    kpis = post(net, body)["kpis"]
    assert kpis["units_by_location"] == {used: 1}


def test_demand_scaled_beyond_the_limit_is_refused_before_solving(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """20,000 orders x 100 would be two million orders solved in memory: a clear 422."""
    import planner.scenario

    monkeypatch.setattr(planner.scenario, "MAX_SCENARIO_ORDERS", 10)
    answer = client.post("/v1/scenarios", json=tiny(demand_multiplier=6), headers=PLANNER)
    assert answer.status_code == 422, answer.text
    assert "demand_multiplier" in answer.text and "10" in answer.text
    assert client.get("/v1/scenarios", headers=PLANNER).json()["items"] == []
    assert post(client, tiny(demand_multiplier=5))["kpis"]["orders"] == 10


def test_every_change_on_the_live_base_leaves_live_data_alone(net: TestClient) -> None:
    before = snapshot(net)
    for body in (
        {"name": "all knobs", "changes": {
            "close_locations": ["WH-A"], "objective": "time", "demand_multiplier": 3.5,
            "inventory": [{"location_id": "WH-B", "sku": "LAPTOP-15", "delta": -10},
                          {"location_id": "WH-A", "sku": "LAPTOP-15", "delta": 50}],
            "cost_multiplier": {"WH-B": 0.5}, "capacity": {"WH-B": 1}}},
        {"name": "replay", "base": "replay", "changes": {"close_locations": ["WH-A"]}},
        {"name": "own orders", "orders": [laptop("X-1", 4)]},
    ):
        post(net, body)
    assert snapshot(net) == before


def test_replay_with_scaled_demand_compares_only_the_orders_live_sourcing_decided(
        net: TestClient) -> None:
    """Copies made by the demand multiplier (or orders it sampled away) are no live decision."""
    doubled = post(net, {"name": "replay x2", "base": "replay",
                          "inventory": [{"location_id": "WH-A", "sku": "LAPTOP-15",
                                         "on_hand": 100},
                                        {"location_id": "WH-B", "sku": "LAPTOP-15",
                                         "on_hand": 100}],
                          "changes": {"demand_multiplier": 2}})["kpis"]
    assert doubled["orders"] == 6
    replay = doubled["replay"]
    assert replay["orders"] == 3
    assert replay["same_location_rate"] == 1.0
    assert replay["cost_difference"] == pytest.approx(0.0, abs=0.02)
    assert replay["decided_mean_delivery_days"] == replay["replay_mean_delivery_days"]
    sampled = post(net, {"name": "replay sampled", "base": "replay",
                          "changes": {"demand_multiplier": 0.5, "seed": 1}})["kpis"]
    replay = sampled["replay"]
    assert replay["orders"] == sampled["orders"] < 3
    assert replay["cost_difference"] == pytest.approx(0.0, abs=0.02)


def test_compare_with_missing_unknown_or_odd_ids(net: TestClient) -> None:
    a = post(net, {"name": "A"})["scenario_id"]
    for ids, status in (("", 422), (",", 422), (f"{a}", 422), (f"{a},{a},{a}", 422),
                        (f"scn_nope,{a}", 404), ("scn_x,scn_y", 404)):
        answer = net.get(f"/v1/scenarios/compare?ids={ids}", headers=PLANNER)
        assert answer.status_code == status, (ids, answer.text)
    assert net.get("/v1/scenarios/compare", headers=PLANNER).status_code == 422
    same = net.get(f"/v1/scenarios/compare?ids={a},{a}", headers=PLANNER)
    assert same.status_code == 200
    assert same.json()["differences"]["total_cost"] == 0.0


def test_roles_other_than_planner_and_admin_are_refused_everywhere(net: TestClient) -> None:
    a = post(net, {"name": "A"})["scenario_id"]
    for headers in (CHANNEL, OPS, SUPPLIER, STORE):
        assert net.post("/v1/scenarios", json={"name": "x"}, headers=headers).status_code == 403
        assert net.get("/v1/scenarios", headers=headers).status_code == 403
        assert net.get(f"/v1/scenarios/{a}", headers=headers).status_code == 403
        assert net.get(f"/v1/scenarios/compare?ids={a},{a}",
                        headers=headers).status_code == 403
    assert net.post("/v1/scenarios", json={"name": "x"}).status_code == 401
    assert net.get(f"/v1/scenarios/{a}", headers=ADMIN).status_code == 200


def test_pagination_walks_every_scenario_once(net: TestClient) -> None:
    ids = [post(net, {"name": f"run {n}", "base": "empty"})["scenario_id"] for n in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = net.get(f"/v1/scenarios?{query}", headers=PLANNER)
        assert page.status_code == 200, page.text
        seen += [s["scenario_id"] for s in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    for bad in ("limit=0", "limit=100000", "cursor=%25%25%25"):
        assert net.get(f"/v1/scenarios?{bad}", headers=PLANNER).status_code == 422, bad


def test_a_run_that_fails_inline_is_kept_as_failed_with_its_reason(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.service

    def boom(_: Any) -> dict[str, Any]:
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(planner.service, "evaluate", boom)
    answer = client.post("/v1/scenarios", json=tiny(), headers=PLANNER)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "failed" and "solver crashed" in body["error"]
    stored = client.get(f"/v1/scenarios/{body['scenario_id']}", headers=PLANNER).json()
    assert stored["status"] == "failed" and stored["finished_at"] is not None


@pytest.fixture
def small_async(default_url: str) -> Iterator[TestClient]:
    """The app with runs of more than one order going to the background."""
    built = make_container(default_url, scenario_async_orders=1)
    with TestClient(create_app(built), raise_server_exceptions=False) as client:
        yield client
    built.close()


def poll(client: TestClient, location: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while (current := client.get(location, headers=PLANNER).json())["status"] == "running":
        assert time.monotonic() < deadline, "the scenario is stuck running"
        time.sleep(0.05)
    return dict(current)


def test_a_background_run_that_fails_ends_failed_with_a_reason(
        small_async: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.service

    def boom(_: Any) -> dict[str, Any]:
        raise ValueError("out of memory, say")

    monkeypatch.setattr(planner.service, "evaluate", boom)
    answer = small_async.post("/v1/scenarios", json=tiny(), headers=PLANNER)
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "running"
    final = poll(small_async, answer.headers["Location"])
    assert final["status"] == "failed" and "out of memory" in final["error"]
    assert final["kpis"] is None and final["finished_at"] is not None
    # compare refuses a failed run with a reason
    other = small_async.get(f"/v1/scenarios/compare?ids={final['scenario_id']},"
                            f"{final['scenario_id']}", headers=PLANNER)
    assert other.status_code in (409, 422) and "failed" in other.text


def test_a_background_run_polls_to_the_same_kpis_as_an_inline_run(
        small_async: TestClient, client: TestClient) -> None:
    answer = small_async.post("/v1/scenarios", json=tiny(), headers=PLANNER)
    assert answer.status_code == 202
    final = poll(small_async, answer.headers["Location"])
    inline = post(client, tiny())
    for key in ("total_cost", "fill_rate", "shipments", "units_by_location", "utilization"):
        assert final["kpis"][key] == inline["kpis"][key]
