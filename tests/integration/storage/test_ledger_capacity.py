"""The ledger guards a location's daily capacity like its stock, on SQLite and PostgreSQL:
what is reserved there, across SKUs, never exceeds ``capacity_units_per_day``, even when two
transactions reserve different SKUs at the same location at the same time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import Engine

from models import InsufficientStock, ReservationRequest
from models.locations import Capability
from storage import SqlUnitOfWork, make_engine
from storage.repositories.ledger import CapacityExceeded
from tests.integration.storage.helpers import location, seed

CAPACITY = 3


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = make_engine(database_url)
    seed(built, ["WH-A", "WH-B"], ["LAPTOP", "PHONE"],
         {("WH-A", "LAPTOP"): 10, ("WH-A", "PHONE"): 10, ("WH-B", "LAPTOP"): 10})
    with SqlUnitOfWork(built) as uow:
        uow.locations.upsert(replace(location("WH-A"), capacity_units_per_day=CAPACITY))
        uow.commit()
    yield built
    built.dispose()


def req(sku: str, qty: int, location_id: str = "WH-A", order_id: str = "ord_1"
        ) -> ReservationRequest:
    return ReservationRequest(order_id=order_id, line_id="1", location_id=location_id,
                              sku=sku, qty=qty)


def reserved_at(engine: Engine, location_id: str) -> int:
    with SqlUnitOfWork(engine, write=False) as uow:
        return uow.ledger.reserved_units_by_location().get(location_id, 0)


def test_reservations_across_skus_stop_at_the_locations_capacity(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.ledger.reserve([req("LAPTOP", 2)])
        uow.commit()
    with SqlUnitOfWork(engine) as uow, pytest.raises(CapacityExceeded) as refused:
        uow.ledger.reserve([req("PHONE", 2)])
    assert isinstance(refused.value, InsufficientStock)  # sourcing re-solves on it
    assert "room for 1" in refused.value.detail
    with SqlUnitOfWork(engine) as uow:
        uow.ledger.reserve([req("PHONE", 1), req("LAPTOP", 5, "WH-B")])  # no limit at WH-B
        uow.commit()
    assert reserved_at(engine, "WH-A") == CAPACITY
    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.ledger.invariant_violations() == []


def test_a_refused_plan_leaves_nothing_taken_in_its_own_transaction(engine: Engine) -> None:
    """All-or-nothing within the call: the caller may carry on in the same transaction."""
    with SqlUnitOfWork(engine) as uow:
        with pytest.raises(InsufficientStock):
            uow.ledger.reserve([req("LAPTOP", 1, "WH-B"), req("PHONE", 1, "WH-B")])
        position = uow.ledger.position("WH-B", "LAPTOP")
        assert position is not None and position.reserved == 0
        uow.ledger.reserve([req("LAPTOP", 1)])
        uow.commit()
    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.ledger.invariant_violations() == []
    assert reserved_at(engine, "WH-A") == 1


def test_concurrent_plans_for_different_skus_never_pass_the_capacity(engine: Engine) -> None:
    """The first holds WH-A's lock uncommitted; the second waits, then counts its units."""
    first = SqlUnitOfWork(engine)
    first.__enter__()
    first.ledger.reserve([req("LAPTOP", 2)])
    outcome: list[str] = []

    def second() -> None:
        try:
            with SqlUnitOfWork(engine) as uow:
                uow.ledger.reserve([req("PHONE", 2, order_id="ord_2")])
                uow.commit()
            outcome.append("reserved")
        except CapacityExceeded:
            outcome.append("refused")

    worker = threading.Thread(target=second)
    worker.start()
    worker.join(0.5)
    assert outcome == []  # blocked behind the first plan's location lock
    first.commit()
    first.__exit__(None, None, None)
    worker.join(30)
    assert outcome == ["refused"]
    assert reserved_at(engine, "WH-A") == 2


