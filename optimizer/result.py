"""What a solve answers: per-order shipments, what stayed unfilled, why, and how sure we are."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Status = Literal["optimal", "feasible", "infeasible", "time_limit"]
# (order id, line id, location id) -> units that location sends for that line: an answer as
# plain data, what a later solve can start from (``solve(start=...)``)
Placements = Mapping[tuple[str, str, str], int]


@dataclass(frozen=True)
class Shipment:
    """One package: a location and the (line_id, sku, qty) it sends. ``cost`` is money;
    ``opportunity_cost`` what lookahead priced its units at (0 without lookahead)."""

    location_id: str
    lines: list[tuple[str, str, int]]
    cost: float
    delivery_days: int
    opportunity_cost: float = 0.0


@dataclass(frozen=True)
class Unallocated:
    """Units of a line not allocated now, with a machine-readable reason."""

    line_id: str
    qty: int
    reason: str


@dataclass(frozen=True)
class Alternative:
    """A runner-up location for some lines, what it would have cost, and why it lost.

    ``instead_of``: the location of the package it lost to; None for a runner-up to the units
    left unallocated (a split line can have both, with different reasons).
    """

    line_ids: list[str]
    location_id: str
    cost: float
    delivery_days: int
    why_not: str
    instead_of: str | None = None


@dataclass
class OrderAssignment:
    """The answer for one order. ``cost`` = ``plain_cost`` (money) + ``opportunity_cost``."""

    order_id: str
    shipments: list[Shipment]
    unallocated: list[Unallocated]
    cost: float
    plain_cost: float
    opportunity_cost: float
    delivery_days: int | None
    alternatives: list[Alternative] = field(default_factory=list)

    @property
    def status(self) -> Literal["allocated", "partially_allocated", "backordered"]:
        """The API's allocation status for this order."""
        if not self.unallocated:
            return "allocated"
        return "partially_allocated" if self.shipments else "backordered"

    @property
    def fully_allocated(self) -> bool:
        return not self.unallocated


@dataclass
class Result:
    """A solve's answer with its proof: status, objective, bound and gap, and timings."""

    status: Status
    solver: str
    objective: float
    bound: float | None
    gap: float | None
    build_ms: float
    solve_ms: float
    assignments: list[OrderAssignment]
    opportunity_costs: dict[tuple[str, str], float] = field(default_factory=dict)
    message: str = ""
    # the answer is the caller's start made feasible (solve(start=...)): the backend found
    # nothing better, or was not asked (keep_start)
    start_kept: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    # order id -> position in ``assignments``, built on the first lookup (see ``assignment``)
    _positions: dict[str, int] = field(default_factory=dict, init=False, repr=False,
                                       compare=False)

    def duals(self) -> dict[tuple[str, str], float]:
        """Opportunity cost per unit by (location_id, sku), when the backend computed them."""
        return dict(self.opportunity_costs)

    def cost(self) -> float:
        """Money spent on packages and units (opportunity costs excluded)."""
        return sum(a.plain_cost for a in self.assignments)

    def is_feasible(self) -> bool:
        return self.status != "infeasible"

    def unfilled_units(self) -> int:
        return sum(u.qty for a in self.assignments for u in a.unallocated)

    def unfilled_lines(self) -> int:
        """Lines left short (each counted once, however many of its units are missing)."""
        return sum(len({u.line_id for u in a.unallocated}) for a in self.assignments)

    def shipments(self) -> int:
        return sum(len(a.shipments) for a in self.assignments)

    def split_orders(self) -> int:
        return sum(1 for a in self.assignments if len(a.shipments) > 1)

    def assignment(self, order_id: str) -> OrderAssignment:
        """One order's answer. By position, not by scanning: a joint run looks up every
        order's answer, some of them once per other order, and a scan made that quadratic
        (cubic) in the batch. The positions are rebuilt when they no longer match (an answer
        replaced or added in place)."""
        position = self._positions.get(order_id)
        if position is None or position >= len(self.assignments) \
                or self.assignments[position].order_id != order_id:
            self._positions = {a.order_id: n for n, a in enumerate(self.assignments)}
            position = self._positions.get(order_id)
            if position is None:
                raise KeyError(order_id)
        return self.assignments[position]

    def placements(self) -> dict[tuple[str, str, str], int]:
        """The answer's units per (order, line, location) (:data:`Placements`)."""
        units: dict[tuple[str, str, str], int] = {}
        for a in self.assignments:
            for shipment in a.shipments:
                for line_id, _, qty in shipment.lines:
                    key = (a.order_id, line_id, shipment.location_id)
                    units[key] = units.get(key, 0) + qty
        return units

    def replace_assignment(self, assignment: OrderAssignment) -> None:
        """Put ``assignment`` in place of its order's answer (a caller revising the answer,
        as re-optimization does when a move would not pay)."""
        self.assignment(assignment.order_id)  # KeyError for an order not in the answer
        self.assignments[self._positions[assignment.order_id]] = assignment

    def summary(self) -> str:
        """One paragraph a person reads in a log or a terminal."""
        gap = "n/a" if self.gap is None else f"{100 * self.gap:.3f}%"
        bound = "n/a" if self.bound is None else f"{self.bound:.4f}"
        lines = [
            f"{self.solver}: {self.status}, objective {self.objective:.4f}, bound {bound}, "
            f"gap {gap}, build {self.build_ms:.1f} ms, solve {self.solve_ms:.1f} ms",
            f"orders {len(self.assignments)}, cost {self.cost():.2f}, "
            f"shipments {self.shipments()}, split orders {self.split_orders()}, "
            f"unfilled units {self.unfilled_units()}",
        ]
        if self.message:
            lines.append(self.message)
        return "\n".join(lines)
