"""Work the server does on its own clock: timers (releases, missed promises, expired pickups)
and the purge of expired idempotency keys.

Every worker process runs the loop, but only the holder of the ``timers`` lease (a row in the
database, renewed each tick, free once it expires) does the work, so N workers on M hosts
evaluate timers once. Each action is also guarded by version checks, should two ever overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from starlette.concurrency import run_in_threadpool

from dom.bootstrap import Container
from lifecycle import timers

log = logging.getLogger("dom.background")


OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
LEASE = "timers"


def holds_lease(container: Container, owner: str = OWNER) -> bool:
    """Take or renew the timers lease for three intervals; False while another holds it."""
    now = datetime.now(UTC)
    until = now + timedelta(seconds=max(3 * container.settings.timer_interval_s, 5.0))
    with container.uow() as uow:
        held = uow.leases.claim(LEASE, owner, now, until)
        uow.commit()
    return held


def tick(container: Container) -> None:
    """One pass: evaluate the timers, drop idempotency keys past their 24 hours."""
    outcome = timers.check(container.uow_factory)
    if outcome.delays_raised or outcome.released or outcome.pickups_expired:
        log.info("timers: %s", outcome)
    with container.uow() as uow:
        uow.idempotency.purge_expired()
        uow.commit()


async def _loop(container: Container, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
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
    task = asyncio.create_task(_loop(container, interval))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
