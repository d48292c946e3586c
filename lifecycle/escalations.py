"""Operations close escalations; the order's timeline records who did and how.

Some close themselves when what they asked a person to watch is over: a delay or a shelf at
risk once the goods were delivered, rejected or cancelled (the risk also once they left or the
shortfall was reported), a closed pickup store once the order is allocated for pickup again.
``by`` is then ``dom``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime

from lifecycle.rules import save_order
from lifecycle.uow import UnitOfWork
from models import Conflict, NotFound, Order
from models.exceptions import Escalation

OPEN_PAGE = 500

# Escalations about work a cancel stops (an order's, or one fulfillment's: a pickup not
# collected): nothing is left for a person to watch.
WATCHING = ("fulfillment_delayed", "fulfillment_at_risk", "pickup_unavailable")


def resolve(uow: UnitOfWork, escalation_id: str, by: str, resolution: str | None) -> Escalation:
    with uow:
        escalation = uow.escalations.get(escalation_id)
        if escalation is None:
            raise NotFound(f"escalation {escalation_id!r} does not exist")
        if escalation.status != "open":
            raise Conflict(f"escalation {escalation_id} is already {escalation.status}")
        order = uow.orders.get(escalation.order_id)
        _close(uow, escalation, order, by, resolution, datetime.now(UTC))
        if order is not None:
            save_order(uow, order)
        uow.commit()
    return escalation


def close_settled(uow: UnitOfWork, order: Order, about: Collection[str] | None,
                  kinds: Iterable[str], resolution: str, now: datetime) -> int:
    """Resolve the order's open escalations of ``kinds`` about these fulfillments (None: about
    any), inside the caller's transaction (the caller saves the order); the number closed."""
    wanted = set(kinds)
    found = [e for e in uow.escalations.page(status="open", order_id=order.id, limit=OPEN_PAGE)
             if e.kind in wanted and (about is None or e.fulfillment_id in about)]
    for escalation in found:
        _close(uow, escalation, order, "dom", resolution, now)
    return len(found)


def _close(uow: UnitOfWork, escalation: Escalation, order: Order | None, by: str,
           resolution: str | None, now: datetime) -> None:
    escalation.status = "resolved"
    escalation.resolved_at = now
    escalation.resolved_by = by
    escalation.resolution = resolution
    uow.escalations.save(escalation)
    if order is not None:
        order.record("escalation.resolved",
                     f"Escalation resolved by {by}" + (f": {resolution}" if resolution else ""),
                     fulfillment_id=escalation.fulfillment_id, escalation_id=escalation.id,
                     by=by)
