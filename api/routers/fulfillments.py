"""Fulfillments: what locations, suppliers and carriers report, and their work queues."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from api.auth import FulfillmentActor, Principal
from api.deps import ContainerDep, Cursor, Limit, decode_cursor, encode_cursor, run
from api.observability import note_order
from api.schemas.common import PROBLEM_RESPONSES, Page
from api.schemas.fulfillments import FulfillmentDetail, FulfillmentEventIn
from lifecycle.fulfillment_events import Report, Reporter, report_event
from models import InvalidInput, NotFound
from models.fulfillments import FulfillmentStatus
from models.locations import LocationType

router = APIRouter(tags=["fulfillments"], responses=PROBLEM_RESPONSES)

Id = Annotated[str, Path(min_length=1, max_length=64)]


def _reporter(principal: Principal) -> Reporter:
    return Reporter(role=principal.role, subject=principal.subject)


@router.post("/v1/fulfillments/{fulfillment_id}/events", response_model=FulfillmentDetail)
def post_event(request: Request, fulfillment_id: Id, body: FulfillmentEventIn,
               principal: FulfillmentActor, container: ContainerDep) -> FulfillmentDetail:
    """Report progress (accepted, picked, shipped, delivered...), a delay, a rejection or a
    short pick; a move the fulfillment's state table does not allow is 409."""
    report = Report(type=body.type, at=body.at, tracking_number=body.tracking_number,
                    carrier=body.carrier, reason=body.reason, eta=body.eta,
                    lines=tuple((line.line_id, line.qty) for line in body.lines or []))
    done = run(lambda: report_event(container.uow_factory, fulfillment_id, report,
                                    _reporter(principal)))
    note_order(request, done.order_id)
    with container.uow(write=False) as uow:
        order = uow.orders.get(done.order_id)
    return FulfillmentDetail.of(done, order, partner=principal.is_partner)


@router.get("/v1/fulfillments/{fulfillment_id}", response_model=FulfillmentDetail)
def get_fulfillment(fulfillment_id: Id, principal: FulfillmentActor,
                    container: ContainerDep) -> FulfillmentDetail:
    """One fulfillment (a partner sees only its own)."""
    with container.uow(write=False) as uow:
        found = uow.fulfillments.get(fulfillment_id)
        if found is None or not _reporter(principal).may_touch(found):
            raise NotFound(f"fulfillment {fulfillment_id!r} does not exist")
        order = uow.orders.get(found.order_id)
    return FulfillmentDetail.of(found, order, partner=principal.is_partner)


def _queue(location_id: str, principal: Principal, container: ContainerDep, status: str | None,
           limit: int, cursor: str | None, *, supplier: bool) -> Page[FulfillmentDetail]:
    """The work at ``location_id``, each with whom and where it goes (the supplier queue only
    for a supplier: a warehouse's or a store's is under /v1/locations)."""
    if principal.is_partner and not principal.owns(location_id):
        raise NotFound(f"location {location_id!r} does not exist")
    with container.uow(write=False) as uow:
        location = uow.locations.get(location_id)
        if location is None:
            raise NotFound(f"location {location_id!r} does not exist")
        if supplier and location.type is not LocationType.SUPPLIER:
            raise NotFound(f"{location_id!r} is a {location.type.value}, not a supplier: its "
                           f"work queue is /v1/locations/{location_id}/fulfillments")
        # a partner sees its work once released to it (release_delay_minutes holds it back),
        # never an allocation taken back before that
        found = uow.fulfillments.for_location(location_id, statuses=_statuses(status),
                                              after=decode_cursor(cursor), limit=limit + 1,
                                              released_only=principal.is_partner)
        items = found[:limit]
        orders = uow.orders.get_many(f.order_id for f in items)
    return Page(items=[FulfillmentDetail.of(f, orders.get(f.order_id), partner=principal.is_partner)
                       for f in items],
                next_cursor=encode_cursor(items[-1].id) if len(found) > limit else None)


def _statuses(status: str | None) -> list[str] | None:
    """The filter's statuses; one no fulfillment can have is a typo, not an empty queue."""
    if not status:
        return None
    wanted = [part.strip() for part in status.split(",") if part.strip()]
    known = {s.value for s in FulfillmentStatus}
    unknown = [part for part in wanted if part not in known]
    if unknown or not wanted:
        raise InvalidInput(f"status {', '.join(map(repr, unknown)) or repr(status)} is not a "
                           f"fulfillment status; use {', '.join(sorted(known))}",
                           loc=("query", "status"))
    return wanted


Status = Annotated[str | None, Query(
    max_length=200, description="Comma-separated statuses, e.g. released,accepted")]


@router.get("/v1/locations/{location_id}/fulfillments", response_model=Page[FulfillmentDetail])
def location_queue(location_id: Id, principal: FulfillmentActor, container: ContainerDep,
                   status: Status = None, limit: Limit = 50,
                   cursor: Cursor = None) -> Page[FulfillmentDetail]:
    """A warehouse's or store's work queue (its own only, for a location key)."""
    return _queue(location_id, principal, container, status, limit, cursor, supplier=False)


@router.get("/v1/suppliers/{location_id}/fulfillments", response_model=Page[FulfillmentDetail])
def supplier_queue(location_id: Id, principal: FulfillmentActor, container: ContainerDep,
                   status: Status = None, limit: Limit = 50,
                   cursor: Cursor = None) -> Page[FulfillmentDetail]:
    """A drop-ship supplier's work queue: its own fulfillments only."""
    return _queue(location_id, principal, container, status, limit, cursor, supplier=True)
