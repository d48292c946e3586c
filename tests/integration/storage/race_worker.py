"""Runs in separate OS processes: many threads try to reserve the same units at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from models import InsufficientStock, ReservationRequest
from storage import SqlUnitOfWork, make_engine
from storage.retry import with_retries

_engines: dict[str, Engine] = {}


def _engine(url: str) -> Engine:
    if url not in _engines:
        _engines[url] = make_engine(url, pool_size=20)
    return _engines[url]


def _attempt(engine: Engine, order_id: str, location_id: str, sku: str, qty: int) -> str:
    def work() -> None:
        with SqlUnitOfWork(engine) as uow:
            uow.ledger.reserve([ReservationRequest(order_id=order_id, line_id="1",
                                                   location_id=location_id, sku=sku, qty=qty)])
            uow.commit()

    try:
        with_retries(work)
    except InsufficientStock:
        return "refused"
    except Exception as error:
        return f"error: {error!r}"
    return "won"


def contend(url: str, location_id: str, sku: str, attempts: int, start_at: float,
            tag: str, qty: int = 1) -> list[str]:
    """``attempts`` threads of this process try to reserve ``qty`` units at ``start_at``."""
    engine = _engine(url)
    gate = threading.Barrier(attempts)

    def one(index: int) -> str:
        gate.wait()
        delay = start_at - time.time()
        if delay > 0:
            time.sleep(delay)
        return _attempt(engine, f"ord_{tag}_{index}", location_id, sku, qty)

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        return list(pool.map(one, range(attempts)))
