"""Operations close escalations; the order's timeline records who did and how."""

from __future__ import annotations

from datetime import UTC, datetime

from lifecycle.rules import save_order
from lifecycle.uow import UnitOfWork
from models import Conflict, NotFound
from models.exceptions import Escalation


def resolve(uow: UnitOfWork, escalation_id: str, by: str, resolution: str | None) -> Escalation:
    with uow:
        escalation = uow.escalations.get(escalation_id)
        if escalation is None:
            raise NotFound(f"escalation {escalation_id!r} does not exist")
        if escalation.status != "open":
            raise Conflict(f"escalation {escalation_id} is already {escalation.status}")
        escalation.status = "resolved"
        escalation.resolved_at = datetime.now(UTC)
        escalation.resolved_by = by
        escalation.resolution = resolution
        uow.escalations.save(escalation)
        order = uow.orders.get(escalation.order_id)
        if order is not None:
            order.record("escalation.resolved",
                         f"Escalation resolved by {by}" + (f": {resolution}" if resolution else ""),
                         fulfillment_id=escalation.fulfillment_id, escalation_id=escalation.id,
                         by=by)
            save_order(uow, order)
        uow.commit()
    return escalation
