"""Concurrent reservations from several OS processes never oversell, on SQLite and PostgreSQL.

Each round puts one unit on a fresh position; 50 attempts from 4 processes race for it at the
same instant. Exactly one wins; the others get a clear refusal (InsufficientStock); nothing
else happens.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

from storage import SqlUnitOfWork, make_engine
from tests.integration.storage.helpers import seed
from tests.integration.storage.race_worker import contend

ROUNDS = 20
PROCESSES = 4
ATTEMPTS = 50


def test_fifty_concurrent_reservations_of_the_last_unit_sell_it_exactly_once(
        database_url: str) -> None:
    skus = [f"SKU-{n}" for n in range(ROUNDS)]
    engine = make_engine(database_url)
    seed(engine, ["WH-A"], skus, {("WH-A", sku): 1 for sku in skus})
    per_process = [ATTEMPTS // PROCESSES + (1 if i < ATTEMPTS % PROCESSES else 0)
                   for i in range(PROCESSES)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=PROCESSES, mp_context=context) as pool:
        # Warm the workers up (imports, engines) so rounds race rather than start staggered.
        list(pool.map(contend, [database_url] * PROCESSES, ["WH-A"] * PROCESSES,
                      ["NONE"] * PROCESSES, [1] * PROCESSES, [0.0] * PROCESSES,
                      [f"warm{i}" for i in range(PROCESSES)]))
        for round_number, sku in enumerate(skus):
            start_at = time.time() + 0.2
            futures = [pool.submit(contend, database_url, "WH-A", sku, n, start_at,
                                   f"r{round_number}p{p}") for p, n in enumerate(per_process)]
            outcomes = Counter(o for f in futures for o in f.result())
            assert outcomes == Counter({"won": 1, "refused": ATTEMPTS - 1}), \
                f"round {round_number}: {outcomes}"
    with SqlUnitOfWork(engine, write=False) as uow:
        for sku in skus:
            position = uow.ledger.position("WH-A", sku)
            assert position is not None
            assert (position.available, position.reserved) == (0, 1)
        assert uow.ledger.invariant_violations() == []
    engine.dispose()


def test_concurrent_multi_unit_plans_take_exactly_the_stock_there_is(database_url: str) -> None:
    engine = make_engine(database_url)
    seed(engine, ["WH-A"], ["BULK"], {("WH-A", "BULK"): 10})
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        start_at = time.time() + 1.0
        futures = [pool.submit(contend, database_url, "WH-A", "BULK", 10, start_at, f"p{p}", 3)
                   for p in range(2)]
        outcomes = Counter(o for f in futures for o in f.result())
    assert outcomes == Counter({"won": 3, "refused": 17}), outcomes
    with SqlUnitOfWork(engine, write=False) as uow:
        position = uow.ledger.position("WH-A", "BULK")
        assert position is not None
        assert (position.reserved, position.available) == (9, 1)
        assert uow.ledger.invariant_violations() == []
    engine.dispose()
