"""Customer services, escalations and notifications."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, RowMapping, insert, select, update
from sqlalchemy.exc import IntegrityError

from models.exceptions import Escalation, Notification
from models.services import CustomerService
from storage.tables import customer_services, escalations, notifications


def _service(row: RowMapping) -> CustomerService:
    return CustomerService(
        id=row["id"], customer_id=row["customer_id"], order_id=row["order_id"],
        line_id=row["line_id"], sku=row["sku"], name=row["name"],
        starts=date.fromisoformat(row["starts"]),
        ends=date.fromisoformat(row["ends"]) if row["ends"] else None,
        registered_at=row["registered_at"], service_type=row["service_type"],
        covers_line_id=row["covers_line_id"], covers_sku=row["covers_sku"], status=row["status"],
        qty=row["qty"], source=row["source"])


def _escalation(row: RowMapping) -> Escalation:
    return Escalation(**{k: row[k] for k in (
        "id", "order_id", "kind", "severity", "reason", "status", "opened_at", "dedupe_key",
        "fulfillment_id", "resolved_at", "resolved_by", "resolution")})


def _notification(row: RowMapping) -> Notification:
    return Notification(**{k: row[k] for k in (
        "id", "order_id", "customer_id", "channel", "recipient", "template", "subject", "body",
        "sent_at", "event_id")})


class SqlServiceRegistry:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, service: CustomerService) -> bool:
        """Register once per order line and source; returns False when it already was."""
        try:
            with self._c.begin_nested():
                self._c.execute(insert(customer_services).values(
                    id=service.id, customer_id=service.customer_id, order_id=service.order_id,
                    line_id=service.line_id, sku=service.sku, name=service.name,
                    service_type=service.service_type, covers_line_id=service.covers_line_id,
                    covers_sku=service.covers_sku, starts=service.starts.isoformat(),
                    ends=service.ends.isoformat() if service.ends else None,
                    status=service.status, registered_at=service.registered_at,
                    qty=service.qty, source=service.source))
        except IntegrityError:
            return False
        return True

    def for_customer(self, customer_id: str, *, after: str | None = None,
                     limit: int = 50) -> list[CustomerService]:
        query = (select(customer_services).where(customer_services.c.customer_id == customer_id)
                 .order_by(customer_services.c.id).limit(limit))
        if after:
            query = query.where(customer_services.c.id > after)
        return [_service(r) for r in self._c.execute(query).mappings()]

    def for_order(self, order_id: str) -> list[CustomerService]:
        rows = self._c.execute(select(customer_services)
                               .where(customer_services.c.order_id == order_id)).mappings()
        return [_service(r) for r in rows]

    def cancel_for_order(self, order_id: str) -> list[str]:
        """Cancel the order's active registrations; the lines they were for."""
        active = (customer_services.c.order_id == order_id) & \
            (customer_services.c.status == "active")
        lines = sorted({r.line_id for r in self._c.execute(
            select(customer_services.c.line_id).where(active))})
        self._c.execute(update(customer_services).where(active).values(status="cancelled"))
        return lines


class SqlEscalationRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def open(self, escalation: Escalation) -> bool:
        """Open unless an open one has the same dedupe key; returns True when opened.

        Resolved escalations with that key do not count: trouble that comes back after staff
        closed it deserves a new one. The look-up spares a savepoint in the usual case; the
        partial unique index (open rows only) settles two transactions racing past it.
        """
        if self._open_with(escalation.dedupe_key):
            return False
        try:
            with self._c.begin_nested():
                self._c.execute(insert(escalations).values(**vars(escalation)))
        except IntegrityError:
            return False
        return True

    def _open_with(self, dedupe_key: str) -> bool:
        found = self._c.execute(select(escalations.c.id).where(
            escalations.c.dedupe_key == dedupe_key, escalations.c.status == "open")).first()
        return found is not None

    def get(self, escalation_id: str) -> Escalation | None:
        row = self._c.execute(select(escalations).where(escalations.c.id == escalation_id)
                              ).mappings().first()
        return _escalation(row) if row else None

    def save(self, escalation: Escalation) -> None:
        self._c.execute(update(escalations).where(escalations.c.id == escalation.id).values(
            status=escalation.status, resolved_at=escalation.resolved_at,
            resolved_by=escalation.resolved_by, resolution=escalation.resolution))

    def page(self, *, status: str | None = None, order_id: str | None = None,
             after: str | None = None, limit: int = 50) -> list[Escalation]:
        query = select(escalations).order_by(escalations.c.id).limit(limit)
        if status:
            query = query.where(escalations.c.status == status)
        if order_id:
            query = query.where(escalations.c.order_id == order_id)
        if after:
            query = query.where(escalations.c.id > after)
        return [_escalation(r) for r in self._c.execute(query).mappings()]


class SqlNotificationLog:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, notification: Notification) -> None:
        self._c.execute(insert(notifications).values(**vars(notification)))

    def page(self, *, order_id: str | None = None, after: str | None = None,
             limit: int = 50) -> list[Notification]:
        query = select(notifications).order_by(notifications.c.id).limit(limit)
        if order_id:
            query = query.where(notifications.c.order_id == order_id)
        if after:
            query = query.where(notifications.c.id > after)
        return [_notification(r) for r in self._c.execute(query).mappings()]