def test_plans_at_a_location_without_a_limit_do_not_queue_behind_each_other(
        engine: Engine, database_url: str) -> None:
    """Only a limited location needs its reservations counted one after the other; elsewhere
    two plans for different SKUs go through side by side."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: every plan queues")
    with SqlUnitOfWork(engine) as uow:
        uow.ledger.set_position("WH-B", "PHONE", 10)
        uow.commit()
    first = SqlUnitOfWork(engine)
    first.__enter__()
    first.ledger.reserve([req("LAPTOP", 2, location_id="WH-B")])
    outcome: list[str] = []

    def second() -> None:
        with SqlUnitOfWork(engine) as uow:
            uow.ledger.reserve([req("PHONE", 2, location_id="WH-B", order_id="ord_2")])
            uow.commit()
        outcome.append("reserved")

    worker = threading.Thread(target=second)
    worker.start()
    worker.join(10)
    try:
        assert outcome == ["reserved"], "the second plan waited for the first to commit"
    finally:
        first.commit()
        first.__exit__(None, None, None)
        worker.join(30)
    assert reserved_at(engine, "WH-B") == 4


def test_a_plan_at_a_location_closed_or_changed_since_it_was_solved_is_refused(
        engine: Engine) -> None:
    """The plan was solved while WH-B shipped; it closes (or stops shipping) before the plan
    is reserved: the ledger refuses it as it refuses missing stock, so sourcing solves again."""
    ship = replace(req("LAPTOP", 1, "WH-B"), kind="ship")
    for change in ({"active": False}, {"capabilities": frozenset({Capability.PICKUP})}):
        with SqlUnitOfWork(engine) as uow:
            uow.locations.upsert(replace(location("WH-B"), **change))  # type: ignore[arg-type]
            uow.commit()
        with SqlUnitOfWork(engine) as uow, pytest.raises(InsufficientStock):
            uow.ledger.reserve([ship])
    assert reserved_at(engine, "WH-B") == 0
    with SqlUnitOfWork(engine) as uow:  # a pickup is still served there
        uow.ledger.reserve([replace(ship, kind="pickup")])
        uow.commit()
    assert reserved_at(engine, "WH-B") == 1


def test_a_close_waits_for_a_plan_reserving_at_the_location(
        engine: Engine, database_url: str) -> None:
    """The plan holds WH-B's row share-locked until it commits, so a close committed after it
    finds the allocation to move (rather than the plan landing after the close)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: the close queues anyway")
    plan = SqlUnitOfWork(engine)
    plan.__enter__()
    plan.ledger.reserve([replace(req("LAPTOP", 1, "WH-B"), kind="ship")])
    closed: list[bool] = []

    def close() -> None:
        with SqlUnitOfWork(engine) as uow:
            uow.locations.upsert(replace(location("WH-B"), active=False))
            uow.commit()
        closed.append(True)

    worker = threading.Thread(target=close)
    worker.start()
    worker.join(0.5)
    try:
        assert closed == []  # waiting for the plan's lock
    finally:
        plan.commit()
        plan.__exit__(None, None, None)
        worker.join(30)
    assert closed == [True] and reserved_at(engine, "WH-B") == 1


def test_plans_at_a_limited_location_queue_without_deadlocking(
        engine: Engine, database_url: str) -> None:
    """Two plans at WH-A (limited) while a third transaction share-locks its row (as a plan at
    a location without a limit does): each plan asks for the update lock outright and they
    run one after the other. Share-locking first and upgrading made the two plans wait for
    each other once the third committed, and PostgreSQL killed one as a deadlock."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: no row locks to deadlock on")
    with SqlUnitOfWork(engine) as uow:
        uow.locations.upsert(replace(location("WH-A"), capacity_units_per_day=100))
        uow.commit()
    holder = engine.connect()
    holder.exec_driver_sql("BEGIN")
    holder.exec_driver_sql("SELECT id FROM locations WHERE id = 'WH-A' FOR SHARE")
    errors: list[BaseException] = []
    done: list[str] = []

    def plan(order_id: str, sku: str) -> None:
        try:
            with SqlUnitOfWork(engine) as uow:
                uow.ledger.reserve([req(sku, 1, order_id=order_id)])
                uow.commit()
            done.append(order_id)
        except BaseException as error:  # reported below
            errors.append(error)

    workers = [threading.Thread(target=plan, args=(f"ord_{n}", sku))
               for n, sku in enumerate(["LAPTOP", "PHONE"])]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(1.0)  # both queue behind the share lock
    holder.exec_driver_sql("COMMIT")
    holder.close()
    for worker in workers:
        worker.join(30)
    assert errors == [] and sorted(done) == ["ord_0", "ord_1"]
    assert reserved_at(engine, "WH-A") == 2
