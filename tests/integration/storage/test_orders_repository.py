"""Order intake through the real database: uniqueness per channel order, event numbering."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from dom.bootstrap import Container
from lifecycle.orders import cancel_order, create_order, record_payment
from models import Channel, Customer, Order, PaymentStatus
from models.commands import CreateOrder, Destination, LineInput
from storage.repositories.orders import SqlOrderRepository
from storage.retry import with_retries
from tests.integration.storage.helpers import seed


def command(channel_order_id: str = "W-1", qty: int = 1, price: float = 999.0,
            payment: PaymentStatus = PaymentStatus.AUTHORIZED) -> CreateOrder:
    return CreateOrder(channel=Channel.WEB, channel_order_id=channel_order_id,
                       customer=Customer(id="C-1"),
                       lines=(LineInput("1", "LAPTOP", qty, price),),
                       ship_to=Destination(lat=40.7, lon=-74.0), payment_status=payment)


def kinds_of(container: Container, order_id: str) -> list[str]:
    with container.uow(write=False) as uow:
        return [e.type for e in uow.events.for_order(order_id)]


def test_concurrent_imports_of_one_channel_order_create_one_order(container: Container) -> None:
    seed(container.engine, ["WH-A"], ["LAPTOP"])
    with ThreadPoolExecutor(max_workers=8) as pool:
        intakes = list(pool.map(
            lambda _: with_retries(lambda: create_order(container.uow_factory, command())),
            range(16)))
    assert len({i.order.id for i in intakes}) == 1
    assert sum(i.created for i in intakes) == 1
    with container.uow(write=False) as uow:
        assert len(uow.orders.page(limit=100)) == 1


def test_events_are_numbered_per_order_without_gaps(container: Container) -> None:
    seed(container.engine, ["WH-A"], ["LAPTOP"])
    first = create_order(container.uow_factory, command("W-1")).order
    second = create_order(container.uow_factory, command("W-2")).order
    record_payment(container.uow(), first.id, PaymentStatus.FAILED)
    record_payment(container.uow(), first.id, PaymentStatus.CONFIRMED)
    cancel_order(container.uow(), second.id)
    with container.uow(write=False) as uow:
        for order_id in (first.id, second.id):
            seqs = [e.seq for e in uow.events.for_order(order_id)]
            assert seqs == list(range(1, len(seqs) + 1))
        assert [e.type for e in uow.events.for_order(second.id)] == [
            "order.received", "order.status_changed", "order.cancelled"]


def test_concurrent_payment_notifications_record_one_confirmation(container: Container) -> None:
    seed(container.engine, ["WH-A"], ["LAPTOP"])
    order = create_order(container.uow_factory, command()).order
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda _: with_retries(
            lambda: record_payment(container.uow(), order.id, PaymentStatus.CONFIRMED)),
            range(12)))
    with container.uow(write=False) as uow:
        kinds = [e.type for e in uow.events.for_order(order.id)]
    assert kinds.count("payment.confirmed") == 1


def test_concurrent_paid_re_sends_of_a_pending_order_update_it_once(
        container: Container) -> None:
    seed(container.engine, ["WH-A"], ["LAPTOP"])
    pending = create_order(container.uow_factory, command(price=0.0,
                                                          payment=PaymentStatus.PENDING)).order
    with ThreadPoolExecutor(max_workers=6) as pool:
        intakes = list(pool.map(lambda _: with_retries(
            lambda: create_order(container.uow_factory, command())), range(12)))
    assert {i.order.id for i in intakes} == {pending.id} and sum(i.updated for i in intakes) == 1
    kinds = kinds_of(container, pending.id)
    assert kinds.count("payment.authorized") == kinds.count("order.priced") == 1
    with container.uow(write=False) as uow:
        stored = uow.orders.get(pending.id)
    assert stored is not None and stored.payment_status is PaymentStatus.AUTHORIZED
    assert (stored.lines[0].unit_price, stored.total) == (999.0, 999.0)


def test_a_paid_copy_that_loses_the_insert_to_its_pending_copy_still_updates_it(
        container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shopify's orders/create (pending) and a paid copy arrive together: the paid one looks
    the order up first, finds nothing, and loses the insert; it must still bring its news."""
    seed(container.engine, ["WH-A"], ["LAPTOP"])
    pending = create_order(container.uow_factory, command(payment=PaymentStatus.PENDING)).order
    lookup = SqlOrderRepository.get_by_channel_ref
    calls: list[str] = []

    def first_lookup_misses(self: SqlOrderRepository, channel: Channel,
                            channel_order_id: str) -> Order | None:
        calls.append(channel_order_id)
        return None if len(calls) == 1 else lookup(self, channel, channel_order_id)

    monkeypatch.setattr(SqlOrderRepository, "get_by_channel_ref", first_lookup_misses)
    intake = create_order(container.uow_factory, command())
    assert (intake.order.id, intake.created, intake.updated) == (pending.id, False, True)
    assert intake.order.payment_status is PaymentStatus.AUTHORIZED
    assert kinds_of(container, pending.id).count("payment.authorized") == 1
