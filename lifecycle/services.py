"""Services on the customer's account.

A service covering a product line (an extended warranty on a laptop) is registered unit by unit
as that product is delivered or picked up (each unit from its own parcel's day), and a unit
whose product is cancelled is cancelled with it; a standalone service is registered when it is
paid. Services never touch
stock: they live in a fulfillment of their own that becomes ``registered``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from lifecycle import pipelines
from lifecycle.uow import UnitOfWork
from models import Order, OrderLine, OrderStatus, PaymentStatus, new_id
from models.catalog import ServiceTerms
from models.fulfillments import Fulfillment, FulfillmentLine, FulfillmentStatus, FulfillmentType
from models.services import CustomerService, add_months

PAID = "paid"  # the source of a standalone service's registration
# Where a product has reached the customer, so the services covering it start.
HANDED_OVER = frozenset({FulfillmentStatus.DELIVERED, FulfillmentStatus.PICKED_UP})


def registered_units(uow: UnitOfWork, order: Order) -> dict[str, int]:
    """Units of each service line on the customer's account."""
    units: dict[str, int] = defaultdict(int)
    for service in uow.services.for_order(order.id):
        units[service.line_id] += service.qty
    return dict(units)


def fully_registered(uow: UnitOfWork, order: Order) -> frozenset[str]:
    """Service lines whose every unit still wanted is registered."""
    if not order.service_lines:
        return frozenset()
    done, cancelled = registered_units(uow, order), order.cancelled_units
    return frozenset(line.line_id for line in order.service_lines
                     if 0 < line.qty - cancelled.get(line.line_id, 0) <= done.get(line.line_id, 0))


def _register(uow: UnitOfWork, order: Order, line: OrderLine, qty: int, source: str,
              now: datetime, started: datetime | None = None) -> None:
    """Put ``qty`` units of one service on the account; ``started``: when they take effect (the
    delivery); ``source``: what registered them (each source registers a line once)."""
    # the terms it was sold with (a line built without them: the catalog's now)
    product = uow.products.get(line.sku) if line.service is None else None
    terms = line.service or (product.terms_as_sold() if product else None) \
        or ServiceTerms(line.sku)
    covered = order.line(line.covers_line_id) if line.covers_line_id else None
    covered_product = uow.products.get(covered.sku) if covered else None
    starts = (started or now).date()
    ends = add_months(starts, terms.term_months) if terms.term_months else None
    name = terms.name
    service = CustomerService(
        id=new_id("svc"), customer_id=order.customer.id, order_id=order.id,
        line_id=line.line_id, sku=line.sku, name=name, starts=starts, ends=ends,
        registered_at=now, service_type=terms.service_type,
        covers_line_id=covered.line_id if covered else None,
        covers_sku=covered.sku if covered else None, qty=qty, source=source)
    if not uow.services.add(service):
        return
    what = f", covering {covered_product.name if covered_product else covered.sku}" \
        if covered else ""
    until = f" until {ends.isoformat()}" if ends else ""
    count = f"{qty} x " if qty > 1 else ""
    order.record("service.registered", f"{count}{name} registered to your account{what}{until}",
                 service_id=service.id, sku=line.sku, line_id=line.line_id, qty=qty,
                 covers_line_id=service.covers_line_id, covers_sku=service.covers_sku,
                 starts=starts.isoformat(), ends=ends.isoformat() if ends else None)


def _all_registered(lines: list[FulfillmentLine], done: dict[str, int]) -> bool:
    return all(done.get(line.line_id, 0) >= line.qty for line in lines)


def _settle_service_fulfillment(uow: UnitOfWork, order: Order) -> None:
    """The pending service fulfillment is registered once every unit it holds is."""
    done = registered_units(uow, order)
    for fulfillment in uow.fulfillments.for_order(order.id):
        if fulfillment.type is not FulfillmentType.SERVICE or \
                fulfillment.status is not FulfillmentStatus.PENDING:
            continue
        if _all_registered(fulfillment.lines, done):
            fulfillment.status = FulfillmentStatus.REGISTERED
            uow.fulfillments.save(fulfillment)


def register_covering(uow: UnitOfWork, order: Order, delivered: Fulfillment,
                      now: datetime | None = None, *,
                      delivered_at: datetime | None = None) -> None:
    """Register the services covering units the customer now has, one unit per unit.

    ``delivered``: the parcel (or pickup) that just reached the customer, with its new status
    (maybe not stored yet). A service line registers as many units as its product line has
    delivered so far, less what it registered before and never more than is still wanted;
    ``delivered_at``: when the carrier or store says the customer got them: a warranty runs
    from that day, not from the day the report reached dom.
    """
    if not pipelines.has_step(order, "register"):
        return
    now = now or datetime.now(UTC)
    fulfillments = {f.id: f for f in uow.fulfillments.for_order(order.id)}
    fulfillments[delivered.id] = delivered
    received: dict[str, int] = defaultdict(int)
    for fulfillment in fulfillments.values():
        if fulfillment.status in HANDED_OVER and fulfillment.type is not FulfillmentType.SERVICE:
            for item in fulfillment.lines:
                received[item.line_id] += item.qty
    here = {item.line_id for item in delivered.lines}
    done, cancelled = registered_units(uow, order), order.cancelled_units
    for (covered, _), lines in _covering(order).items():
        if covered not in here:
            continue
        # the product units delivered, less those a registration already covers, go to the
        # open units of these lines in order (two lines of one warranty share the laptops)
        free = received[covered] - sum(done.get(line.line_id, 0) for line in lines)
        for line in lines:
            still_open = line.qty - cancelled.get(line.line_id, 0) - done.get(line.line_id, 0)
            more = min(max(0, still_open), max(0, free))
            if more > 0:
                _register(uow, order, line, more, delivered.id, now, delivered_at)
                free -= more
    _settle_service_fulfillment(uow, order)


