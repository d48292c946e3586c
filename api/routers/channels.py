"""Channel connectors: marketplace and shop payloads taken as they come.

Each payload is mapped to the canonical order and placed through the same path as
``POST /v1/orders`` (same checks, same idempotency, same (channel, channel_order_id) rule).
A payload saying the channel cancelled the order cancels the one imported before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Body, Request, Response
from pydantic import ValidationError

from api.auth import OrderWriter, Principal
from api.deps import ContainerDep, run_async
from api.idempotency import idempotent, json_response
from api.routers.orders import place
from api.schemas.common import PROBLEM_RESPONSES
from api.schemas.orders import OrderIn, OrderOut
from connectors import (
    AMAZON_LINES,
    SHOPIFY_LINES,
    ConnectorError,
    NewsOnChannel,
    PaymentVoidedOnChannel,
    amazon_order_to_canonical,
    shopify_order_to_canonical,
)
from connectors.canonical import LinePaths
from dom.bootstrap import Container
from lifecycle import orders as order_service
from models import Channel, InvalidInput, Order, OrderStatus, PaymentStatus

router = APIRouter(prefix="/v1/channels", tags=["channels"], responses=PROBLEM_RESPONSES)

Payload = dict[str, Any]


Mapper = Callable[[Mapping[str, Any], list[int]], dict[str, Any]]


def _channel_loc(lines: LinePaths, sources: list[int],
                 loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """A refused field of the canonical body (``body.lines.1.sku``) as the channel sent it
    (``body.OrderItems[2].SellerSKU``): ``sources`` says which item each line came from.
    Other fields stay as they are."""
    if len(loc) < 3 or loc[:2] != ("body", "lines") or not isinstance(loc[2], int):
        return loc
    if not 0 <= loc[2] < len(sources):
        return loc
    field = str(loc[3]) if len(loc) > 3 else None
    return ("body", lines.path(sources[loc[2]], field))


def _canonical(mapper: Mapper, payload: Payload, source: str, lines: LinePaths,
               sources: list[int]) -> OrderIn:
    try:
        canonical = mapper(payload, sources)
    except NewsOnChannel:
        raise  # the caller applies it to the order it imported before, if there is one
    except ConnectorError as error:  # the field as the channel spells it, when one is to blame
        field = ("body", error.path) if error.path else ("body",)
        raise InvalidInput(f"{source} order refused: {error}", loc=field) from error
    try:
        return OrderIn.model_validate(canonical)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{source} order maps to an invalid order: {where}: {first['msg']}",
                           loc=_channel_loc(lines, sources, ("body", *first["loc"]))
                           ) from error


async def _import(request: Request, principal: Principal, container: Container,
                  mapper: Mapper, payload: Payload, source: str, lines: LinePaths) -> Response:
    sources: list[int] = []  # the payload item of each canonical line
    try:
        order = _canonical(mapper, payload, source, lines, sources)
    except NewsOnChannel as news_on_channel:
        # under the same Idempotency-Key rules as an import: the key of an import reused for
        # the news is 422, a retried one replays its answer
        news = news_on_channel
        return await idempotent(request, principal, container,
                                lambda: _apply_news(container, news, source))
    return await place(request, principal, container, order.to_command(),
                       where=lambda loc: _channel_loc(lines, sources, loc))


async def _apply_news(container: Container, news: NewsOnChannel, source: str) -> Response:
    """The channel cancelled an order, or voided its payment: the one imported before is
    cancelled (what has not shipped stops; 409 when everything has) or has its payment failed
    (held like a declined payment); never imported, it is refused (422)."""
    def find() -> Order | None:
        with container.uow(write=False) as uow:
            return uow.orders.get_by_channel_ref(Channel(news.channel), news.channel_order_id)

    existing = await run_async(find)
    if existing is None or existing.source != source.lower():
        raise InvalidInput(f"{source} order refused: {news}",
                           loc=("body", news.path) if news.path else ("body",))
    if existing.status is not OrderStatus.CANCELLED:
        if isinstance(news, PaymentVoidedOnChannel):
            await run_async(lambda: order_service.record_payment(
                container.uow(), existing.id, PaymentStatus.FAILED,
                f"payment voided on {source}"))
        else:
            await run_async(lambda: order_service.cancel_order(
                container.uow(), existing.id, f"cancelled on {source}"))
    view = await run_async(lambda: order_service.get_order(container.uow(write=False),
                                                           existing.id))
    return json_response(200, OrderOut.of(view.order, view.events, view.fulfillments)
                         .model_dump(mode="json"), location=f"/v1/orders/{existing.id}")


@router.post("/amazon/orders", response_model=OrderOut, status_code=201,
             responses={200: {"model": OrderOut,
                              "description": "Already imported (cancelled, when Amazon says "
                                             "it was cancelled; paid, when it was pending "
                                             "and Amazon now says it is paid)"}})
async def amazon_order(request: Request, principal: OrderWriter, container: ContainerDep,
                       payload: Payload = Body(description="An SP-API Order with OrderItems")
                       ) -> Response:
    """Import an Amazon SP-API order (channel marketplace, source amazon); a Canceled one
    cancels the order imported before."""
    return await _import(request, principal, container, amazon_order_to_canonical, payload,
                         "Amazon", AMAZON_LINES)


@router.post("/shopify/orders", response_model=OrderOut, status_code=201,
             responses={200: {"model": OrderOut,
                              "description": "Already imported (cancelled, when Shopify says "
                                             "it was cancelled; paid, when it was pending "
                                             "or authorized and Shopify now says it is paid; "
                                             "payment failed, when Shopify says it was "
                                             "voided)"}})
async def shopify_order(request: Request, principal: OrderWriter, container: ContainerDep,
                        payload: Payload = Body(description="A Shopify orders/create webhook body")
                        ) -> Response:
    """Import a Shopify order webhook (channel web, source shopify); one with cancelled_at
    cancels the order imported before, one whose payment was voided fails its payment."""
    return await _import(request, principal, container, shopify_order_to_canonical, payload,
                         "Shopify", SHOPIFY_LINES)
