"""The catalog: products and services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.auth import Admin, Reader
from api.deps import ContainerDep, Cursor, Limit, decode_cursor, encode_cursor, run
from api.schemas.common import PROBLEM_RESPONSES, Page
from api.schemas.products import ProductIn, ProductOut
from lifecycle.catalog import put_product
from models import NotFound, Product

router = APIRouter(prefix="/v1/products", tags=["catalog"], responses=PROBLEM_RESPONSES)

Sku = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


@router.put("/{sku}", response_model=ProductOut, status_code=200,
            responses={201: {"model": ProductOut, "description": "Created"}})
def upsert_product(sku: Sku, body: ProductIn, _: Admin, container: ContainerDep,
                   response: Response) -> ProductOut:
    """Create or replace a product or a service (201 when new)."""
    product = Product(sku=sku, name=body.name, kind=body.kind, weight_kg=body.weight_kg,
                      service_type=body.service_type, term_months=body.term_months)
    if run(lambda: put_product(container.uow(), product)):
        response.status_code = 201
    return ProductOut.of(product)


@router.get("", response_model=Page[ProductOut])
def list_products(_: Reader, container: ContainerDep, limit: Limit = 50,
                  cursor: Cursor = None) -> Page[ProductOut]:
    """The catalog, by SKU."""
    with container.uow(write=False) as uow:
        found = uow.products.page(after=decode_cursor(cursor), limit=limit + 1)
    more = len(found) > limit
    items = found[:limit]
    return Page(items=[ProductOut.of(p) for p in items],
                next_cursor=encode_cursor(items[-1].sku) if more else None)


@router.get("/{sku}", response_model=ProductOut)
def get_product(sku: Sku, _: Reader, container: ContainerDep) -> ProductOut:
    """One product or service."""
    with container.uow(write=False) as uow:
        product = uow.products.get(sku)
    if product is None:
        raise NotFound(f"SKU {sku!r} is not in the catalog")
    return ProductOut.of(product)
