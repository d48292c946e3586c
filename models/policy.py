"""The sourcing policy: what to minimise, within which limits, and how eagerly to release."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

Objective = Literal["cost", "time", "balanced"]
OBJECTIVES = ("cost", "time", "balanced")
SOLVERS = ("auto", "highs", "cbc", "cpsat", "scip", "greedy", "exact", "lp_fix")


@dataclass(frozen=True)
class SourcingPolicy:
    objective: Objective = "cost"
    cost_per_day: float = 5.0
    max_shipments_per_order: int = 3
    allow_line_split: bool = True
    backorder: Literal["allow", "reject"] = "allow"
    release_delay_minutes: int = 0
    max_distance_km: float | None = None
    lookahead: bool = False
    solver: str = "auto"
    time_limit_ms: int = 2000
    # None: fill first (an answer fills every unit it can); f > 0: an unfilled unit costs f x its
    # line's dearest one-unit shipment (Jasin & Sinha 2015: f = 2), see optimizer.objective
    unfilled_cost_factor: float | None = None
    # The background timer sources orders left short when stock they wait for comes in
    # (lifecycle.backorders); off: only POST /v1/allocations/run does.
    source_backorders: bool = True

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}")
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {', '.join(SOLVERS)}")
        if self.cost_per_day < 0:
            raise ValueError("cost_per_day must be 0 or more")
        if self.max_shipments_per_order < 1:
            raise ValueError("max_shipments_per_order must be at least 1")
        if self.release_delay_minutes < 0:
            raise ValueError("release_delay_minutes must be 0 or more")
        if self.max_distance_km is not None and self.max_distance_km <= 0:
            raise ValueError("max_distance_km must be positive (or null for no limit)")
        if self.unfilled_cost_factor is not None and not 0 < self.unfilled_cost_factor <= 1000:
            raise ValueError("unfilled_cost_factor must be above 0 and at most 1000 "
                             "(or null to fill first)")
        if not 10 <= self.time_limit_ms <= 600_000:
            raise ValueError("time_limit_ms must be between 10 and 600000")

    def for_accepted_order(self) -> SourcingPolicy:
        """The policy for sourcing again an order already accepted (its stock was lost to a
        rejection, a short pick, a count or a closed location): ``backorder: reject`` refuses
        new orders the stock cannot fill; it cannot refuse what a location reports, so the
        missing units are backordered instead."""
        return replace(self, backorder="allow")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

