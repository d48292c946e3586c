"""Work the server does on its own clock: timers (releases, missed promises, expired pickups)
and the purge of expired idempotency keys.

Every worker process runs the loop, but only the holder of the ``timers`` lease (a row in the
database, renewed each tick, free once it expires) does the work, so N workers on M hosts
evaluate timers once. Each action is also guarded by version checks, should two ever overlap.

At startup the loop runs one pass at once instead of after a full interval, so work that fell
due while the server was down (delayed releases, expired pickups, missed ship-by dates) is done
as soon as it is back. A lease left by a holder that was killed (SIGKILL, OOM) would otherwise
block that pass for up to three intervals; when its owner was a process on this host that no
longer runs, startup ends it, and does the same for the webhook dispatcher's leases so
undelivered outbox rows go out at once. The same pass sources orders a crash caught between
intake and sourcing (``source_stranded``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import partial

from starlette.concurrency import run_in_threadpool

from api.loops import pause, stop_and_wait
from dom.bootstrap import Container
from lifecycle import sourcing, timers
from lifecycle.webhook_dispatch import dispatcher_id
from models import OrderStatus
from planner import service as scenarios
from storage import transaction
from storage.repositories.leases import end_leases_of_gone_holders
from storage.retry import with_retries

log = logging.getLogger("dom.background")


OWNER = dispatcher_id()  # host:pid:nonce, like every other lease holder
LEASE = "timers"
STRANDED_LIMIT = 200  # per status, newest first: bounds the startup pass on a large backlog


def holds_lease(container: Container, owner: str = OWNER) -> bool:
    """Take or renew the timers lease for three intervals; False while another holds it."""
    now = datetime.now(UTC)
    until = now + timedelta(seconds=max(3 * container.settings.timer_interval_s, 5.0))
    with container.uow() as uow:
        held = uow.leases.claim(LEASE, owner, now, until)
        uow.commit()
    return held


def tick(container: Container) -> None:
    """One pass: evaluate the timers, source backorders whose stock came in, drop idempotency
    keys past their 24 hours, fail the scenario runs a dead process left ``running``."""
    outcome = timers.check(container.uow_factory)
    if outcome.delays_raised or outcome.released or outcome.pickups_expired:
        log.info("timers: %s", outcome)
    try:
        # retried like a request: a live request may be sourcing one of these orders now
        with_retries(partial(container.sweep_backorders, container.uow_factory,
                             container.reader))
    except Exception:  # the other chores of the tick still run; the next tick tries again
        log.exception("backorder sweep failed")
    with container.uow() as uow:
        uow.idempotency.purge_expired()
        uow.commit()
    scenarios.fail_orphaned(container.uow_factory)


def _gone(owner: str) -> bool:
    """True when ``owner`` (``host:pid:nonce`` from ``dispatcher_id``, the host cut to 30
    characters; older holders wrote it whole) was a process on this host that has exited.

    Errs towards "alive": another host, an unreadable owner or a pid in use (even reused by
    an unrelated process) all answer False, which only means waiting for the lease to expire.
    """
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    here = socket.gethostname()
    if host not in (here, here[:30]) or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists, but is not ours to signal
    return False


def expire_dead_leases(container: Container) -> int:
    """End now the leases of processes that died on this host; the number of rows freed.

    A SIGKILLed server leaves its leases running: the timers (three intervals), the webhook
    fan-out cursor, the NATS relay's cursor and the deliveries it was sending (a minute). Their
    work is then taken over by the usual claims at once, not when the leases run out; a webhook
    or event cut off mid-send is sent again (at least once, with the same id).
    """
    with transaction(container.engine) as connection:
        return end_leases_of_gone_holders(connection, _gone, datetime.now(UTC))


def source_stranded(container: Container) -> int:
    """Source the orders a crash caught between intake and sourcing; the number sourced.

    ``POST /v1/orders`` commits the order, then sources it in a second transaction. A server
    killed in between leaves an order received, paid (authorized) and not held but without
    fulfillments, which nothing else would source: the client's retry of the same channel
    order gets it back as it is. Orders that sourcing refused (``backorder: reject``) look the
    same; trying them again is harmless (refused again, or sourced if stock came in).
    """
    with container.uow(write=False) as uow:
        waiting = [order for status in (OrderStatus.RECEIVED, OrderStatus.PAYMENT_CONFIRMED)
                   for order in uow.orders.page(status=status.value, limit=STRANDED_LIMIT)]
        covered = uow.fulfillments.for_orders([order.id for order in waiting])
    sourced = 0
    for order in waiting:
        if covered[order.id] or not order.payment_settled or order.hold_reason:
            continue
        try:
            # retried like a request: a live request may be sourcing the same order right now
            if with_retries(partial(sourcing.source_if_ready, container.uow_factory,
                                    order.id, reader=container.reader)) is not None:
                sourced += 1
        except Exception:
            log.exception("could not source order %s at startup", order.id)
    if sourced:
        log.info("startup: sourced %d order(s) left unsourced by an interrupted intake", sourced)
    return sourced


def recover(container: Container) -> bool:
    """The startup pass: one tick at once and the stranded orders, under the lease; False when
    another process holds it (then that process, alive, does the work)."""
    expire_dead_leases(container)
    if not holds_lease(container):
        return False
    tick(container)
    source_stranded(container)
    return True


async def _loop(container: Container, interval_s: float, stop: asyncio.Event) -> None:
    try:
        await run_in_threadpool(recover, container)
    except Exception:
        log.exception("startup timer pass failed; trying again in %.0f s", interval_s)
    while await pause(stop, interval_s):
        try:
            if await run_in_threadpool(holds_lease, container):
                await run_in_threadpool(tick, container)
        except Exception:
            log.exception("background tick failed; trying again in %.0f s", interval_s)


@asynccontextmanager
async def timer_loop(container: Container) -> AsyncIterator[None]:
    """Run the loop for as long as the app lives (off when the interval is 0)."""
    interval = container.settings.timer_interval_s
    if interval <= 0:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(_loop(container, interval, stop))
    try:
        yield
    finally:
        await stop_and_wait(stop, task, "timer loop")
