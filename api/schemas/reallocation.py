"""What a stock count or a location change did to the allocations it touched."""

from __future__ import annotations

from pydantic import BaseModel, Field

from lifecycle.stock_exceptions import Reconciled


class ReallocationOut(BaseModel):
    """Allocations a change gave back and sourced again, and released work it put at risk.

    Empty lists when the change touched no allocation (the usual case).
    """

    fulfillments_withdrawn: list[str] = Field(
        description="Unreleased allocations cancelled: the shelf no longer covers them, or the "
                    "location can no longer fulfill them.")
    orders_resourced: list[str] = Field(
        description="Orders sourced again in the same transaction (backordered where no other "
                    "stock was left).")
    fulfillments_at_risk: list[str] = Field(
        description="Work already released to the location that the shelf or the location "
                    "no longer covers: each order records fulfillment.at_risk and operations "
                    "get an escalation.")

    @classmethod
    def of(cls, reconciled: Reconciled) -> ReallocationOut:
        return cls(fulfillments_withdrawn=reconciled.withdrawn,
                   orders_resourced=reconciled.resourced,
                   fulfillments_at_risk=reconciled.at_risk)
