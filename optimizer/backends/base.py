"""The one shape every backend has: a context in, units per arc and a proof out."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from optimizer.model import MipModel, build_model
from optimizer.objective import Weights
from optimizer.params import Params
from optimizer.problem import IntArray, Problem
from optimizer.result import Status
from optimizer.watchdog import CancelToken

BATCH_GAP = 1e-3  # "proven optimal" for a batch means within 0.1% of the bound


@dataclass(eq=False)
class SolveContext:
    """Everything a backend may read; the matrix model is built only if a backend asks."""

    problem: Problem
    params: Params
    weights: Weights
    time_limit_s: float
    token: CancelToken = field(default_factory=CancelToken)
    start: IntArray | None = None  # a feasible answer (greedy) to warm-start from
    model_ms: float = 0.0

    @cached_property
    def model(self) -> MipModel:
        started = time.perf_counter()
        model = build_model(self.problem, self.weights)
        self.model_ms = (time.perf_counter() - started) * 1000.0
        return model

    @property
    def mip_rel_gap(self) -> float:
        """Tight for single orders and small models (so backends agree); 0.1% for batches."""
        small = self.problem.n_orders == 1 or self.problem.n_arcs <= 500
        return 1e-7 if small else BATCH_GAP


@dataclass
class BackendAnswer:
    """Units per arc (None: no solution), the solver's own status and a valid lower bound."""

    status: Status
    arc_units: IntArray | None
    bound: float | None
    message: str = ""
    opportunity_costs: dict[tuple[str, str], float] = field(default_factory=dict)


class Backend(Protocol):
    """A strategy that sources a problem; ``solve`` must honour ``ctx.token``."""

    name: str

    def solve(self, ctx: SolveContext) -> BackendAnswer: ...
