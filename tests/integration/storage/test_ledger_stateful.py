"""A hypothesis state machine drives the ledger with reserve / release / consume / adjust / set
and checks its invariants after every step, against a plain-Python model of the same stock."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine, text

from models import InsufficientStock, InvalidInput, ReservationRequest, ReservationStatus
from storage import SqlUnitOfWork, make_engine
from storage.tables import metadata
from tests.integration.storage.helpers import seed

LOCATIONS = ["L1", "L2"]
SKUS = ["A", "B"]
POSITIONS = [(loc, sku) for loc in LOCATIONS for sku in SKUS]


def _reset(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(text(f"DELETE FROM {table.name}"))


def make_machine(engine: Engine) -> type[RuleBasedStateMachine]:
    counter = itertools.count()

    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            _reset(engine)
            seed(engine, LOCATIONS, SKUS, {p: 3 for p in POSITIONS})
            self.on_hand = {p: 3 for p in POSITIONS}
            self.safety = {p: 0 for p in POSITIONS}
            self.active: dict[str, tuple[tuple[str, str], int]] = {}

        def reserved(self, position: tuple[str, str]) -> int:
            return sum(q for p, q in self.active.values() if p == position)

        def free(self, position: tuple[str, str]) -> int:
            return self.on_hand[position] - self.reserved(position) - self.safety[position]

        @rule(plan=st.lists(st.tuples(st.sampled_from(POSITIONS), st.integers(1, 3)),
                            min_size=1, max_size=3))
        def reserve(self, plan: list[tuple[tuple[str, str], int]]) -> None:
            order = f"ord_{next(counter)}"
            wanted: dict[tuple[str, str], int] = {}
            for position, qty in plan:
                wanted[position] = wanted.get(position, 0) + qty
            fits = all(self.free(p) >= q for p, q in wanted.items())
            requests = [ReservationRequest(order, str(i), p[0], p[1], q)
                        for i, (p, q) in enumerate(plan)]
            try:
                with SqlUnitOfWork(engine) as uow:
                    made = uow.ledger.reserve(requests)
                    uow.commit()
            except InsufficientStock:
                assert not fits, "refused a plan that fits"
                return
            assert fits, "accepted a plan that does not fit"
            for reservation in made:
                self.active[reservation.id] = ((reservation.location_id, reservation.sku),
                                               reservation.qty)

        @rule(data=st.data(), partial=st.booleans())
        def release(self, data: st.DataObject, partial: bool) -> None:
            if not self.active:
                return
            rid = data.draw(st.sampled_from(list(self.active)))
            position, qty = self.active[rid]
            amount = 1 if partial else qty
            with SqlUnitOfWork(engine) as uow:
                assert uow.ledger.release(rid, amount) == amount
                uow.commit()
            if amount == qty:
                del self.active[rid]
            else:
                self.active[rid] = (position, qty - amount)

        @rule(data=st.data())
        def consume(self, data: st.DataObject) -> None:
            if not self.active:
                return
            rid = data.draw(st.sampled_from(list(self.active)))
            position, qty = self.active[rid]
            if self.on_hand[position] < qty:
                return  # counted below reserved: consume would rightly refuse
            with SqlUnitOfWork(engine) as uow:
                assert uow.ledger.consume(rid) == qty
                uow.commit()
            del self.active[rid]
            self.on_hand[position] -= qty

        @rule(position=st.sampled_from(POSITIONS), delta=st.integers(-4, 4).filter(bool))
        def adjust(self, position: tuple[str, str], delta: int) -> None:
            try:
                with SqlUnitOfWork(engine) as uow:
                    uow.ledger.adjust(position[0], position[1], delta, "count")
                    uow.commit()
            except InvalidInput:
                assert self.on_hand[position] + delta < 0
                return
            self.on_hand[position] += delta

        @rule(position=st.sampled_from(POSITIONS), on_hand=st.integers(0, 6),
              safety=st.integers(0, 2))
        def set_position(self, position: tuple[str, str], on_hand: int, safety: int) -> None:
            with SqlUnitOfWork(engine) as uow:
                uow.ledger.set_position(position[0], position[1], on_hand, safety)
                uow.commit()
            self.on_hand[position] = on_hand
            self.safety[position] = safety

        @invariant()
        def ledger_balances_and_matches_the_model(self) -> None:
            with SqlUnitOfWork(engine, write=False) as uow:
                assert uow.ledger.invariant_violations() == []
                for position in POSITIONS:
                    found = uow.ledger.position(*position)
                    assert found is not None
                    assert found.on_hand == self.on_hand[position]
                    assert found.reserved == self.reserved(position)
                    assert found.available == max(0, self.free(position))
                    assert min(found.on_hand, found.reserved, found.safety_stock) >= 0
                active = uow.ledger.reservations(status=ReservationStatus.ACTIVE)
                assert {r.id for r in active} == set(self.active)

    return LedgerMachine


@pytest.mark.parametrize("steps", [25])
def test_ledger_invariants_hold_after_every_operation(database_url: str, steps: int) -> None:
    engine = make_engine(database_url)
    try:
        run_state_machine_as_test(
            make_machine(engine),
            settings=settings(max_examples=30, stateful_step_count=steps, deadline=None))
    finally:
        engine.dispose()
