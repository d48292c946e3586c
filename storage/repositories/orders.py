"""Orders and their lines, one repository for every channel."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update
from sqlalchemy.exc import IntegrityError

from models import (
    Channel,
    ConcurrentUpdate,
    Customer,
    Delivery,
    DeliveryMethod,
    DuplicateChannelOrder,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    ShipTo,
)
from models.catalog import ServiceTerms
from storage.clock import utcnow
from storage.repositories import IN_CHUNK
from storage.repositories.events import SqlEventStore
from storage.tables import order_lines, orders


def _customer_json(customer: Customer) -> dict[str, Any]:
    return {k: v for k, v in vars(customer).items() if v is not None}


def _ship_to_json(ship_to: ShipTo | None) -> dict[str, Any] | None:
    return None if ship_to is None else {k: v for k, v in vars(ship_to).items() if v is not None}


def _to_order(row: RowMapping, lines: list[OrderLine]) -> Order:
    return Order(
        id=row["id"], channel=Channel(row["channel"]), channel_order_id=row["channel_order_id"],
        source=row["source"], customer=Customer(**row["customer"]), lines=lines,
        delivery=Delivery(DeliveryMethod(row["delivery_method"]), row["pickup_location_id"],
                          row["deliver_by"]),
        ship_to=ShipTo(**row["ship_to"]) if row["ship_to"] else None,
        tracking_token=row["tracking_token"], created_at=row["created_at"],
        updated_at=row["updated_at"], placed_at=row["placed_at"], priority=row["priority"],
        currency=row["currency"], payment_status=PaymentStatus(row["payment_status"]),
        status=OrderStatus(row["status"]), hold_reason=row["hold_reason"],
        attributes=row["attributes"] or {}, version=row["version"],
    )


def _to_line(row: RowMapping) -> OrderLine:
    service = ServiceTerms(row["service_name"], row["service_type"], row["term_months"]) \
        if row["service_name"] is not None else None
    return OrderLine(line_id=row["line_id"], sku=row["sku"], qty=row["qty"],
                     unit_price=row["unit_price"], covers_line_id=row["covers_line_id"],
                     is_service=row["is_service"], service=service)


class SqlOrderRepository:
    def __init__(self, connection: Connection, event_store: SqlEventStore) -> None:
        self._c = connection
        self._events = event_store

    def add(self, order: Order) -> None:
        """Insert a new order with its lines and the events it recorded."""
        now = utcnow()
        order.updated_at = now
        try:
            with self._c.begin_nested():
                self._insert(order, now)
        except IntegrityError as error:
            if self.get_by_channel_ref(order.channel, order.channel_order_id) is not None:
                raise DuplicateChannelOrder(order.channel.value, order.channel_order_id) from error
            raise
        self._c.execute(insert(order_lines), [
            {"order_id": order.id, "line_id": line.line_id, "position": index, "sku": line.sku,
             "qty": line.qty, "unit_price": line.unit_price,
             "covers_line_id": line.covers_line_id, "is_service": line.is_service,
             "service_name": line.service.name if line.service else None,
             "service_type": line.service.service_type if line.service else None,
             "term_months": line.service.term_months if line.service else None}
            for index, line in enumerate(order.lines)
        ])
        self._flush_events(order)

    def _insert(self, order: Order, now: datetime) -> None:
        self._c.execute(insert(orders).values(
            id=order.id, channel=order.channel.value, channel_order_id=order.channel_order_id,
            source=order.source, customer_id=order.customer.id,
            customer=_customer_json(order.customer), ship_to=_ship_to_json(order.ship_to),
            delivery_method=order.delivery.method.value,
            pickup_location_id=order.delivery.location_id,
            deliver_by=order.delivery.deliver_by, priority=order.priority,
            currency=order.currency, payment_status=order.payment_status.value,
            status=order.status.value, hold_reason=order.hold_reason,
            tracking_token=order.tracking_token, total=order.total, attributes=order.attributes,
            placed_at=order.placed_at, created_at=order.created_at, updated_at=now,
            version=order.version, event_seq=0,
        ))

    def save(self, order: Order) -> None:
        """Write the order's changed state, refusing if another transaction changed it first."""
        now = utcnow()
        result = self._c.execute(
            update(orders).where(orders.c.id == order.id, orders.c.version == order.version)
            .values(status=order.status.value, payment_status=order.payment_status.value,
                    hold_reason=order.hold_reason, attributes=order.attributes,
                    priority=order.priority, updated_at=now, version=order.version + 1)
        )
        if not result.rowcount:
            raise ConcurrentUpdate(f"order {order.id} was changed by another request; retry")
        order.version += 1
        order.updated_at = now
        self._flush_events(order)

    def save_prices(self, order: Order, prices: Mapping[str, float]) -> None:
        """Write new unit prices (line id -> price) and the order's total (prices a channel
        sent after the order: see ``lifecycle.orders.create_order``); ``save`` writes the rest."""
        for line_id, price in prices.items():
            self._c.execute(update(order_lines)
                            .where(order_lines.c.order_id == order.id,
                                   order_lines.c.line_id == line_id)
                            .values(unit_price=price))
        self._c.execute(update(orders).where(orders.c.id == order.id)
                        .values(total=order.total))

    def _flush_events(self, order: Order) -> None:
        pending, order.events = order.events, []
        self._events.append(order.id, pending)

    def get(self, order_id: str) -> Order | None:
        row = self._c.execute(select(orders).where(orders.c.id == order_id)).mappings().first()
        return self._load(row) if row else None

    def get_many(self, order_ids: Iterable[str]) -> dict[str, Order]:
        """The orders with these ids (those that exist), in two queries per chunk of ids."""
        ids = sorted(set(order_ids))
        rows: list[RowMapping] = []
        for start in range(0, len(ids), IN_CHUNK):  # SQLite caps bound parameters per query
            rows += self._c.execute(select(orders).where(
                orders.c.id.in_(ids[start:start + IN_CHUNK]))).mappings()
        return {order.id: order for order in self._with_lines(rows)}

    def get_by_channel_ref(self, channel: Channel, channel_order_id: str) -> Order | None:
        row = self._c.execute(select(orders).where(
            orders.c.channel == channel.value, orders.c.channel_order_id == channel_order_id
        )).mappings().first()
        return self._load(row) if row else None

    def _load(self, row: RowMapping) -> Order:
        lines = self._c.execute(select(order_lines).where(order_lines.c.order_id == row["id"])
                                .order_by(order_lines.c.position)).mappings()
        return _to_order(row, [_to_line(r) for r in lines])

    def with_statuses(self, statuses: list[str], limit: int = 100_000) -> list[Order]:
        """Orders in any of ``statuses``, oldest first (the order a queue is worked in)."""
        rows = list(self._c.execute(select(orders).where(orders.c.status.in_(statuses))
                                    .order_by(orders.c.id).limit(limit)).mappings())
        return self._with_lines(rows)

    def page(self, *, status: str | None = None, channel: str | None = None,
             customer_id: str | None = None, before_id: str | None = None,
             limit: int = 50) -> list[Order]:
        """Newest first across every channel; ``before_id`` is the keyset cursor."""
        query = select(orders).order_by(orders.c.id.desc()).limit(limit)
        if status:
            query = query.where(orders.c.status == status)
        if channel:
            query = query.where(orders.c.channel == channel)
        if customer_id:
            query = query.where(orders.c.customer_id == customer_id)
        if before_id:
            query = query.where(orders.c.id < before_id)
        return self._with_lines(list(self._c.execute(query).mappings()))

    def _with_lines(self, rows: list[RowMapping]) -> list[Order]:
        """Orders for ``rows`` with all their lines read in one query, not one per order."""
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        lines: dict[str, list[OrderLine]] = {i: [] for i in ids}
        for start in range(0, len(ids), IN_CHUNK):  # SQLite caps bound parameters per query
            chunk = ids[start:start + IN_CHUNK]
            for line in self._c.execute(select(order_lines)
                                        .where(order_lines.c.order_id.in_(chunk))
                                        .order_by(order_lines.c.position)).mappings():
                lines[line["order_id"]].append(_to_line(line))
        return [_to_order(r, lines[r["id"]]) for r in rows]
