"""The sibling of ``test_allocation_race`` under ``backorder: reject``: concurrent committed
allocations for 5 units through HTTP (2 worker processes) sell exactly 5; every other request
is a 409 that writes nothing, never a 5xx, on SQLite and PostgreSQL."""

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
from tests.e2e.test_allocation_race import UNITS

ATTEMPTS = 24


def test_concurrent_commits_under_reject_sell_five_and_refuse_the_rest(
        database_url: str, tmp_path: Path) -> None:
    with running_server(database_url, tmp_path, workers=2) as base:
        seed_phones(base, {DEAR: 2, CHEAP: UNITS - 2})
        with httpx.Client(base_url=base, headers=PLANNER, timeout=30) as http:
            http.put("/v1/policy", json={"backorder": "reject"}).raise_for_status()
        gate = Barrier(ATTEMPTS)
        with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
            codes = Counter(pool.map(
                lambda n: commit_one_phone(base, gate, f"REJECT-{n}").status_code,
                range(ATTEMPTS)))
        assert codes == Counter({201: UNITS, 409: ATTEMPTS - UNITS}), codes
        with httpx.Client(base_url=base, headers=ADMIN) as http:
            stock = http.get("/v1/inventory", params={"sku": "PHONE-X"}).json()
            orders = http.get("/v1/orders", params={"limit": 100}).json()["items"]
        assert stock["available"] == 0
        assert sum(p["reserved"] for p in stock["positions"]) == UNITS
        assert sorted(o["status"] for o in orders) == ["allocated"] * UNITS
    assert_ledger_balances(database_url)
