"""Scenarios: what-if sourcing runs a planner asks for, their KPIs and comparisons."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from api.schemas.common import Strict
from api.schemas.orders import OrderIn
from lifecycle.uow import ScenarioRecord
from planner.definition import Changes, InventoryRow, LocationRow


class ScenarioIn(Strict):
    """A scenario: a base, optional replacement data, and the changes to try."""

    name: str = Field(min_length=1, max_length=200)
    base: Literal["current", "empty", "replay"] = Field(
        default="current", description="current: the live open orders, stock and locations; "
        "replay: the orders live sourcing allocated, re-sourced; empty: nothing.")
    orders: list[OrderIn] | None = Field(default=None, max_length=20_000,
                                         description="Replaces the base's orders.")
    inventory: list[InventoryRow] | None = Field(default=None, max_length=200_000,
                                                 description="Replaces the base's stock.")
    locations: list[LocationRow] | None = Field(default=None, max_length=10_000,
                                                description="Replaces the base's locations.")
    files: dict[str, Any] | None = Field(default=None, description="CLI only.")
    changes: Changes = Changes()

    @field_validator("files")
    @classmethod
    def _no_files(cls, value: dict[str, Any] | None) -> None:
        if value is not None:
            raise ValueError("files are read by the CLI only (dom scenario run); over HTTP send "
                             "orders, inventory and locations inline")

    def definition(self) -> dict[str, Any]:
        raw = self.model_dump(mode="json", exclude_none=True, exclude={"orders", "files"})
        if self.orders is not None:
            raw["orders"] = [{**o.model_dump(mode="json", exclude_none=True),
                              "order_id": o.channel_order_id} for o in self.orders]
        return raw


class ScenarioOut(BaseModel):
    scenario_id: str
    name: str
    status: Literal["running", "done", "failed"]
    base: str | None = None
    changes: dict[str, Any] = {}
    kpis: dict[str, Any] | None = None
    solver: dict[str, Any] | None = None
    error: str | None = None
    created_at: datetime
    finished_at: datetime | None = None

    @classmethod
    def of(cls, record: ScenarioRecord) -> ScenarioOut:
        return cls(scenario_id=record.id, name=record.name, status=record.status,  # type: ignore[arg-type]
                   base=record.request.get("base"), changes=record.request.get("changes", {}),
                   kpis=record.kpis, solver=record.solver, error=record.error,
                   created_at=record.created_at, finished_at=record.finished_at)


class ScenarioPage(BaseModel):
    items: list[ScenarioOut]
    next_cursor: str | None


class CompareOut(BaseModel):
    scenarios: list[ScenarioOut]
    kpis: list[str]
    differences: dict[str, Any] = Field(description="b - a per KPI (null when either is null); "
                                        "utilization per location.")
