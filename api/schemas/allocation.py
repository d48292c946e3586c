"""Allocation: the allocate request and answer, the joint run, and the sourcing policy."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool, model_validator

from api.schemas.common import Strict
from api.schemas.orders import OrderIn
from lifecycle.batch import RunOutcome
from lifecycle.sourcing import Allocation
from models.policy import SourcingPolicy

ObjectiveName = Literal["cost", "time", "balanced"]
SolverName = Literal["auto", "highs", "cbc", "cpsat", "scip", "greedy", "exact", "lp_fix"]


class AllocateIn(Strict):
    order_id: str | None = Field(default=None, min_length=1, max_length=40)
    order: OrderIn | None = None
    commit: StrictBool = True  # "yes" or 1 is refused: a typo must not commit a quote
    objective: ObjectiveName | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> AllocateIn:
        if (self.order_id is None) == (self.order is None):
            raise ValueError("give either order_id (an existing order) or order (a new one)")
        return self


class AllocatedLine(BaseModel):
    line_id: str
    sku: str
    qty: int


class FulfillmentPlan(BaseModel):
    fulfillment_id: str | None
    location_id: str | None
    type: str
    status: str | None = None
    lines: list[AllocatedLine]
    cost: float | None
    delivery_days: int | None
    promised_date: date | None


class UnallocatedLine(BaseModel):
    line_id: str
    sku: str
    qty: int
    reason: str


class AlternativeOut(BaseModel):
    line_ids: list[str]
    location_id: str
    cost: float
    delivery_days: int
    why_not: str = Field(
        description="Why it lost: slower, dearer, no_stock, insufficient_stock, over_capacity, "
                    "ineligible:<rule>, max_shipments, joint_constraints, not_optimized, "
                    "held_for_later_orders, already_allocated, lower_priority or tied.")
    instead_of: str | None = Field(
        None, description="The location of the fulfillment this one lost to; null for a "
                          "runner-up to the units left unallocated.")


class Totals(BaseModel):
    cost: float
    delivery_days: int | None
    shipments: int
    opportunity_cost: float = 0.0
    cost_with_opportunity: float = 0.0


class AllocationOut(BaseModel):
    order_id: str | None
    status: Literal["allocated", "partially_allocated", "backordered"]
    objective: str
    committed: bool
    solver: dict[str, Any]
    fulfillments: list[FulfillmentPlan]
    unallocated: list[UnallocatedLine]
    totals: Totals
    explanation: dict[str, list[AlternativeOut]]
    commit_refusal: str | None = Field(
        None, description="A quote only: why committing it would be refused (409), e.g. "
                          "units short under backorder: reject; null when it would go through.")

    @classmethod
    def of(cls, a: Allocation) -> AllocationOut:
        return cls(
            order_id=a.order_id, status=a.status,  # type: ignore[arg-type]
            commit_refusal=a.extra.get("commit_refusal"),
            objective=a.objective, committed=a.committed, solver=a.solver,
            fulfillments=[FulfillmentPlan(
                fulfillment_id=f.fulfillment_id, location_id=f.location_id, type=f.type.value,
                status=f.status,
                lines=[AllocatedLine(line_id=x.line_id, sku=x.sku, qty=x.qty) for x in f.lines],
                cost=f.cost, delivery_days=f.delivery_days, promised_date=f.promised_date)
                for f in a.fulfillments],
            unallocated=[UnallocatedLine(line_id=u.line_id, sku=u.sku, qty=u.qty, reason=u.reason)
                         for u in a.unallocated],
            totals=Totals(cost=a.plain_cost, delivery_days=a.delivery_days, shipments=a.shipments,
                          opportunity_cost=a.opportunity_cost,
                          cost_with_opportunity=round(a.plain_cost + a.opportunity_cost, 2)),
            explanation={"alternatives": [AlternativeOut(
                line_ids=alt.line_ids, location_id=alt.location_id, cost=round(alt.cost, 2),
                delivery_days=alt.delivery_days, why_not=alt.why_not,
                instead_of=alt.instead_of) for alt in a.alternatives]},
        )


class RunIn(Strict):
    reoptimize: StrictBool = False


class RunTotals(BaseModel):
    cost: float
    shipments: int


class ReoptimizedOut(BaseModel):
    """What re-optimization moved (``reoptimize: true``), money apart from units."""

    fulfillments_reconsidered: int = Field(
        description="Allocations not yet released that the run was free to move")
    cost_before: float = Field(description="What the reconsidered allocations cost")
    cost_after: float = Field(
        description="What their orders' allocations cost after the run: those kept plus "
                    "those made in place of the others")
    saving: float = Field(
        description="Money only: the share of the replaced allocations' cost for units still "
                    "covered, less the share of the replacements' cost for those same units "
                    "(units left short or newly filled are counted apart)")
    units_unfilled: int = Field(description="Units covered before the run and not after it")
    units_filled: int = Field(
        description="Units that waited for stock before the run and that the moved orders' "
                    "new allocations also fill")
    orders_restored: int = Field(
        description="Orders that keep what they had because the new plan would leave them "
                    "short (backorder: reject) or only give their units to an order of equal "
                    "priority")


class RunOut(BaseModel):
    orders: int = Field(description="Orders the run solved for, whatever came of it: "
                        "allocated + partially_allocated + backordered + rejected (an order "
                        "still waiting with no stock for it counts as backordered)")
    allocated: int
    partially_allocated: int
    backordered: int
    rejected: int = Field(description="Orders never accepted that backorder: reject refused "
                          "whole; the run solved the others again without them")
    units_allocated: int
    totals: RunTotals
    solver: dict[str, Any] = Field(
        description="The last joint solve (name, status, gap, bound, objective, ms), with "
                    "solves: how many the run made (it solves again after restoring or "
                    "refusing orders, and checks alone each refused order the stock left "
                    "idle might fill; they share the policy's time_limit_ms, each starting "
                    "from the answer before it; name 'start' when the last took that answer "
                    "as it was, made feasible) and solves_ms: their time together. Empty "
                    "when the run had nothing to solve")
    reoptimized: ReoptimizedOut | None = Field(
        description="Present when the run re-optimized (reoptimize: true), else null")

    @classmethod
    def of(cls, r: RunOutcome) -> RunOut:
        return cls(orders=r.orders, allocated=r.allocated,
                   partially_allocated=r.partially_allocated, backordered=r.backordered,
                   rejected=r.rejected, units_allocated=r.units_allocated,
                   totals=RunTotals(cost=r.cost, shipments=r.shipments),
                   solver=r.solver,
                   reoptimized=ReoptimizedOut(**r.reoptimized)
                   if r.reoptimized is not None else None)


class PolicyIn(Strict):
    """Fields left out take their defaults.

    Booleans are strict: lax parsing would read "yes" or 1 as true, so a typo in a policy
    (which steers every allocation) would be stored instead of refused with a 422.
    """

    objective: ObjectiveName = "cost"
    cost_per_day: float = Field(default=5.0, ge=0, le=1e6)
    max_shipments_per_order: int = Field(default=3, ge=1, le=50)
    allow_line_split: StrictBool = True
    backorder: Literal["allow", "reject"] = "allow"
    release_delay_minutes: int = Field(default=0, ge=0, le=60 * 24 * 30)
    max_distance_km: float | None = Field(default=None, gt=0, le=40_000)
    lookahead: StrictBool = False
    solver: SolverName = "auto"
    time_limit_ms: int = Field(default=2000, ge=10, le=600_000)
    unfilled_cost_factor: float | None = Field(
        default=None, gt=0, le=1000,
        description="null (default): fill every unit that can be filled. A number f: an "
                    "unfilled unit costs f x the dearest one-unit shipment its line could take, "
                    "so a unit dearer than that is left unallocated (reason "
                    "dearer_than_unfilled); Jasin & Sinha (2015) use 2. Ignored under "
                    "backorder: reject, which fills first.")
    source_backorders: StrictBool = Field(
        default=True,
        description="The background timer sources every order waiting for stock (backordered, "
                    "partially allocated, short after a rejection or short pick, refused "
                    "whole under backorder: reject) jointly when that stock comes in; false: "
                    "only POST /v1/allocations/run does.")

    def to_policy(self) -> SourcingPolicy:
        return SourcingPolicy(**self.model_dump())


class PolicyOut(PolicyIn):
    @classmethod
    def of(cls, policy: SourcingPolicy) -> PolicyOut:
        return cls(**policy.as_dict())
