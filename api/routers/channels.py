"""Channel connectors: marketplace and shop payloads taken as they come.

Each payload is mapped to the canonical order and placed through the same path as
``POST /v1/orders`` (same checks, same idempotency, same (channel, channel_order_id) rule).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Body, Request, Response
from pydantic import ValidationError

from api.auth import OrderWriter
from api.deps import ContainerDep
from api.routers.orders import place
from api.schemas.common import PROBLEM_RESPONSES
from api.schemas.orders import OrderIn, OrderOut
from connectors import ConnectorError, amazon_order_to_canonical, shopify_order_to_canonical
from models import InvalidInput

router = APIRouter(prefix="/v1/channels", tags=["channels"], responses=PROBLEM_RESPONSES)

Payload = dict[str, Any]


def _canonical(mapper: Callable[[Mapping[str, Any]], dict[str, Any]], payload: Payload,
               source: str) -> OrderIn:
    try:
        canonical = mapper(payload)
    except ConnectorError as error:
        raise InvalidInput(f"{source} order refused: {error}", loc=("body",)) from error
    try:
        return OrderIn.model_validate(canonical)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{source} order maps to an invalid order: {where}: {first['msg']}",
                           loc=("body",)) from error


@router.post("/amazon/orders", response_model=OrderOut, status_code=201,
             responses={200: {"model": OrderOut, "description": "Already imported"}})
async def amazon_order(request: Request, principal: OrderWriter, container: ContainerDep,
                       payload: Payload = Body(description="An SP-API Order with OrderItems")
                       ) -> Response:
    """Import an Amazon SP-API order (channel marketplace, source amazon)."""
    order = _canonical(amazon_order_to_canonical, payload, "Amazon")
    return await place(request, principal, container, order.to_command())


@router.post("/shopify/orders", response_model=OrderOut, status_code=201,
             responses={200: {"model": OrderOut, "description": "Already imported"}})
async def shopify_order(request: Request, principal: OrderWriter, container: ContainerDep,
                        payload: Payload = Body(description="A Shopify orders/create webhook body")
                        ) -> Response:
    """Import a Shopify order webhook (channel web, source shopify)."""
    order = _canonical(shopify_order_to_canonical, payload, "Shopify")
    return await place(request, principal, container, order.to_command())
