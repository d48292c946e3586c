"""Concurrent committed allocations through HTTP against a running server (2 worker
processes) never sell a unit twice, on SQLite and PostgreSQL."""

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
ATTEMPTS = 40
UNITS = 5


def _seed(base: str) -> None:
    with httpx.Client(base_url=base, headers=ADMIN, timeout=30) as http:
        for location_id, lat, lon, cost in (("WH-A", 40.8, -74.0, 9.0),
                                            ("WH-B", 41.9, -87.6, 5.0)):
            http.put(f"/v1/locations/{location_id}", json={
                "name": location_id, "type": "warehouse", "lat": lat, "lon": lon,
                "capabilities": ["ship"], "shipment_cost": cost}).raise_for_status()
        http.put("/v1/products/PHONE-X", json={"name": "Phone X"}).raise_for_status()
        http.put("/v1/inventory/WH-A/PHONE-X", json={"on_hand": 2}).raise_for_status()
        http.put("/v1/inventory/WH-B/PHONE-X", json={"on_hand": UNITS - 2}).raise_for_status()


def test_forty_concurrent_commits_for_five_units_sell_exactly_five(
        database_url: str, tmp_path: Path) -> None:
    with running_server(database_url, tmp_path, workers=2) as base:
        _seed(base)
        gate = Barrier(ATTEMPTS)

        def attempt(n: int) -> tuple[int, str]:
            body = {"commit": True, "order": {
                "channel": "web", "channel_order_id": f"RACE-{n}", "customer": {"id": f"C-{n}"},
                "ship_to": {"lat": 40.7, "lon": -74.0},
                "lines": [{"line_id": "1", "sku": "PHONE-X", "qty": 1, "unit_price": 500}]}}
            with httpx.Client(base_url=base, headers=CHANNEL, timeout=60) as http:
                gate.wait()
                response = http.post("/v1/allocate", json=body)
            status = response.json().get("status", "?") if response.status_code < 300 else "-"
            return response.status_code, status

        with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
            outcomes = list(pool.map(attempt, range(ATTEMPTS)))
        codes = Counter(code for code, _ in outcomes)
        statuses = Counter(status for _, status in outcomes)
        assert codes == Counter({201: ATTEMPTS}), codes
        assert statuses == Counter({"allocated": UNITS, "backordered": ATTEMPTS - UNITS})
        with httpx.Client(base_url=base, headers=ADMIN) as http:
            stock = http.get("/v1/inventory", params={"sku": "PHONE-X"}).json()
        assert stock["available"] == 0
        assert sum(p["reserved"] for p in stock["positions"]) == UNITS
    engine = make_engine(database_url)
    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.ledger.invariant_violations() == []
    engine.dispose()
