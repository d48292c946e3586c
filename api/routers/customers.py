"""Customers: the services registered to their account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.auth import OrderWriter
from api.deps import ContainerDep, Cursor, Limit, decode_cursor, encode_cursor
from api.schemas.common import PROBLEM_RESPONSES, Page
from api.schemas.fulfillments import ServiceOut

router = APIRouter(prefix="/v1/customers", tags=["customers"], responses=PROBLEM_RESPONSES)


# ``:path``: channels' customer ids may hold a "/" (sent percent-encoded or not); any id an
# order was taken with can be read back.
@router.get("/{customer_id:path}/services", response_model=Page[ServiceOut])
def customer_services(customer_id: Annotated[str, Path(min_length=1, max_length=100)],
                      _: OrderWriter, container: ContainerDep, limit: Limit = 50,
                      cursor: Cursor = None) -> Page[ServiceOut]:
    """Warranties and other services on the customer's account, with what they cover."""
    with container.uow(write=False) as uow:
        found = uow.services.for_customer(customer_id, after=decode_cursor(cursor),
                                          limit=limit + 1)
    items = found[:limit]
    return Page(items=[ServiceOut.of(s) for s in items],
                next_cursor=encode_cursor(items[-1].id) if len(found) > limit else None)
