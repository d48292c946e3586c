"""Hooks the outside world may hang counters on, so the service layer reports what happened
(a stock conflict, a solve) without importing any metrics library."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SolveHook = Callable[[dict[str, Any]], None]
ConflictHook = Callable[[], None]

solve_hooks: list[SolveHook] = []
conflict_hooks: list[ConflictHook] = []


def solved(solver: dict[str, Any]) -> None:
    for hook in solve_hooks:
        hook(solver)


def stock_conflict() -> None:
    for hook in conflict_hooks:
        hook()
