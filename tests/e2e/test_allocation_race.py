"""Concurrent committed allocations through HTTP against a running server (2 worker
processes) never sell a unit twice, on SQLite and PostgreSQL."""

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
    assert_ledger_balances,
    commit_one_phone,
    seed_phones,
)

ATTEMPTS = 40
UNITS = 5


def test_forty_concurrent_commits_for_five_units_sell_exactly_five(
        database_url: str, tmp_path: Path) -> None:
    with running_server(database_url, tmp_path, workers=2) as base:
        seed_phones(base, {DEAR: 2, CHEAP: UNITS - 2})
        gate = Barrier(ATTEMPTS)

        def attempt(n: int) -> tuple[int, str]:
            response = commit_one_phone(base, gate, f"RACE-{n}")
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
    assert_ledger_balances(database_url)
