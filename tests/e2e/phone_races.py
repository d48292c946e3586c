"""What the race tests share: a two-warehouse network selling one phone, a committed allocation
of one phone after a common start line, and the ledger check at the end."""

from __future__ import annotations

from threading import Barrier

import httpx

from storage import SqlUnitOfWork, make_engine

ADMIN = {"Authorization": "Bearer admin-key"}
CHANNEL = {"Authorization": "Bearer channel-key"}
PLANNER = {"Authorization": "Bearer planner-key"}
CHEAP, DEAR = "WH-B", "WH-A"  # sourcing by cost takes WH-B's phones first


def seed_phones(base: str, on_hand: dict[str, int]) -> None:
    """WH-A (near New York, $9 a package) and WH-B (Chicago, $5), with these phones on hand."""
    with httpx.Client(base_url=base, headers=ADMIN, timeout=30) as http:
        for location_id, lat, lon, cost in ((DEAR, 40.8, -74.0, 9.0), (CHEAP, 41.9, -87.6, 5.0)):
            http.put(f"/v1/locations/{location_id}", json={
                "name": location_id, "type": "warehouse", "lat": lat, "lon": lon,
                "capabilities": ["ship"], "shipment_cost": cost}).raise_for_status()
        http.put("/v1/products/PHONE-X", json={"name": "Phone X"}).raise_for_status()
        for location_id, units in on_hand.items():
            http.put(f"/v1/inventory/{location_id}/PHONE-X",
                     json={"on_hand": units}).raise_for_status()


def commit_one_phone(base: str, gate: Barrier, ref: str) -> httpx.Response:
    """POST /v1/allocate committing a new order for one phone, once every racer is ready."""
    body = {"commit": True, "order": {
        "channel": "web", "channel_order_id": ref, "customer": {"id": f"C-{ref}"},
        "ship_to": {"lat": 40.7, "lon": -74.0},
        "lines": [{"line_id": "1", "sku": "PHONE-X", "qty": 1, "unit_price": 500}]}}
    with httpx.Client(base_url=base, headers=CHANNEL, timeout=60) as http:
        gate.wait()
        return http.post("/v1/allocate", json=body)


def assert_ledger_balances(database_url: str) -> None:
    engine = make_engine(database_url)
    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.ledger.invariant_violations() == []
    engine.dispose()
