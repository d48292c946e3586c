"""The stock ledger through the real database, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from models import (
    Conflict,
    InsufficientStock,
    InvalidInput,
    ReservationRequest,
    ReservationStatus,
)
from storage import SqlUnitOfWork, make_engine
from tests.integration.storage.helpers import seed


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = make_engine(database_url)
    seed(built, ["WH-A", "WH-B"], ["LAPTOP", "PHONE"],
         {("WH-A", "LAPTOP"): 2, ("WH-B", "LAPTOP"): 5, ("WH-A", "PHONE"): 1})
    yield built
    built.dispose()


def req(line_id: str, location_id: str, sku: str, qty: int, order_id: str = "ord_1"
        ) -> ReservationRequest:
    return ReservationRequest(order_id=order_id, line_id=line_id, location_id=location_id,
                              sku=sku, qty=qty)


def available(engine: Engine, location_id: str, sku: str) -> int:
    with SqlUnitOfWork(engine, write=False) as uow:
        position = uow.ledger.position(location_id, sku)
        assert position is not None
        return position.available


def assert_balanced(engine: Engine) -> None:
    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.ledger.invariant_violations() == []


def test_a_plan_that_fits_reserves_every_piece(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        made = uow.ledger.reserve([req("1", "WH-A", "LAPTOP", 2), req("1", "WH-B", "LAPTOP", 1),
                                   req("2", "WH-A", "PHONE", 1)])
        uow.commit()
    assert [r.status for r in made] == [ReservationStatus.ACTIVE] * 3
    assert available(engine, "WH-A", "LAPTOP") == 0
    assert available(engine, "WH-B", "LAPTOP") == 4
    assert available(engine, "WH-A", "PHONE") == 0
    assert_balanced(engine)


def test_a_plan_with_one_short_line_leaves_no_reservation_anywhere(engine: Engine) -> None:
    with pytest.raises(InsufficientStock) as refused, SqlUnitOfWork(engine) as uow:
        uow.ledger.reserve([req("1", "WH-B", "LAPTOP", 3), req("2", "WH-A", "PHONE", 1),
                            req("3", "WH-A", "LAPTOP", 3)])
        uow.commit()
    assert (refused.value.location_id, refused.value.sku) == ("WH-A", "LAPTOP")
    assert refused.value.available == 2
    assert available(engine, "WH-B", "LAPTOP") == 5
    assert available(engine, "WH-A", "PHONE") == 1
    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.ledger.reservations(order_id="ord_1") == []
    assert_balanced(engine)


def test_two_lines_of_one_plan_cannot_together_take_more_than_a_position_has(
        engine: Engine) -> None:
    with pytest.raises(InsufficientStock), SqlUnitOfWork(engine) as uow:
        uow.ledger.reserve([req("1", "WH-A", "LAPTOP", 2), req("2", "WH-A", "LAPTOP", 1)])
    assert available(engine, "WH-A", "LAPTOP") == 2


def test_safety_stock_is_never_reserved(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.ledger.set_position("WH-B", "LAPTOP", 5, safety_stock=4)
        uow.commit()
    with pytest.raises(InsufficientStock), SqlUnitOfWork(engine) as uow:
        uow.ledger.reserve([req("1", "WH-B", "LAPTOP", 2)])
    with SqlUnitOfWork(engine) as uow:
        uow.ledger.reserve([req("1", "WH-B", "LAPTOP", 1)])
        uow.commit()
    assert available(engine, "WH-B", "LAPTOP") == 0


def test_a_position_that_does_not_exist_has_nothing_to_reserve(engine: Engine) -> None:
    with pytest.raises(InsufficientStock) as refused, SqlUnitOfWork(engine) as uow:
        uow.ledger.reserve([req("1", "WH-B", "PHONE", 1)])
    assert refused.value.available == 0


def test_release_gives_units_back_and_is_not_counted_twice(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        (held,) = uow.ledger.reserve([req("1", "WH-B", "LAPTOP", 3)])
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.ledger.release(held.id, 1) == 1
        uow.commit()
    assert available(engine, "WH-B", "LAPTOP") == 3
    with SqlUnitOfWork(engine) as uow:
        assert uow.ledger.release_order("ord_1") == 2
        assert uow.ledger.release_order("ord_1") == 0
        uow.commit()
    assert available(engine, "WH-B", "LAPTOP") == 5
    assert_balanced(engine)


def test_consuming_a_reservation_takes_the_units_off_hand(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        (held,) = uow.ledger.reserve([req("1", "WH-B", "LAPTOP", 2)])
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.ledger.consume(held.id) == 2
        assert uow.ledger.consume(held.id) == 0
        uow.commit()
    with SqlUnitOfWork(engine, write=False) as uow:
        position = uow.ledger.position("WH-B", "LAPTOP")
        assert position is not None
        assert (position.on_hand, position.reserved) == (3, 0)
        assert uow.ledger.reservations(order_id="ord_1", status=ReservationStatus.ACTIVE) == []
    assert_balanced(engine)


def test_closing_more_than_a_reservation_holds_is_refused(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        (held,) = uow.ledger.reserve([req("1", "WH-B", "LAPTOP", 2)])
        uow.commit()
    with pytest.raises(InvalidInput), SqlUnitOfWork(engine) as uow:
        uow.ledger.release(held.id, 3)
    assert available(engine, "WH-B", "LAPTOP") == 3


def test_consuming_when_on_hand_was_counted_below_reserved_is_a_conflict(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        (held,) = uow.ledger.reserve([req("1", "WH-A", "LAPTOP", 2)])
        uow.ledger.adjust("WH-A", "LAPTOP", -1, "cycle count found one missing")
        uow.commit()
    assert available(engine, "WH-A", "LAPTOP") == 0
    with pytest.raises(Conflict), SqlUnitOfWork(engine) as uow:
        uow.ledger.consume(held.id)
    assert_balanced(engine)


def test_adjustments_are_journaled_and_never_go_below_zero(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        adjustment = uow.ledger.adjust("WH-B", "LAPTOP", -2, "damaged in handling")
        uow.commit()
    assert adjustment.on_hand_after == 3
    with pytest.raises(InvalidInput), SqlUnitOfWork(engine) as uow:
        uow.ledger.adjust("WH-B", "LAPTOP", -4, "too much")
    with pytest.raises(InvalidInput), SqlUnitOfWork(engine) as uow:
        uow.ledger.adjust("WH-B", "LAPTOP", 1, "   ")
    with SqlUnitOfWork(engine) as uow:
        uow.ledger.adjust("WH-B", "PHONE", 4, "receipt PO-1")
        uow.commit()
    assert available(engine, "WH-B", "LAPTOP") == 3
    assert available(engine, "WH-B", "PHONE") == 4


def test_a_rolled_back_unit_of_work_writes_nothing(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.ledger.reserve([req("1", "WH-B", "LAPTOP", 5)])
        # no commit
    assert available(engine, "WH-B", "LAPTOP") == 5


def test_units_held_per_location_follow_reserve_release_and_consume(engine: Engine) -> None:
    """What counts against a location's capacity: the units its active reservations hold."""
    def held() -> dict[str, int]:
        with SqlUnitOfWork(engine, write=False) as uow:
            return uow.ledger.reserved_units_by_location()

    assert held() == {}
    with SqlUnitOfWork(engine) as uow:
        laptops, phone = uow.ledger.reserve([req("1", "WH-B", "LAPTOP", 3),
                                             req("2", "WH-A", "PHONE", 1)])
        uow.ledger.reserve([req("1", "WH-A", "LAPTOP", 2, order_id="ord_2")])
        uow.commit()
    assert held() == {"WH-A": 3, "WH-B": 3}
    with SqlUnitOfWork(engine) as uow:
        uow.ledger.release(laptops.id, 1)
        uow.ledger.consume(phone.id, 1)
        uow.commit()
    assert held() == {"WH-A": 2, "WH-B": 2}
    assert_balanced(engine)


def test_the_ledger_holds_an_adjustments_ceiling_in_its_update(engine: Engine) -> None:
    """Checked in the write itself, so two receipts racing past a check made before either
    wrote cannot together pass the ceiling (the service checks first for a clear answer)."""
    with SqlUnitOfWork(engine) as uow:
        uow.ledger.adjust("WH-B", "LAPTOP", 5, "receipt", ceiling=10)
        uow.commit()
    with SqlUnitOfWork(engine) as uow, pytest.raises(InvalidInput, match="above the limit of 10"):
        uow.ledger.adjust("WH-B", "LAPTOP", 6, "receipt", ceiling=10)
    with SqlUnitOfWork(engine) as uow, pytest.raises(InvalidInput, match="above the limit of 10"):
        uow.ledger.adjust("WH-B", "PHONE", 11, "receipt", ceiling=10)  # no position yet
    with SqlUnitOfWork(engine, write=False) as uow:
        position = uow.ledger.position("WH-B", "LAPTOP")
        assert position is not None and position.on_hand == 10
        assert uow.ledger.position("WH-B", "PHONE") is None
