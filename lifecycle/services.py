"""Services on the customer's account.

A service covering a product line (an extended warranty on a laptop) is registered when that
product is delivered or picked up; a standalone service when it is paid. Services never touch
stock: they live in a fulfillment of their own that becomes ``registered``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from lifecycle import pipelines
from lifecycle.uow import UnitOfWork
from models import Order, OrderLine, new_id
from models.fulfillments import FulfillmentStatus, FulfillmentType
from models.services import CustomerService, add_months


def _register(uow: UnitOfWork, order: Order, line: OrderLine, now: datetime) -> None:
    product = uow.products.get(line.sku)
    name = product.name if product else line.sku
    covered = order.line(line.covers_line_id) if line.covers_line_id else None
    covered_product = uow.products.get(covered.sku) if covered else None
    starts = now.date()
    ends = add_months(starts, product.term_months) if product and product.term_months else None
    service = CustomerService(
        id=new_id("svc"), customer_id=order.customer.id, order_id=order.id,
        line_id=line.line_id, sku=line.sku, name=name, starts=starts, ends=ends,
        registered_at=now, service_type=product.service_type if product else None,
        covers_line_id=covered.line_id if covered else None,
        covers_sku=covered.sku if covered else None)
    if not uow.services.add(service):
        return
    what = f", covering {covered_product.name if covered_product else covered.sku}" \
        if covered else ""
    until = f" until {ends.isoformat()}" if ends else ""
    order.record("service.registered", f"{name} registered to your account{what}{until}",
                 service_id=service.id, sku=line.sku, line_id=line.line_id,
                 covers_line_id=service.covers_line_id, covers_sku=service.covers_sku,
                 starts=starts.isoformat(), ends=ends.isoformat() if ends else None)


def _close_service_fulfillment(uow: UnitOfWork, order: Order) -> None:
    registered = {s.line_id for s in uow.services.for_order(order.id)}
    for fulfillment in uow.fulfillments.for_order(order.id):
        if fulfillment.type is not FulfillmentType.SERVICE or \
                fulfillment.status is not FulfillmentStatus.PENDING:
            continue
        if all(line.line_id in registered for line in fulfillment.lines):
            fulfillment.status = FulfillmentStatus.REGISTERED
            uow.fulfillments.save(fulfillment)


def register_covering(uow: UnitOfWork, order: Order, delivered_line_ids: Iterable[str],
                      now: datetime | None = None) -> None:
    """Register the services that cover lines the customer now has."""
    if not pipelines.has_step(order, "register"):
        return
    now = now or datetime.now(UTC)
    delivered = set(delivered_line_ids)
    for line in order.service_lines:
        if line.covers_line_id in delivered:
            _register(uow, order, line, now)
    _close_service_fulfillment(uow, order)


def register_standalone_services(uow: UnitOfWork, order: Order,
                                 now: datetime | None = None) -> None:
    """Services that cover nothing start when they are paid."""
    if not pipelines.has_step(order, "register"):
        return
    now = now or datetime.now(UTC)
    standalone = [line for line in order.service_lines if line.covers_line_id is None]
    for line in standalone:
        _register(uow, order, line, now)
    if standalone:
        _close_service_fulfillment(uow, order)
