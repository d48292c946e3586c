"""Stock counts racing committed allocations through HTTP against a running server (2 worker
processes), on SQLite and PostgreSQL: every request is answered (no 5xx), and when the dust
settles no allocation waiting for release holds more than its shelf has."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

import httpx

from storage import SqlUnitOfWork, make_engine
from tests.e2e.live_server import running_server

ADMIN = {"Authorization": "Bearer admin-key"}
CHANNEL = {"Authorization": "Bearer channel-key"}
PLANNER = {"Authorization": "Bearer planner-key"}
ORDERS = 24
COUNTS = [3, 1, 0, 2, 0, 1]  # WH-A's shelf as counted, concurrently with the orders


def _seed(base: str) -> None:
    with httpx.Client(base_url=base, headers=ADMIN, timeout=30) as http:
        for location_id, lat, lon, cost in (("WH-A", 40.8, -74.0, 5.0),
                                            ("WH-B", 41.9, -87.6, 9.0)):
            http.put(f"/v1/locations/{location_id}", json={
                "name": location_id, "type": "warehouse", "lat": lat, "lon": lon,
                "capabilities": ["ship"], "shipment_cost": cost}).raise_for_status()
        http.put("/v1/products/PHONE-X", json={"name": "Phone X"}).raise_for_status()
        http.put("/v1/inventory/WH-A/PHONE-X", json={"on_hand": 10}).raise_for_status()
        http.put("/v1/inventory/WH-B/PHONE-X", json={"on_hand": 10}).raise_for_status()
        http.put("/v1/policy", json={"release_delay_minutes": 60},
                 headers=PLANNER).raise_for_status()


def test_counts_racing_allocations_never_leave_a_waiting_allocation_uncovered(
        database_url: str, tmp_path: Path) -> None:
    with running_server(database_url, tmp_path, workers=2) as base:
        _seed(base)
        gate = Barrier(ORDERS + len(COUNTS))

        def allocate(n: int) -> int:
            body = {"commit": True, "order": {
                "channel": "web", "channel_order_id": f"RACE-{n}", "customer": {"id": f"C-{n}"},
                "ship_to": {"lat": 40.7, "lon": -74.0},
                "lines": [{"line_id": "1", "sku": "PHONE-X", "qty": 1, "unit_price": 500}]}}
            with httpx.Client(base_url=base, headers=CHANNEL, timeout=60) as http:
                gate.wait()
                return http.post("/v1/allocate", json=body).status_code

        def count(on_hand: int) -> int:
            with httpx.Client(base_url=base, headers=ADMIN, timeout=60) as http:
                gate.wait()
                return http.put("/v1/inventory/WH-A/PHONE-X",
                                json={"on_hand": on_hand}).status_code

        with ThreadPoolExecutor(max_workers=ORDERS + len(COUNTS)) as pool:
            orders = [pool.submit(allocate, n) for n in range(ORDERS)]
            counts = [pool.submit(count, on_hand) for on_hand in COUNTS]
            order_codes = Counter(f.result() for f in orders)
            count_codes = Counter(f.result() for f in counts)
        assert order_codes == Counter({201: ORDERS}), order_codes
        assert count_codes == Counter({200: len(COUNTS)}), count_codes
        with httpx.Client(base_url=base, headers=ADMIN) as http:
            positions = http.get("/v1/inventory", params={"sku": "PHONE-X"}).json()["positions"]
            placed = http.get("/v1/orders", params={"limit": ORDERS}).json()["items"]
        for position in positions:
            assert position["reserved"] <= position["on_hand"], position
        statuses = Counter(order["status"] for order in placed)
        reserved = sum(p["reserved"] for p in positions)
        assert statuses["allocated"] == reserved  # one unit per allocated order
        assert statuses["allocated"] + statuses["backordered"] == ORDERS, statuses
    engine = make_engine(database_url)
    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.ledger.invariant_violations() == []
    engine.dispose()
