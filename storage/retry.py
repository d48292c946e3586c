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

from models import ConcurrentUpdate

T = TypeVar("T")

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
MAX_ATTEMPTS = 8


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
            time.sleep(min(0.5, 0.005 * 2**attempt) * random.random())
    raise AssertionError("unreachable")
