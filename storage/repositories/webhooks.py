"""Webhook subscriptions, the fan-out cursor over the outbox, and deliveries.

Every claim is a conditional UPDATE whose row count says who won: a lease (owner and expiry) is
taken only where it is free or expired, and an outcome is recorded only by the lease's owner.
That holds on SQLite (one writer at a time) and on PostgreSQL (a concurrent UPDATE of the same
row waits for the first to commit, then re-checks the condition and matches nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    RowMapping,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from lifecycle.webhooks import DeliveryJob, FanoutCursor, OutboxEvent, Subscription
from models import new_id
from storage.repositories import outbox
from storage.tables import events, webhook_deliveries, webhook_subscriptions

CURSOR = "webhooks"  # its row in outbox_cursors
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"

_d = webhook_deliveries
_s = webhook_subscriptions


def _subscription(row: RowMapping) -> Subscription:
    return Subscription(id=row["id"], url=row["url"], events=list(row["events"]),
                        secret=row["secret"], after_position=row["after_position"],
                        created_at=row["created_at"], active=row["active"])


def _due(now: datetime) -> ColumnElement[bool]:
    """Pending, time to try, lease free, and no earlier event of its order still pending."""
    earlier = _d.alias("earlier")
    blocked = exists().where(earlier.c.subscription_id == _d.c.subscription_id,
                             earlier.c.order_id == _d.c.order_id,
                             earlier.c.status == PENDING,
                             earlier.c.event_position < _d.c.event_position)
    return and_(_d.c.status == PENDING, _d.c.next_attempt_at <= now,
                or_(_d.c.lease_owner.is_(None), _d.c.lease_expires_at < now), ~blocked)


class SqlWebhookRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # --- subscriptions --------------------------------------------------------------------------

    def add(self, subscription: Subscription) -> None:
        self._c.execute(insert(_s).values(
            id=subscription.id, url=subscription.url, events=subscription.events,
            secret=subscription.secret, active=subscription.active,
            after_position=subscription.after_position, created_at=subscription.created_at))

    def get(self, subscription_id: str) -> Subscription | None:
        row = self._c.execute(select(_s).where(_s.c.id == subscription_id)).mappings().first()
        return _subscription(row) if row else None

    def page(self, *, after: str | None = None, limit: int = 50) -> list[Subscription]:
        query = select(_s).order_by(_s.c.id).limit(limit)
        if after:
            query = query.where(_s.c.id > after)
        return [_subscription(r) for r in self._c.execute(query).mappings()]

    def delete(self, subscription_id: str) -> bool:
        # Lock the subscription first: a fan-out inserting a delivery for it holds a key-share
        # lock on it until it commits, so this waits for that delivery and deletes it too
        # (else the subscription's delete met the new delivery's foreign key: a 500).
        self._c.execute(select(_s.c.id).where(_s.c.id == subscription_id).with_for_update())
        self._c.execute(delete(_d).where(_d.c.subscription_id == subscription_id))
        return bool(self._c.execute(delete(_s).where(_s.c.id == subscription_id)).rowcount)

    def active(self) -> list[Subscription]:
        query = select(_s).where(_s.c.active.is_(True)).order_by(_s.c.id)
        return [_subscription(r) for r in self._c.execute(query).mappings()]

    def last_position(self) -> int:
        return outbox.last_position(self._c)

    # --- fan-out (the cursor row and the reads are shared with the NATS relay) ------------------

    def _cursor(self) -> outbox.CursorRow:
        return outbox.CursorRow(self._c, CURSOR)

    def claim_cursor(self, owner: str, now: datetime, until: datetime) -> FanoutCursor | None:
        """Take the cursor's lease if it is free, expired or already ours; None if it is not."""
        return self._cursor().claim(owner, now, until)

    def hold_fanout(self) -> None:
        """Make a fan-out and a new subscription take turns: whichever holds the cursor's row
        first, the other waits for its commit. A subscription reads where it starts while
        holding it, so a fan-out cannot read past that start without seeing the subscription
        (on PostgreSQL an event committed between the two would otherwise be lost to it)."""
        self._cursor().hold()

    def save_cursor(self, owner: str, cursor: FanoutCursor) -> bool:
        """Move the cursor and free its lease, only if ``owner`` still holds it."""
        return self._cursor().save(owner, cursor)

    def outbox_after(self, position: int, limit: int) -> list[OutboxEvent]:
        return outbox.outbox_after(self._c, position, limit)

    def outbox_at(self, positions: Sequence[int]) -> list[OutboxEvent]:
        return outbox.outbox_at(self._c, positions)

    def add_deliveries(self, pairs: Sequence[tuple[Subscription, OutboxEvent]],
                       now: datetime) -> None:
        if not pairs:
            return
        self._c.execute(insert(_d), [
            {"id": new_id("dlv"), "subscription_id": s.id, "event_id": e.event.id,
             "event_position": e.position, "order_id": e.event.order_id, "status": PENDING,
             "attempts": 0, "next_attempt_at": now, "created_at": now} for s, e in pairs])

    # --- deliveries -----------------------------------------------------------------------------

    def due(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        """(delivery id, subscription id) of deliveries to send now, taken in turn across
        subscriptions (each one's oldest event, then each one's next...): a subscriber whose
        backlog is longer than ``limit`` (a receiver down for a while) leaves room in every
        batch for the others' new events."""
        turn = func.row_number().over(partition_by=_d.c.subscription_id,
                                      order_by=(_d.c.event_position, _d.c.id)).label("turn")
        ranked = select(_d.c.id, _d.c.subscription_id, _d.c.event_position,
                        turn).where(_due(now)).subquery()
        query = (select(ranked.c.id, ranked.c.subscription_id)
                 .order_by(ranked.c.turn, ranked.c.event_position, ranked.c.id).limit(limit))
        return [(r.id, r.subscription_id) for r in self._c.execute(query)]

    def claim(self, delivery_id: str, owner: str, now: datetime,
              until: datetime) -> DeliveryJob | None:
        """Take the delivery's lease if it is still due; None when another dispatcher has it."""
        taken = self._c.execute(update(_d).where(_d.c.id == delivery_id, _due(now))
                                .values(lease_owner=owner, lease_expires_at=until))
        if not taken.rowcount:
            return None
        row = self._c.execute(
            select(events, _d.c.attempts, _d.c.created_at.label("delivery_created_at"),
                   _s.c.url, _s.c.secret)
            .join(_d, _d.c.event_position == events.c.position)
            .join(_s, _s.c.id == _d.c.subscription_id)
            .where(_d.c.id == delivery_id)).mappings().one()
        return DeliveryJob(delivery_id=delivery_id, url=row["url"], secret=row["secret"],
                           event=outbox.event_of(row), attempts=row["attempts"],
                           created_at=row["delivery_created_at"])

    def delivered(self, delivery_id: str, owner: str, now: datetime, status_code: int) -> bool:
        done = self._c.execute(
            update(_d).where(_d.c.id == delivery_id, _d.c.lease_owner == owner)
            .values(status=DELIVERED, attempts=_d.c.attempts + 1, delivered_at=now,
                    last_status_code=status_code, last_error=None, lease_owner=None,
                    lease_expires_at=None))
        return bool(done.rowcount)

    def attempt_failed(self, delivery_id: str, owner: str, *, status_code: int | None,
                       error: str, next_at: datetime | None) -> bool:
        """Count the failed attempt; try again at ``next_at``, or give up when it is None."""
        values = ({"next_attempt_at": next_at} if next_at is not None
                  else {"status": FAILED})
        done = self._c.execute(
            update(_d).where(_d.c.id == delivery_id, _d.c.lease_owner == owner)
            .values(attempts=_d.c.attempts + 1, last_status_code=status_code,
                    last_error=error[:2000], lease_owner=None, lease_expires_at=None,
                    **values))
        return bool(done.rowcount)
