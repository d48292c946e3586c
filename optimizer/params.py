"""Sourcing policy knobs, validated once so every backend can trust them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Objective = Literal["cost", "time", "balanced"]
Backorder = Literal["allow", "reject"]
SOLVERS = (
    "auto", "highs", "cbc", "cpsat", "scip", "greedy", "exact", "lp_fix", "sequential", "split"
)


@dataclass(frozen=True)
class Params:
    """What to minimise and within which limits.

    ``max_distance_km`` is an eligibility rule, so it is applied when the problem is built;
    everything else shapes the objective or the solve.

    ``unfilled_cost_factor``: None (the default) fills first: an unfilled unit costs more than
    any whole order, so an order fills every unit it can (across a batch's orders the exact MIP
    backends hold the fill lexicographically: optimizer.fill_first). A number f > 0 prices an
    unfilled unit at f x the line's dearest one-unit shipment (Jasin & Sinha (2015) use f = 2),
    so a unit may be left unfilled when shipping it costs more; see
    :func:`optimizer.objective.build_weights`.
    """

    objective: Objective = "cost"
    cost_per_day: float = 5.0
    max_shipments_per_order: int = 3
    allow_line_split: bool = True
    backorder: Backorder = "allow"
    max_distance_km: float | None = None
    solver: str = "auto"
    time_limit_ms: int = 2000
    opportunity_costs: Mapping[tuple[str, str], float] | None = None
    seed: int = 0
    unfilled_cost_factor: float | None = None

    @property
    def priced_unfilled_factor(self) -> float | None:
        """The ``unfilled_cost_factor`` the objective applies: None (fill first) where the
        ``backorder`` policy does not price unfilled units (:func:`prices_unfilled`)."""
        return self.unfilled_cost_factor if prices_unfilled(self.backorder) else None

    def __post_init__(self) -> None:
        if self.objective not in ("cost", "time", "balanced"):
            raise ValueError(f"Expected objective in cost|time|balanced, got {self.objective!r}.")
        if self.cost_per_day < 0:
            raise ValueError("Expected cost_per_day >= 0.")
        if self.max_shipments_per_order < 1:
            raise ValueError("Expected max_shipments_per_order >= 1.")
        if self.backorder not in ("allow", "reject"):
            raise ValueError(f"Expected backorder in allow|reject, got {self.backorder!r}.")
        if self.max_distance_km is not None and self.max_distance_km < 0:
            raise ValueError("Expected max_distance_km >= 0.")
        if self.solver not in SOLVERS:
            raise ValueError(f"Expected solver in {'|'.join(SOLVERS)}, got {self.solver!r}.")
        if self.time_limit_ms < 1:
            raise ValueError("Expected time_limit_ms >= 1.")
        if self.unfilled_cost_factor is not None and not (
            math.isfinite(self.unfilled_cost_factor) and self.unfilled_cost_factor > 0
        ):
            raise ValueError(
                "Expected unfilled_cost_factor > 0 (finite), or None to fill first; "
                f"got {self.unfilled_cost_factor!r}."
            )
        if self.opportunity_costs is not None:
            for key, value in self.opportunity_costs.items():
                if value < 0:
                    raise ValueError(f"Expected opportunity cost >= 0 for {key}, got {value}.")


def prices_unfilled(backorder: str) -> bool:
    """Whether ``unfilled_cost_factor`` applies under ``backorder``. Under ``reject`` filling
    comes first whatever the factor: a unit left unfilled on purpose (dearer than its price as
    unfilled) would refuse an order the shelves can fill, as if stock were short. Live
    sourcing, scenarios and any other caller of the optimizer read it here."""
    return backorder != "reject"
