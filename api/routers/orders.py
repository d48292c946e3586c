"""Orders from every channel in one repository: intake, reads, payment, cancel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from api.auth import Operator, OrderReader, OrderWriter, Principal
from api.deps import ContainerDep, Cursor, Limit, decode_cursor, encode_cursor, run, run_async
from api.idempotency import idempotent, json_response
from api.schemas.common import PROBLEM_RESPONSES, Page
from api.schemas.orders import (
    CancelIn,
    OrderIn,
    OrderOut,
    PaymentUpdateIn,
    TimelineItem,
)
from dom.bootstrap import Container
from lifecycle import orders as order_service
from lifecycle import sourcing
from models import InvalidInput, NotFound, OrderStatus, PaymentStatus
from models.commands import CreateOrder
from models.events import MAX_SEQ


def _out(view: order_service.OrderView) -> OrderOut:
    return OrderOut.of(view.order, view.events, view.fulfillments)


router = APIRouter(prefix="/v1/orders", tags=["orders"], responses=PROBLEM_RESPONSES)

OrderId = Annotated[str, Path(min_length=1, max_length=40)]


async def place(request: Request, principal: Principal, container: Container,
                command: CreateOrder,
                where: Callable[[tuple[str | int, ...]], tuple[str | int, ...]] | None = None,
                ) -> Response:
    """Shared by the canonical endpoint and the channel connectors; ``where`` turns a refused
    field of the canonical body into the one the caller sent (a channel's own field)."""

    async def produce() -> Response:
        try:
            intake = await run_async(lambda: order_service.create_order(container.uow_factory,
                                                                        command))
        except InvalidInput as refused:
            if where is not None and refused.loc:
                refused.loc = where(tuple(refused.loc))
            raise
        if intake.created or intake.updated:
            await run_async(lambda: sourcing.source_if_ready(
                container.uow_factory, intake.order.id, reader=container.reader))
        view = await run_async(
            lambda: order_service.get_order(container.uow(write=False), intake.order.id))
        body = _out(view).model_dump(mode="json")
        return json_response(201 if intake.created else 200, body,
                             location=f"/v1/orders/{intake.order.id}")

    return await idempotent(request, principal, container, produce)


@router.post("", response_model=OrderOut, status_code=201,
             responses={200: {"model": OrderOut,
                              "description": "This channel order already exists (its payment "
                                             "updated when it was pending and this one is "
                                             "authorized or confirmed, or it was authorized "
                                             "and this one is confirmed)"}})
async def create_order(request: Request, body: OrderIn, principal: OrderWriter,
                       container: ContainerDep) -> Response:
    """Place an order from any channel; the same channel order id again returns the first."""
    return await place(request, principal, container, body.to_command())


@router.get("", response_model=Page[OrderOut])
def list_orders(_: OrderReader, container: ContainerDep,
                status: Annotated[OrderStatus | None, Query()] = None,
                channel: Annotated[str | None, Query(max_length=20)] = None,
                customer_id: Annotated[str | None, Query(max_length=100)] = None,
                limit: Limit = 50, cursor: Cursor = None) -> Page[OrderOut]:
    """Every channel's orders, newest first, with filters and cursor pagination."""
    with container.uow(write=False) as uow:
        found = uow.orders.page(status=status.value if status else None, channel=channel,
                                customer_id=customer_id, before_id=decode_cursor(cursor),
                                limit=limit + 1)
        more = len(found) > limit
        items = found[:limit]
        fulfillments = uow.fulfillments.for_orders([o.id for o in items])
    return Page(items=[OrderOut.of(o, fulfillments=fulfillments[o.id]) for o in items],
                next_cursor=encode_cursor(items[-1].id) if more else None)


@router.get("/{order_id}", response_model=OrderOut)
def get_order(order_id: OrderId, _: OrderReader, container: ContainerDep) -> OrderOut:
    """One order with its lines, fulfillments and timeline."""
    return _out(order_service.get_order(container.uow(write=False), order_id))


def _timeline_position(raw: str | None) -> int:
    """The seq a timeline cursor carries: a plain ASCII number this API could have issued."""
    if raw is None:
        return 0
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_SEQ:
        raise InvalidInput("cursor is not one this API issued; start again without it",
                           loc=("query", "cursor"))
    return int(raw)


@router.get("/{order_id}/timeline", response_model=Page[TimelineItem])
def get_timeline(order_id: OrderId, _: OrderReader, container: ContainerDep,
                 limit: Limit = 50, cursor: Cursor = None) -> Page[TimelineItem]:
    """The order's events in order, as people read them."""
    after = _timeline_position(decode_cursor(cursor))
    with container.uow(write=False) as uow:
        if uow.orders.get(order_id) is None:
            raise NotFound(f"order {order_id!r} does not exist")
        events = uow.events.for_order(order_id, after_seq=after, limit=limit + 1)
    more = len(events) > limit
    items = events[:limit]
    return Page(items=[TimelineItem.of(e) for e in items],
                next_cursor=encode_cursor(str(items[-1].seq)) if more else None)


@router.post("/{order_id}/payment", response_model=OrderOut)
def update_payment(order_id: OrderId, body: PaymentUpdateIn, _: OrderWriter,
                   container: ContainerDep) -> OrderOut:
    """The payment service reports a capture (confirmed) or a decline (failed)."""
    run(lambda: order_service.record_payment(container.uow(), order_id,
                                             PaymentStatus(body.status), body.reason))
    if body.status == "confirmed":
        run(lambda: sourcing.source_if_ready(container.uow_factory, order_id,
                                             reader=container.reader))
    return _out(order_service.get_order(container.uow(write=False), order_id))


@router.post("/{order_id}/release", response_model=OrderOut)
def release(order_id: OrderId, principal: Operator, container: ContainerDep) -> OrderOut:
    """Let a held order continue (after review); it is sourced if it is ready."""
    run(lambda: order_service.release_order(container.uow(), order_id, by=principal.role))
    run(lambda: sourcing.source_if_ready(container.uow_factory, order_id,
                                         reader=container.reader))
    return _out(order_service.get_order(container.uow(write=False), order_id))


@router.post("/{order_id}/cancel", response_model=OrderOut)
def cancel(order_id: OrderId, _: OrderWriter, container: ContainerDep,
           body: CancelIn | None = None) -> OrderOut:
    """Cancel the order and release every reservation that has not shipped."""
    reason = body.reason if body else None
    run(lambda: order_service.cancel_order(container.uow(), order_id, reason))
    return _out(order_service.get_order(container.uow(write=False), order_id))
