"""Time limits enforced from outside the solver.

HiGHS and CBC have overrun their own limits on big models, so a solve runs in a worker thread:
at the deadline we ask it to stop (each backend registers how: an interrupt callback, a
``stop_search``, killing a subprocess), and after a grace period we stop waiting and answer with
the floor. A Python thread cannot be killed; a backend that ignores the request keeps its CPU
until it returns, but the caller never waits for it.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class Cancelled(Exception):
    """Raised by :meth:`CancelToken.check` inside a backend's own Python loops."""


class CancelToken:
    """Lets the watchdog ask a running backend to stop, however that backend stops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], object]] = []
        self.cancelled = False

    def on_cancel(self, callback: Callable[[], object]) -> None:
        """Register how to stop; runs at once if the deadline has already passed."""
        with self._lock:
            if not self.cancelled:
                self._callbacks.append(callback)
                return
        callback()

    def check(self) -> None:
        """Stop Python-side work (model building) once the deadline has passed."""
        if self.cancelled:
            raise Cancelled

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            with contextlib.suppress(Exception):  # stopping must never raise into the caller
                callback()


_LIVE: weakref.WeakSet[CancelToken] = weakref.WeakSet()
_WORKERS: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


@atexit.register
def _stop_abandoned_solves() -> None:
    """A solver thread still running at interpreter exit aborts the process: stop them first."""
    for token in list(_LIVE):
        token.cancel()
    for thread in list(_WORKERS):
        thread.join(timeout=2.0)


@dataclass
class Outcome(Generic[T]):
    """What came back from the worker, and whether the deadline had to intervene."""

    value: T | None
    timed_out: bool
    error: BaseException | None = None


def run_with_deadline(
    work: Callable[[CancelToken], T], timeout_s: float, grace_s: float
) -> Outcome[T]:
    """Run ``work`` in a daemon thread; never wait longer than ``timeout_s + grace_s``."""
    token = CancelToken()
    box: dict[str, object] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = work(token)
        except BaseException as exc:  # reported to the caller, never raised
            box["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=target, name="optimizer-solve", daemon=True)
    _LIVE.add(token)
    _WORKERS.add(worker)
    worker.start()
    timed_out = not done.wait(max(timeout_s, 0.0))
    if timed_out:
        token.cancel()
        done.wait(max(grace_s, 0.0))
    if not done.is_set():
        return Outcome(value=None, timed_out=True)
    error = box.get("error")
    if isinstance(error, BaseException):
        return Outcome(value=None, timed_out=timed_out, error=error)
    return Outcome(value=box.get("value"), timed_out=timed_out)  # type: ignore[arg-type]
