"""Background loops that stop cleanly with the app.

A loop's work runs in a worker thread (``run_in_threadpool``), which cancelling the asyncio task
does not stop: the thread would go on after shutdown, a tick writing through a container being
closed and a webhook send racing the sender's close. So a loop waits on a stop event instead of
sleeping, and shutdown sets the event and waits for the pass under way to finish (up to
:data:`SHUTDOWN_WAIT_S`, then it cancels and says so).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger("dom.loops")

SHUTDOWN_WAIT_S = 30.0  # a pass still running after this is abandoned (and logged)


async def pause(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds`` or until ``stop`` is set; True when the loop should go on."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return not stop.is_set()


async def stop_and_wait(
    stop: asyncio.Event, task: asyncio.Task[None], name: str, wait_s: float = SHUTDOWN_WAIT_S
) -> None:
    """Ask the loop to stop and let the pass under way finish."""
    stop.set()
    try:
        await asyncio.wait_for(asyncio.shield(task), wait_s)
    except TimeoutError:
        log.warning("%s: the pass under way did not finish in %.0f s; abandoned", name, wait_s)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
