"""One holder at a time for background work, across processes and hosts (SQLite, PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from storage import SqlUnitOfWork, make_engine

T0 = datetime(2026, 11, 27, 12, tzinfo=UTC)


def test_a_lease_has_one_holder_until_it_expires(database_url: str) -> None:
    engine = make_engine(database_url)

    def claim(owner: str, now: datetime) -> bool:
        with SqlUnitOfWork(engine) as uow:
            held = uow.leases.claim("timers", owner, now, now + timedelta(seconds=30))
            uow.commit()
        return held

    assert claim("a", T0)
    assert not claim("b", T0 + timedelta(seconds=10))
    assert claim("a", T0 + timedelta(seconds=20))  # renewing keeps it
    assert not claim("b", T0 + timedelta(seconds=40))
    assert claim("b", T0 + timedelta(seconds=51))  # a stopped renewing: b takes over
    assert not claim("a", T0 + timedelta(seconds=52))
    engine.dispose()


def test_racing_claimants_get_exactly_one_lease(database_url: str) -> None:
    engine = make_engine(database_url)

    def claim(owner: int) -> bool:
        with SqlUnitOfWork(engine) as uow:
            held = uow.leases.claim("race", f"w{owner}", T0, T0 + timedelta(seconds=30))
            uow.commit()
        return held

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(claim, range(16)))
    assert outcomes.count(True) == 1
    engine.dispose()
