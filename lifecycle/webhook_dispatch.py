"""From the outbox to the subscribers, safe with any number of dispatchers (processes, hosts).

Two steps, each claimed in the database so two dispatchers never do the same work at once:

- Fan-out: one dispatcher at a time holds the outbox cursor (one row, taken with a conditional
  UPDATE that sets a lease owner and expiry only when the lease is free or expired). It reads
  the events after the cursor, adds one delivery per matching subscription (unique per
  subscription and event) and moves the cursor on, in one transaction that checks it still
  holds the lease. Positions not yet visible (PostgreSQL hands them out before the writing
  transaction commits) are kept as gaps and read again until they appear or time out.
- Delivery: a due delivery is claimed the same way, sent outside any transaction, then marked
  delivered or rescheduled (5 s, doubling, at most 10 minutes; failed after 3 days) by the
  owner of the lease. A delivery is due only when no earlier event of the same order is still
  pending for its subscription, so each subscriber sees an order's events in order.

At least once: a dispatcher that dies after sending but before recording it leaves a lease
that expires, and the delivery is sent again with the same ``webhook-id``.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx

from lifecycle.outbox import read_outbox
from lifecycle.uow import UowFactory, WebhookRepository
from lifecycle.webhook_guard import RefusedDestination, Resolver, check_destination, system_resolver
from lifecycle.webhooks import (
    DeliveryJob,
    FanoutCursor,
    OutboxEvent,
    Subscription,
    body_of,
    headers_for,
    next_attempt,
)

log = logging.getLogger("dom.webhooks")

Clock = Callable[[], datetime]
SEND_TIMEOUT_S = 5.0


def system_clock() -> datetime:
    return datetime.now(UTC)


def dispatcher_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Sender(Protocol):
    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> SendResult: ...


class HttpSender:
    """POST with a bounded time, never following redirects, never reading a large answer."""

    def __init__(self, timeout_s: float = SEND_TIMEOUT_S) -> None:
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False)

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> SendResult:
        try:
            with self._client.stream("POST", url, content=body, headers=dict(headers)) as answer:
                code = answer.status_code
        except httpx.HTTPError as error:
            return SendResult(None, f"{type(error).__name__}: {error}"[:500])
        return SendResult(code, None if 200 <= code < 300 else f"answered HTTP {code}")

    def close(self) -> None:
        self._client.close()


@dataclass(frozen=True)
class PassResult:
    events_read: int = 0
    delivered: int = 0
    failed: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.events_read or self.delivered or self.failed)


class WebhookDispatcher:
    """One dispatcher; run ``run_once()`` in a loop (see ``api.routers.webhooks``)."""

    def __init__(self, uow_factory: UowFactory, *, sender: Sender, allow_private: bool,
                 reader: UowFactory | None = None, clock: Clock = system_clock,
                 owner: str | None = None, batch: int = 200,
                 lease: timedelta = timedelta(seconds=60),
                 gap_timeout: timedelta = timedelta(seconds=60),
                 resolve: Resolver = system_resolver) -> None:
        self._uow = uow_factory
        self._reader = reader or uow_factory
        self._send = sender
        self._allow_private = allow_private
        self._clock = clock
        self.owner = owner or dispatcher_id()
        self._batch = batch
        self._lease = lease
        self._gap_timeout = gap_timeout
        self._resolve = resolve
        self._stopping = threading.Event()
        self._quiet_at: int | None = None

    def stop(self) -> None:
        """Finish the delivery under way and take no new one."""
        self._stopping.set()

    def run_once(self) -> PassResult:
        events_read = self.fan_out()
        delivered, failed = self.deliver_due()
        return PassResult(events_read, delivered, failed)

    # --- fan-out --------------------------------------------------------------------------------

    def fan_out(self) -> int:
        """Turn new outbox events into deliveries; the number of events read."""
        with self._reader() as uow:
            high = uow.webhooks.last_position()
            if high == self._quiet_at:
                return 0  # nothing written since our last pass, which left no gaps
            if not uow.webhooks.active():
                # the cursor stays: on PostgreSQL a subscription being created may still be
                # owed events committing now (its start is read before it commits), and the
                # next pass with a subscriber reads from the lowest start anyway (``floor``)
                return 0
        now = self._clock()
        with self._uow() as uow:
            cursor = uow.webhooks.claim_cursor(self.owner, now, now + self._lease)
            uow.commit()
        if cursor is None:
            return 0  # another dispatcher is fanning out
        with self._uow() as uow:
            uow.webhooks.hold_fanout()  # a subscription being created commits first, or waits
            subscriptions = uow.webhooks.active()
            events, moved = self._read_outbox(uow.webhooks, cursor, subscriptions, now)
            pairs = [(s, e) for e in events for s in subscriptions
                     if e.position > s.after_position and s.wants(e.event.type)]
            uow.webhooks.add_deliveries(pairs, now)
            if not uow.webhooks.save_cursor(self.owner, moved):
                uow.rollback()  # our lease ran out and another dispatcher took over
                return 0
            uow.commit()
        self._quiet_at = high if not moved.gaps and moved.position >= high else None
        return len(events)

    def _read_outbox(self, repo: WebhookRepository, cursor: FanoutCursor,
                     subscriptions: list[Subscription], now: datetime
                     ) -> tuple[list[OutboxEvent], FanoutCursor]:
        """Events after the cursor and in its gaps, oldest first, and the cursor after them
        (gaps and all: see ``lifecycle.outbox``)."""
        floor = min((s.after_position for s in subscriptions), default=cursor.position)
        batch = read_outbox(repo, cursor, now, limit=self._batch, gap_timeout=self._gap_timeout,
                            floor=floor)
        return batch.events, batch.end

    # --- delivery -------------------------------------------------------------------------------

    def deliver_due(self) -> tuple[int, int]:
        """Send what is due; (delivered, failed attempts). After a failure the subscription's
        other deliveries wait for the next pass, so one dead receiver cannot stall the rest."""
        with self._reader() as uow:
            due = uow.webhooks.due(self._clock(), self._batch)
        delivered = failed = 0
        broken: set[str] = set()
        for delivery_id, subscription_id in due:
            if self._stopping.is_set():
                break
            if subscription_id in broken:
                continue
            outcome = self._deliver(delivery_id)
            if outcome is True:
                delivered += 1
            elif outcome is False:
                failed += 1
                broken.add(subscription_id)
        return delivered, failed

    def _deliver(self, delivery_id: str) -> bool | None:
        """Claim, send, record: True if acknowledged, False if not, None if not ours."""
        now = self._clock()
        with self._uow() as uow:
            job = uow.webhooks.claim(delivery_id, self.owner, now, now + self._lease)
            uow.commit()
        if job is None:
            return None
        result = self._post(job)
        done = self._clock()
        with self._uow() as uow:
            if result.ok:
                assert result.status_code is not None
                recorded = uow.webhooks.delivered(delivery_id, self.owner, done,
                                                  result.status_code)
            else:
                retry_at = next_attempt(job.created_at, job.attempts + 1, done)
                recorded = uow.webhooks.attempt_failed(
                    delivery_id, self.owner, status_code=result.status_code,
                    error=result.error or "not acknowledged", next_at=retry_at)
                log.warning("webhook %s to %s failed (attempt %d): %s; %s", job.event.id,
                            job.url, job.attempts + 1, result.error,
                            f"next at {retry_at:%H:%M:%S}" if retry_at else "giving up")
            uow.commit()
        if not recorded:
            log.warning("webhook delivery %s: lease lost before the outcome was recorded",
                        delivery_id)
        return result.ok

    def _post(self, job: DeliveryJob) -> SendResult:
        try:
            check_destination(job.url, allow_private=self._allow_private,
                              resolve=self._resolve)
        except RefusedDestination as refused:
            return SendResult(None, refused.detail)
        assert job.event.id is not None
        body = body_of(job.event)
        timestamp = int(self._clock().timestamp())
        return self._send(job.url, body.encode(),
                          headers_for(job.secret, job.event.id, timestamp, body))
