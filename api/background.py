"""Work the server does on its own clock: timers (releases, missed promises, expired pickups)
and the purge of expired idempotency keys.

Each worker process runs the loop; every action it takes is guarded in the database (version
checks, conditional updates), so two workers never act twice on the same thing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.concurrency import run_in_threadpool

from dom.bootstrap import Container
from lifecycle import timers

log = logging.getLogger("dom.background")


def tick(container: Container) -> None:
    """One pass: evaluate the timers, drop idempotency keys past their 24 hours."""
    outcome = timers.check(container.uow_factory)
    if outcome.delays_raised or outcome.released or outcome.pickups_expired:
        log.info("timers: %s", outcome)
    with container.uow() as uow:
        purge = getattr(uow.idempotency, "purge_expired", None)
        if purge is not None:
            purge()
            uow.commit()


async def _loop(container: Container, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
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
