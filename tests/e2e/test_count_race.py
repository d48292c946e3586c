"""Stock counts racing committed allocations through HTTP against a running server (2 worker
processes), on SQLite and PostgreSQL: every request is answered (no 5xx), and when the dust
settles no allocation waiting for release holds more than its shelf has."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

import httpx

from tests.e2e.live_server import running_server
from tests.e2e.phone_races import (
    ADMIN,
    CHEAP,
    DEAR,
    PLANNER,
    assert_ledger_balances,
    commit_one_phone,
    seed_phones,
)

ORDERS = 24
COUNTS = [3, 1, 0, 2, 0, 1]  # the cheap warehouse's shelf as counted, during the orders


def test_counts_racing_allocations_never_leave_a_waiting_allocation_uncovered(
        database_url: str, tmp_path: Path) -> None:
    with running_server(database_url, tmp_path, workers=2) as base:
        seed_phones(base, {DEAR: 10, CHEAP: 10})
        with httpx.Client(base_url=base, headers=PLANNER, timeout=30) as http:
            # allocations wait for release, so a count can still take them back
            http.put("/v1/policy", json={"release_delay_minutes": 60}).raise_for_status()
        gate = Barrier(ORDERS + len(COUNTS))

        def allocate(n: int) -> int:
            return commit_one_phone(base, gate, f"RACE-{n}").status_code

        def count(on_hand: int) -> int:
            with httpx.Client(base_url=base, headers=ADMIN, timeout=60) as http:
                gate.wait()
                return http.put(f"/v1/inventory/{CHEAP}/PHONE-X",
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
    assert_ledger_balances(database_url)
