"""Stock: positions per location and SKU, adjustments with reasons, CSV loads, availability.

A supplier's or store's key writes only its own location's positions (a supplier's stock feed
is what drop-ship sourcing reads).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from api.auth import Principal, Reader, StockWriter
from api.deps import ContainerDep, run, run_async
from api.errors import problem
from api.idempotency import idempotent, json_response
from api.schemas.common import PROBLEM_RESPONSES, ProblemDetail
from api.schemas.inventory import (
    AdjustmentIn,
    AdjustmentOut,
    AvailabilityOut,
    ImportOut,
    PositionIn,
    PositionOut,
    PositionSetOut,
)
from api.schemas.reallocation import ReallocationOut
from lifecycle import inventory
from models import Forbidden, NotFound
from models.commands import PositionInput

router = APIRouter(prefix="/v1/inventory", tags=["inventory"], responses=PROBLEM_RESPONSES)

Key = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


def _check_own(principal: Principal, location_id: str) -> None:
    if principal.is_partner and not principal.owns(location_id):
        raise Forbidden(f"a {principal.role} key may change only its own location's stock")


@router.put("/{location_id}/{sku}", response_model=PositionSetOut)
def set_position(location_id: Key, sku: Key, body: PositionIn, principal: StockWriter,
                 container: ContainerDep) -> PositionSetOut:
    """Set on-hand (a count, or a supplier's stock feed) and optionally safety stock.

    A count below what is reserved is accepted: unreleased allocations give the missing units
    back and their orders are sourced again (``reallocation`` says which).
    """
    _check_own(principal, location_id)
    entry = PositionInput(location_id, sku, body.on_hand, body.safety_stock)
    return PositionSetOut.of_set(run(lambda: inventory.set_position(container.uow(), entry)))


@router.post("/adjustments", response_model=AdjustmentOut, status_code=201)
async def adjust(request: Request, body: AdjustmentIn, principal: StockWriter,
                 container: ContainerDep) -> Response:
    """Change on-hand by a delta, with the reason (cycle count, damage, receipt).

    A delta applied twice counts twice, so a client that may retry (a receipt whose answer
    was lost) sends an ``Idempotency-Key``: the same key and body replay the first answer.
    """
    _check_own(principal, body.location_id)

    async def produce() -> Response:
        done = await run_async(lambda: inventory.adjust(
            container.uow(), body.location_id, body.sku, body.delta, body.reason))
        return json_response(201, AdjustmentOut.of(done).model_dump(mode="json"))

    return await idempotent(request, principal, container, produce)


@router.post(
    "/import", response_model=ImportOut,
    responses={415: {"model": ProblemDetail, "content": {"application/problem+json": {}},
                     "description": "The body is not text/csv"}},
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {
        "schema": {"type": "string",
                   "example": "location_id,sku,on_hand,safety_stock\nWH-A,LAPTOP-15,12,2\n"}}}}},
)
async def import_csv(request: Request, principal: StockWriter,
                     container: ContainerDep) -> ImportOut | Response:
    """Load positions from CSV (location_id,sku,on_hand[,safety_stock]); all rows or none."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("text/csv", "application/csv"):
        return problem(415, "send the positions as text/csv with header "
                            "location_id,sku,on_hand[,safety_stock]")
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return problem(400, "the CSV must be UTF-8 text")
    entries = inventory.parse_positions_csv(text)
    for entry in entries:
        _check_own(principal, entry.location_id)
    result = await run_async(lambda: inventory.import_positions(container.uow(), entries))
    return ImportOut(rows=result.rows, positions_created=result.positions_created,
                     positions_updated=result.positions_updated,
                     reallocation=ReallocationOut.of(result.reconciled))


@router.get("", response_model=AvailabilityOut)
def availability(principal: Reader, container: ContainerDep,
                 sku: Annotated[str, Query(min_length=1, max_length=64)],
                 location_id: Annotated[str | None, Query(max_length=64)] = None,
                 ) -> AvailabilityOut:
    """Network availability of a SKU; available = on_hand - reserved - safety_stock, never < 0."""
    if principal.is_partner:
        if location_id is not None and not principal.owns(location_id):
            # another party's location is not there for a partner (as GET /v1/locations/{id}),
            # rather than answering with its own stock as if that had been asked for
            raise NotFound(f"location {location_id!r} not found")
        location_id = principal.subject
    found = inventory.availability(container.uow(write=False), sku, location_id)
    return AvailabilityOut(sku=found.sku, available=found.available,
                           positions=[PositionOut.of(p) for p in found.positions])
