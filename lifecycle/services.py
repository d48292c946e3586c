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
from models.fulfillments import Fulfillment, FulfillmentLine, FulfillmentStatus, FulfillmentType
from models.services import CustomerService, add_months


def _register(uow: UnitOfWork, order: Order, line: OrderLine, now: datetime,
              started: datetime | None = None) -> None:
    """Put one service on the account; ``started``: when it takes effect (the delivery)."""
    product = uow.products.get(line.sku)
    name = product.name if product else line.sku
    covered = order.line(line.covers_line_id) if line.covers_line_id else None
    covered_product = uow.products.get(covered.sku) if covered else None
    starts = (started or now).date()
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
                      now: datetime | None = None, *,
                      delivered_at: datetime | None = None) -> None:
    """Register the services that cover lines the customer now has.

    ``delivered_at``: when the carrier or store says the customer got them; a warranty runs
    from that day, not from the day the report reached dom.
    """
    if not pipelines.has_step(order, "register"):
        return
    now = now or datetime.now(UTC)
    delivered = set(delivered_line_ids)
    for line in order.service_lines:
        if line.covers_line_id in delivered:
            _register(uow, order, line, now, delivered_at)
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


def ensure_service_only_fulfillment(uow: UnitOfWork, order: Order,
                                    now: datetime | None = None) -> Fulfillment | None:
    """Give an order of services only (a standalone warranty) its service fulfillment.

    Sourcing creates the service fulfillment of mixed orders; an order without products is
    never sourced, so without this it would have nothing to complete on. The fulfillment is
    ``registered`` when every service already is (paid at intake), else ``pending``. The
    order must already be stored (fulfillments reference it).
    """
    if order.product_lines or not order.service_lines:
        return None
    existing = [f for f in uow.fulfillments.for_order(order.id)
                if f.type is FulfillmentType.SERVICE]
    if existing:
        return None
    registered = {s.line_id for s in uow.services.for_order(order.id)}
    done = all(line.line_id in registered for line in order.service_lines)
    fulfillment = Fulfillment(
        id=new_id("ful"), order_id=order.id, type=FulfillmentType.SERVICE, location_id=None,
        status=FulfillmentStatus.REGISTERED if done else FulfillmentStatus.PENDING,
        lines=[FulfillmentLine(line.line_id, line.sku, line.qty) for line in order.service_lines],
        created_at=now or datetime.now(UTC),
        attributes={"covers": {line.line_id: None for line in order.service_lines}})
    uow.fulfillments.add(fulfillment)
    return fulfillment