def _covering(order: Order) -> dict[tuple[str, str], list[OrderLine]]:
    """Service lines covering a product line, by (product line, service SKU): lines of the same
    service on the same product share its units (one warranty per laptop), different services
    each cover all of them (a warranty and a theft cover on the same laptop)."""
    groups: dict[tuple[str, str], list[OrderLine]] = defaultdict(list)
    for line in order.service_lines:
        if line.covers_line_id is not None:
            groups[(line.covers_line_id, line.sku)].append(line)
    return dict(groups)


def register_standalone_services(uow: UnitOfWork, order: Order,
                                 now: datetime | None = None) -> None:
    """Services that cover nothing start when they are paid, and not while the order is held
    (a review may still refuse it). Units already on the account are not registered twice, so
    this runs again safely when a hold is released."""
    if not pipelines.has_step(order, "register") or order.status is OrderStatus.ON_HOLD \
            or order.payment_status is not PaymentStatus.CONFIRMED:
        return
    standalone = [line for line in order.service_lines if line.covers_line_id is None]
    if not standalone:  # every order's intake comes here: no read for the common case
        return
    now = now or datetime.now(UTC)
    cancelled, done = order.cancelled_units, registered_units(uow, order)
    for line in standalone:
        wanted = line.qty - cancelled.get(line.line_id, 0) - done.get(line.line_id, 0)
        if wanted > 0:
            _register(uow, order, line, wanted, PAID, now)
    _settle_service_fulfillment(uow, order)


def revoke_paid_services(uow: UnitOfWork, order: Order,
                         fulfillments: Sequence[Fulfillment]) -> tuple[list[str], list[str]]:
    """The whole order is called off before anything reached the customer: nothing covered
    is registered then, so what is on the account are services paid for on their own; they
    are cancelled with their service fulfillment (one of the order's current
    ``fulfillments``). The lines they were for, and the fulfillments cancelled."""
    lines = uow.services.cancel_for_order(order.id)
    if not lines:
        return [], []
    stopped = [f for f in fulfillments if f.type is FulfillmentType.SERVICE
               and f.status is FulfillmentStatus.REGISTERED]
    for fulfillment in stopped:
        fulfillment.status = FulfillmentStatus.CANCELLED
        uow.fulfillments.save(fulfillment)
    return lines, [f.id for f in stopped]


def cancel_services(uow: UnitOfWork, order: Order, products_cancelled: dict[str, int],
                    *, standalone: bool = True) -> dict[str, int]:
    """The service units a cancel of ``products_cancelled`` (line -> units) takes with it,
    and the pending service fulfillment shrunk to what is left.

    A warranty unit goes when no unit of its product is left for it (two warranties on two
    laptops, one laptop cancelled: one warranty goes; one warranty on two laptops stays while
    one laptop does); units already registered stay on the account. ``standalone``: services
    covering nothing and not yet registered go too (a cancel of everything not yet shipped).
    Returns line -> service units cancelled, for the order's cancel record.
    """
    done, cancelled = registered_units(uow, order), order.cancelled_units
    dropped: dict[str, int] = {}

    def still_open(line: OrderLine) -> int:
        return max(0, line.qty - cancelled.get(line.line_id, 0) - done.get(line.line_id, 0))

    if standalone:
        for line in order.service_lines:
            if line.covers_line_id is None and still_open(line):
                dropped[line.line_id] = still_open(line)
    for (covered_id, _), lines in _covering(order).items():
        covered = order.line(covered_id)
        left = covered.qty - cancelled.get(covered_id, 0) - products_cancelled.get(covered_id, 0)
        # product units left for the open service units, once registered ones have theirs
        free = max(0, left - sum(done.get(line.line_id, 0) for line in lines))
        for line in lines:
            keep = min(still_open(line), free)
            free -= keep
            if still_open(line) > keep:
                dropped[line.line_id] = still_open(line) - keep
    if dropped:
        _shrink_service_fulfillment(uow, order, dropped, done)
    return dropped


def _shrink_service_fulfillment(uow: UnitOfWork, order: Order, dropped: dict[str, int],
                                done: dict[str, int]) -> None:
    for fulfillment in uow.fulfillments.for_order(order.id):
        if fulfillment.type is not FulfillmentType.SERVICE or \
                fulfillment.status is not FulfillmentStatus.PENDING:
            continue
        keep = [FulfillmentLine(line.line_id, line.sku, line.qty - dropped.get(line.line_id, 0))
                for line in fulfillment.lines if line.qty > dropped.get(line.line_id, 0)]
        if not keep:
            fulfillment.status = FulfillmentStatus.CANCELLED  # its lines say what it was
        else:
            fulfillment.lines = keep
            if _all_registered(keep, done):
                fulfillment.status = FulfillmentStatus.REGISTERED
        uow.fulfillments.save(fulfillment)


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
    registered = fully_registered(uow, order)
    done = all(line.line_id in registered for line in order.service_lines)
    fulfillment = Fulfillment(
        id=new_id("ful"), order_id=order.id, type=FulfillmentType.SERVICE, location_id=None,
        status=FulfillmentStatus.REGISTERED if done else FulfillmentStatus.PENDING,
        lines=[FulfillmentLine(line.line_id, line.sku, line.qty) for line in order.service_lines],
        created_at=now or datetime.now(UTC),
        attributes={"covers": {line.line_id: None for line in order.service_lines}})
    uow.fulfillments.add(fulfillment)
    return fulfillment
