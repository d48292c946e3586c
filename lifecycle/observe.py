"""Hooks the outside world may hang counters on, so the service layer reports what happened
(a stock conflict, a solve, a transaction run again) without importing any metrics library."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SolveHook = Callable[[dict[str, Any]], None]
ConflictHook = Callable[[], None]
RetryHook = Callable[[str], None]

solve_hooks: list[SolveHook] = []
conflict_hooks: list[ConflictHook] = []
retry_hooks: list[RetryHook] = []


def solved(solver: dict[str, Any]) -> None:
    for hook in solve_hooks:
        hook(solver)


def stock_conflict() -> None:
    for hook in conflict_hooks:
        hook()


def transaction_retried(reason: str) -> None:
    """A transaction failed on contention (``reason``: serialization, deadlock, locked,
    concurrent_update) and runs again."""
    for hook in retry_hooks:
        hook(reason)
