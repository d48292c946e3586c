"""Bounded retries of whole transactions on the errors concurrency makes normal.

An optimistic version check fails (``ConcurrentUpdate``); PostgreSQL aborts one side of a
serialization conflict (40001) or a deadlock (40P01); SQLite reports "database is locked" when
the busy timeout runs out. Each is safe to retry from the start: the failed transaction rolled
back completely.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

from lifecycle import observe
from models import ConcurrentUpdate

T = TypeVar("T")

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
MAX_ATTEMPTS = 8


def retry_reason(error: BaseException) -> str:
    """A short label for why a transaction is run again (a metric's label)."""
    if isinstance(error, ConcurrentUpdate):
        return "concurrent_update"
    orig = getattr(error, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return {"40001": "serialization", "40P01": "deadlock"}.get(str(sqlstate), "locked")


def is_retryable(error: BaseException) -> bool:
    if isinstance(error, ConcurrentUpdate):
        return True
    if not isinstance(error, DBAPIError):
        return False
    orig = error.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return isinstance(error, OperationalError) and "database is locked" in str(orig)


def with_retries(work: Callable[[], T], *, attempts: int = MAX_ATTEMPTS) -> T:
    """Run ``work`` (one whole transaction), again after a retryable failure, with backoff."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except (DBAPIError, ConcurrentUpdate) as error:
            if attempt == attempts or not is_retryable(error):
                raise
            observe.transaction_retried(retry_reason(error))
            time.sleep(min(0.5, 0.005 * 2**attempt) * random.random())
    raise AssertionError("unreachable")
