"""Handlers for the network and the catalog: locations and products.

Checks what a schema cannot (a postal code that exists, a kind change that would strand
stock) and writes nothing when a check fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from lifecycle.stock_exceptions import Reconciled, location_changed
from lifecycle.uow import UnitOfWork
from models import (
    Conflict,
    InvalidInput,
    Location,
    OrderStatus,
    Product,
    ProductKind,
)
from models.locations import capability_problem

# Orders with units not yet shipped: their product lines may still be sourced from stock.
_OPEN_STATUSES = [s.value for s in (
    OrderStatus.RECEIVED, OrderStatus.ON_HOLD, OrderStatus.PAYMENT_CONFIRMED,
    OrderStatus.ALLOCATED, OrderStatus.PARTIALLY_ALLOCATED, OrderStatus.BACKORDERED,
    OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED)]


def _open_orders_with_product_line(uow: UnitOfWork, sku: str) -> list[str]:
    """Ids of open orders with a stocked (non-service) line of ``sku``."""
    return [order.id for order in uow.orders.with_statuses(_OPEN_STATUSES)
            if any(line.sku == sku and not line.is_service for line in order.lines)]


@dataclass(frozen=True)
class LocationPut:
    created: bool
    reconciled: Reconciled


def put_location(uow: UnitOfWork, location: Location) -> LocationPut:
    """Create or replace a location; closing it (or taking away what its open work needs)
    gives that work back to sourcing in the same transaction (``stock_exceptions``)."""
    problem = capability_problem(location.type, location.capabilities)
    if problem:
        raise InvalidInput(problem, loc=("body", "capabilities"))
    with uow:
        before = uow.locations.get(location.id)
        created = uow.locations.upsert(location)
        reconciled = location_changed(uow, before, location)
        uow.commit()
    return LocationPut(created, reconciled)


def put_product(uow: UnitOfWork, product: Product) -> bool:
    """Create or replace a product; a SKU holding stock cannot become a service."""
    if product.kind is ProductKind.SERVICE and product.weight_kg:
        raise InvalidInput("a service has no weight", loc=("body", "weight_kg"))
    with uow:
        existing = uow.products.get(product.sku)
        if existing and product.is_service and not existing.is_service:
            held = [p for p in uow.ledger.positions(sku=product.sku) if p.on_hand or p.reserved]
            if held:
                raise Conflict(f"{product.sku} holds stock at {len(held)} location(s); "
                               "zero it before turning the SKU into a service")
            waiting = _open_orders_with_product_line(uow, product.sku)
            if waiting:
                shown = ", ".join(waiting[:5]) + (", ..." if len(waiting) > 5 else "")
                raise Conflict(f"{product.sku} is on {len(waiting)} open order(s) as a stocked "
                               f"product ({shown}); complete or cancel them before turning the "
                               "SKU into a service")
        created = uow.products.upsert(product)
        uow.commit()
    return created
