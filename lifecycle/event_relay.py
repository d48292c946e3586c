"""The outbox relay: every stored event handed to a message broker, at least once, in order.

One relay at a time moves the ``nats`` outbox cursor (a row with a lease, the same mechanism
as the webhook fan-out), however many API workers and hosts run one. A pass:

1. claim the cursor (a conditional UPDATE: only when its lease is free or expired);
2. read the events after it and in its gaps (``lifecycle.outbox``), oldest first;
3. hand them to the ``Publisher`` one by one, each waiting for the broker's acknowledgement,
   so the broker stores them in position order, hence each order's events in order;
4. move the cursor past the acknowledged ones and free the lease, only if still its holder.

A relay that dies between 3 and 4 moved nothing: once its lease runs out the next relay
publishes those events again. The broker drops the repeats by message id (JetStream's
``Nats-Msg-Id`` is the event id) within its duplicate window, and a consumer that also
de-duplicates by event id never sees one twice. A publish that fails stops the pass: the
cursor keeps the acknowledged ones and the rest are tried again after a pause that doubles.

Nothing here knows the broker: ``broker.jetstream`` provides the NATS publisher.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from lifecycle.outbox import OutboxEvent, read_outbox
from lifecycle.uow import UowFactory
from lifecycle.webhook_dispatch import Clock, dispatcher_id, system_clock

log = logging.getLogger("dom.relay")

CURSOR = "nats"


class PublishError(Exception):
    """The broker did not acknowledge the event (down, timed out, refused it)."""


class Publisher(Protocol):
    def publish(self, item: OutboxEvent) -> bool:
        """Return once the broker has stored the event: True if it was a duplicate it had
        already stored (and dropped), False if new. Raise ``PublishError`` otherwise."""
        ...


@dataclass(frozen=True)
class RelayPass:
    """What one pass did: events read, acknowledged, of those already stored, and why it
    stopped early (``error``) if it did."""

    read: int = 0
    published: int = 0
    duplicates: int = 0
    error: str | None = None

    @property
    def busy(self) -> bool:
        """Worth another pass at once: it moved events and nothing failed."""
        return self.published > 0 and self.error is None


class EventRelay:
    """One relay; run ``run_once()`` in a loop (``run_until`` does, with backoff)."""

    def __init__(self, uow_factory: UowFactory, publisher: Publisher, *,
                 reader: UowFactory | None = None, clock: Clock = system_clock,
                 owner: str | None = None, cursor: str = CURSOR, batch: int = 500,
                 lease: timedelta = timedelta(seconds=30),
                 gap_timeout: timedelta = timedelta(minutes=5)) -> None:
        self._uow = uow_factory
        self._reader = reader or uow_factory
        self._publisher = publisher
        self._clock = clock
        self.owner = owner or dispatcher_id()
        self._cursor = cursor
        self._batch = batch
        self._lease = lease
        self._gap_timeout = gap_timeout
        self._stopping = threading.Event()
        self._quiet_at: int | None = None

    def stop(self) -> None:
        """Finish the event being published, record progress, take no new one."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def run_once(self) -> RelayPass:
        with self._reader() as uow:
            high = uow.outbox.last_position()
        if high == self._quiet_at:
            return RelayPass()  # nothing written since our last pass, which left no gaps
        now = self._clock()
        with self._uow() as uow:
            cursor = uow.outbox.claim_cursor(self._cursor, self.owner, now, now + self._lease)
            uow.commit()
        if cursor is None:
            return RelayPass()  # another relay holds the cursor
        with self._reader() as uow:
            batch = read_outbox(uow.outbox, cursor, now, limit=self._batch,
                                gap_timeout=self._gap_timeout)
        # Stop well before the lease runs out, so no other relay takes over mid-pass.
        deadline = now + self._lease / 2
        published = duplicates = 0
        error: str | None = None
        for item in batch.events:
            if self._stopping.is_set() or self._clock() >= deadline:
                break
            try:
                duplicate = self._publisher.publish(item)
            except PublishError as failed:
                error = str(failed) or type(failed).__name__
                log.warning("relay: event %s (position %d) not acknowledged: %s",
                            item.event.id, item.position, error)
                break
            published += 1
            duplicates += int(duplicate)
        moved = batch.cursor_after(published)
        with self._uow() as uow:
            saved = uow.outbox.save_cursor(self._cursor, self.owner, moved)
            uow.commit()
        if not saved:
            log.warning("relay: lease on the %r cursor lost before saving; the next holder "
                        "publishes these events again", self._cursor)
        done = saved and error is None and published == len(batch.events)
        self._quiet_at = high if done and not moved.gaps and moved.position >= high else None
        return RelayPass(len(batch.events), published, duplicates, error)


def run_until(relay: EventRelay, stop: threading.Event, *, interval_s: float = 0.5,
              max_backoff_s: float = 30.0) -> None:
    """Run passes until ``stop`` is set: at once while busy, every ``interval_s`` when idle,
    and after a failure (broker or database down) after a pause that doubles up to
    ``max_backoff_s``. Never raises: the server it runs in must not fall over with it."""
    pause = interval_s
    failing = False
    while not stop.is_set() and not relay.stopping:
        try:
            outcome = relay.run_once()
            problem = outcome.error
        except Exception as error:
            log.exception("relay pass failed")
            outcome, problem = RelayPass(), f"{type(error).__name__}: {error}"
        if problem is None:
            if failing:
                log.info("relay: publishing again")
            failing, pause = False, interval_s
            if outcome.busy:
                continue
            stop.wait(interval_s)
        else:
            if not failing:
                log.warning("relay: %s; retrying with backoff (at most %.0f s)", problem,
                            max_backoff_s)
            failing = True
            stop.wait(pause)
            pause = min(max(pause, 0.1) * 2, max_backoff_s)
