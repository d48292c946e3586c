"""Order intake and the order-level commands: payment, cancel, and reads.

Intake checks everything a schema cannot (known SKUs, a pickup location that does pickup,
lines a service may cover) before anything is written; a rejected order leaves no trace.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

from lifecycle import pipelines
from lifecycle.coordinates import resolve_coordinates
from lifecycle.escalations import WATCHING, close_settled
from lifecycle.rules import save_order
from lifecycle.services import (
    cancel_services,
    ensure_service_only_fulfillment,
    register_standalone_services,
    revoke_paid_services,
)
from lifecycle.uow import UnitOfWork, UowFactory
from models import (
    Conflict,
    DeliveryMethod,
    DuplicateChannelOrder,
    Event,
    InvalidInput,
    NotFound,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    Product,
    ShipTo,
    TransitionNotAllowed,
    new_id,
    new_token,
)
from models.clock import CLOCK_SKEW, as_utc
from models.commands import CreateOrder
from models.fulfillment_flow import DEPARTED
from models.fulfillments import Fulfillment, FulfillmentStatus, FulfillmentType
from models.order_progress import resume_status, uncovered_units
from models.orders import Delivery

# What a cancel stops: everything that has not left the building (or been handed over).
CANCELLABLE = frozenset({FulfillmentStatus.ALLOCATED, FulfillmentStatus.RELEASED,
                         FulfillmentStatus.ACCEPTED, FulfillmentStatus.PICKED,
                         FulfillmentStatus.PACKED, FulfillmentStatus.READY_FOR_PICKUP,
                         FulfillmentStatus.PENDING})


def _check_lines(command: CreateOrder, products: dict[str, Product]) -> None:
    if not command.lines:
        raise InvalidInput("an order needs at least one line", loc=("body", "lines"))
    counts = Counter(line.line_id for line in command.lines)
    repeated = sorted(line_id for line_id, n in counts.items() if n > 1)
    if repeated:
        raise InvalidInput(f"line_id must be unique within the order; repeated: {repeated}",
                           loc=("body", "lines"))
    unknown = sorted({line.sku for line in command.lines} - products.keys())
    if unknown:
        first = next(i for i, line in enumerate(command.lines) if line.sku in unknown)
        raise InvalidInput(f"unknown SKU(s): {', '.join(unknown)}; add them to the catalog "
                           "(PUT /v1/products/{sku}) or correct the order",
                           loc=("body", "lines", first, "sku"))
    by_id = {line.line_id: line for line in command.lines}
    covering: Counter[tuple[str, str]] = Counter()  # (covered line, service SKU) -> units
    for index, line in enumerate(command.lines):
        where = ("body", "lines", index)
        if line.qty <= 0:
            raise InvalidInput(f"line {line.line_id}: qty must be at least 1", loc=(*where, "qty"))
        if line.unit_price < 0:
            raise InvalidInput(f"line {line.line_id}: unit_price cannot be negative",
                               loc=(*where, "unit_price"))
        if line.covers_line_id is None:
            continue
        covered = by_id.get(line.covers_line_id)
        if not products[line.sku].is_service:
            raise InvalidInput(f"line {line.line_id}: only a service line can cover another "
                               f"line ({line.sku} is a product)", loc=(*where, "covers_line_id"))
        if covered is None or covered.line_id == line.line_id:
            raise InvalidInput(f"line {line.line_id}: covers_line_id {line.covers_line_id!r} "
                               "names no other line of this order", loc=(*where, "covers_line_id"))
        if products[covered.sku].is_service:
            raise InvalidInput(f"line {line.line_id}: a service can only cover a product line",
                               loc=(*where, "covers_line_id"))
        if line.qty > covered.qty:
            raise InvalidInput(f"line {line.line_id}: {line.qty} x {line.sku} cannot cover line "
                               f"{covered.line_id}, which has only {covered.qty} unit(s); "
                               "a service covers at most one unit each", loc=(*where, "qty"))
        covering[(covered.line_id, line.sku)] += line.qty
        if covering[(covered.line_id, line.sku)] > covered.qty:
            raise InvalidInput(f"line {line.line_id}: line {covered.line_id} already has "
                               f"{line.sku} on every unit; one service of a kind per unit",
                               loc=(*where, "covers_line_id"))


def _delivery(uow: UnitOfWork, command: CreateOrder) -> tuple[Delivery, ShipTo | None]:
    if command.delivery_method is DeliveryMethod.PICKUP:
        if not command.pickup_location_id:
            raise InvalidInput("pickup needs delivery.location_id: the store to pick up at",
                               loc=("body", "delivery", "location_id"))
        store = uow.locations.get(command.pickup_location_id)
        if store is None:
            raise InvalidInput(f"pickup location {command.pickup_location_id!r} does not exist",
                               loc=("body", "delivery", "location_id"))
        if not store.can_pickup:
            raise InvalidInput(f"{store.name} ({store.id}) does not offer in-store pickup"
                               + ("" if store.active else ": it is inactive"),
                               loc=("body", "delivery", "location_id"))
        ship_to = ShipTo(lat=store.lat, lon=store.lon, postal_code=store.postal_code,
                         name=store.name)
        return Delivery(DeliveryMethod.PICKUP, store.id, _deliver_by(command)), ship_to
    dest = command.ship_to
    if dest is None:
        raise InvalidInput("a shipped order needs ship_to (lat/lon or postal_code)",
                           loc=("body", "ship_to"))
    lat, lon = resolve_coordinates(dest.lat, dest.lon, dest.postal_code, dest.country,
                                   loc=("body", "ship_to"))
    ship_to = ShipTo(lat=lat, lon=lon, postal_code=dest.postal_code, country=dest.country,
                     name=dest.name, address1=dest.address1, city=dest.city)
    return Delivery(DeliveryMethod.SHIP, deliver_by=_deliver_by(command)), ship_to


def _deliver_by(command: CreateOrder) -> date | None:
    """The channel's delivery deadline: today (UTC) or later, or no deadline at all.

    A day already gone can never be met; taking the order anyway would only backorder it
    forever, so intake refuses it and the channel decides (drop the deadline, or cancel).
    """
    deadline = command.deliver_by
    if deadline is None:
        return None
    today = datetime.now(UTC).date()
    if deadline < today:
        raise InvalidInput(f"delivery.deliver_by {deadline.isoformat()} is in the past (today is "
                           f"{today.isoformat()} UTC); send today or a later date, or leave it "
                           "out for no deadline", loc=("body", "delivery", "deliver_by"))
    return deadline


def _placed_at(command: CreateOrder, now: datetime) -> datetime | None:
    """When the customer placed the order (UTC; a time without a zone is taken as UTC), never
    in the future: reports about the order are checked against it."""
    placed = command.placed_at
    if placed is None:
        return None
    placed = as_utc(placed)
    if placed > now + CLOCK_SKEW:
        raise InvalidInput(f"placed_at {placed.isoformat()} is in the future (now is "
                           f"{now.isoformat(timespec='seconds')}); send when the customer "
                           "placed the order, or leave it out", loc=("body", "placed_at"))
    return placed


def build_order(uow: UnitOfWork, command: CreateOrder) -> Order:
    """Check a new order against the catalog and the network and build it; writes nothing."""
    products = uow.products.get_many(line.sku for line in command.lines)
    _check_lines(command, products)
    if command.payment_status is PaymentStatus.FAILED:
        raise InvalidInput("an order cannot arrive with a failed payment",
                           loc=("body", "payment", "status"))
    delivery, ship_to = _delivery(uow, command)
    lines = [OrderLine(line_id=line.line_id, sku=line.sku, qty=line.qty,
                       unit_price=line.unit_price, covers_line_id=line.covers_line_id,
                       is_service=products[line.sku].is_service,
                       service=products[line.sku].terms_as_sold()) for line in command.lines]
    arrived = PaymentStatus.AUTHORIZED if command.payment_status is PaymentStatus.CONFIRMED \
        else command.payment_status
    now = datetime.now(UTC)
    order = Order(id=new_id("ord"), channel=command.channel,
                  channel_order_id=command.channel_order_id, customer=command.customer,
                  lines=lines, delivery=delivery, ship_to=ship_to, tracking_token=new_token(),
                  created_at=now, source=command.source, priority=command.priority,
                  currency=command.currency.upper(), payment_status=arrived,
                  placed_at=_placed_at(command, now), attributes=dict(command.attributes))
    config = pipelines.current()
    kind = config.kind_of(order)
    # The order carries its own steps: a later change of configuration does not reroute it.
    order.attributes["pipeline"] = {"name": kind, "version": config.version,
                                    "steps": list(config.pipelines[kind])}
    order.receive()
    if command.payment_status is PaymentStatus.CONFIRMED:
        order.confirm_payment()
    _hold_for_review(order, config)
    register_standalone_services(uow, order)  # paid and not held for review
    return order


def _hold_for_review(order: Order, config: pipelines.Pipelines) -> None:
    """Hold an order whose total is above the configured review threshold (at intake, or
    when a re-send brings the prices it came without)."""
    if (config.review_hold_above is not None and order.total > config.review_hold_above
            and order.can_hold and order.status is not OrderStatus.ON_HOLD):
        order.hold("review")


@dataclass(frozen=True)
class Intake:
    order: Order
    created: bool
    # a re-send brought news the first order lacked (its payment, its prices): source it now
    updated: bool = False


def resent(existing: Order, command: CreateOrder) -> Order:
    """``existing`` as the answer to ``command``, a re-send of it: the same (channel,
    channel_order_id). From another source (a second shop selling on channel web with ids of
    its own) it is a different order, refused rather than answered with someone else's."""
    if command.source and existing.source and command.source != existing.source:
        raise Conflict(f"channel order id {command.channel_order_id!r} on channel "
                       f"{command.channel.value} is taken by order {existing.id} from "
                       f"{existing.source}; an order from {command.source} needs an id of its "
                       f"own (for example prefixed with {command.source!r})",
                       loc=("body", "channel_order_id"))
    return existing


def take_payment_news(uow: UnitOfWork, order: Order, command: CreateOrder) -> bool:
    """A re-send of an order taken while its payment was pending takes what the channel
    learnt since: the payment authorized or captured, and the prices it left out while pending
    (Amazon sends none before it authorizes). A marketplace re-sends its orders as they
    change, so without this the first copy would wait for a payment forever. A re-send saying
    an authorized payment was captured since confirms it, as the payment service would.

    Nothing else on a re-send changes the order (the first one stands); a line gets a price
    only where it had none and the re-sent line is the same SKU. The steps follow intake's
    (``build_order``): payment, the review hold on the total, services (unless held), then a
    services-only order completes unless held. Writes the prices only; True when the order
    changed (the caller saves it and sources it).
    """
    if order.status is OrderStatus.CANCELLED:
        return False
    if order.payment_status in (PaymentStatus.AUTHORIZED, PaymentStatus.FAILED) \
            and command.payment_status is PaymentStatus.CONFIRMED:
        # captured since (Shopify's paid after authorized, or after a void): as the payment
        # service reporting it
        return _confirm_captured(uow, order)
    if (order.payment_status is not PaymentStatus.PENDING
            or command.payment_status not in (PaymentStatus.AUTHORIZED, PaymentStatus.CONFIRMED)):
        return False
    _check_resend_prices(order, command)
    prices = order.take_missing_prices({line.line_id: (line.sku, line.unit_price)
                                        for line in command.lines})
    if prices:
        uow.orders.save_prices(order, prices)
    if command.payment_status is PaymentStatus.CONFIRMED:
        order.confirm_payment()  # never sourced while pending: no status to resume
    else:
        order.authorize_payment()
    if prices:
        _hold_for_review(order, pipelines.current())  # its total was unknown at intake
    register_standalone_services(uow, order)
    if ensure_service_only_fulfillment(uow, order) is not None:
        _settle(uow, order)
    return True


def _check_resend_prices(order: Order, command: CreateOrder) -> None:
    """A paid re-send must price what the first copy could not: in the order's currency (an
    amount in euros must not be stored as dollars), and every line that came without a price
    (a line it leaves out, or sends as another SKU, would be sourced at 0). Refused as a
    whole, writing nothing: the channel sends a complete copy again."""
    if command.currency.upper() != order.currency:
        raise InvalidInput(f"order {order.id} is in {order.currency}; a re-send of it cannot "
                           f"price it in {command.currency.upper()}", loc=("body", "currency"))
    sent = {line.line_id: line for line in command.lines}
    unpriced = [line.line_id for line in order.lines if line.unit_price == 0
                and (line.line_id not in sent or sent[line.line_id].sku != line.sku)]
    if unpriced:
        raise InvalidInput(f"the re-send of order {order.id} says it is paid but lacks line(s) "
                           f"{', '.join(unpriced)} (as first sent, with their SKU) that came "
                           "without a price; send the whole order", loc=("body", "lines"))


def _answer_resend(uow: UnitOfWork, existing: Order, command: CreateOrder) -> Intake:
    """The stored order as the answer to a re-send, with the payment news it brings saved."""
    order = resent(existing, command)
    if not take_payment_news(uow, order, command):
        return Intake(order, created=False)
    save_order(uow, order)
    uow.commit()
    return Intake(order, created=False, updated=True)


def create_order(uow_factory: UowFactory, command: CreateOrder) -> Intake:
    """Place an order; the same (channel, channel_order_id) again returns the first order,
    updated when it waited for a payment the re-send reports (:func:`take_payment_news`)."""
    with uow_factory() as uow:
        existing = uow.orders.get_by_channel_ref(command.channel, command.channel_order_id)
        if existing is not None:
            return _answer_resend(uow, existing, command)
        order = build_order(uow, command)
        try:
            save_order(uow, order, new=True)
        except DuplicateChannelOrder:
            uow.rollback()
        else:
            _open_service_only(uow, order)
            uow.commit()
            return Intake(order, created=True)
    # A concurrent request inserted the same channel order first: answer with that one.
    with uow_factory() as uow:
        winner = uow.orders.get_by_channel_ref(command.channel, command.channel_order_id)
        assert winner is not None
        return _answer_resend(uow, winner, command)  # it may have come in while pending


@dataclass(frozen=True)
class OrderView:
    order: Order
    fulfillments: list[Fulfillment]
    events: list[Event]


def get_order(uow: UnitOfWork, order_id: str) -> OrderView:
    with uow:
        order = uow.orders.get(order_id)
        if order is None:
            raise NotFound(f"order {order_id!r} does not exist")
        return OrderView(order, uow.fulfillments.for_order(order_id),
                         uow.events.for_order(order_id))


def _open_service_only(uow: UnitOfWork, order: Order) -> None:
    """A new order of services only gets its service fulfillment (and completes if paid)."""
    if ensure_service_only_fulfillment(uow, order) is not None:
        _settle(uow, order)
        save_order(uow, order)


def _settle(uow: UnitOfWork, order: Order) -> None:
    """Take the status the fulfillments say, unless a command (cancel, a hold) stands.

    An order never sourced keeps its pre-sourcing status: sourcing derives it when it runs.
    """
    if order.status is OrderStatus.CANCELLED or order.hold_reason is not None:
        return
    status = resume_status(order, uow.fulfillments.for_order(order.id))
    if status is not None:
        order.apply_derived_status(status)


def record_payment(uow: UnitOfWork, order_id: str, status: PaymentStatus,
                   reason: str | None = None) -> Order:
    """Payment confirmed or failed, as the payment service reports it; repeats are no-ops.

    A confirmation releases a payment hold back to where the fulfillments are (allocated,
    shipped...), never to an earlier status.
    """
    with uow:
        order = _load(uow, order_id)
        if status is PaymentStatus.CONFIRMED:
            changed = _confirm_captured(uow, order)
        elif status is PaymentStatus.FAILED:
            changed = order.fail_payment(reason)
            if changed:
                _settle(uow, order)
        else:
            raise InvalidInput("payment status must be confirmed or failed",
                               loc=("body", "status"))
        if changed:
            save_order(uow, order)
            uow.commit()
    return order


def _confirm_captured(uow: UnitOfWork, order: Order) -> bool:
    """The payment captured: a payment hold goes back to where the fulfillments are, services
    sold on their own start. False when it already was (the caller saves the order if True)."""
    if not order.confirm_payment(resume_status(order, uow.fulfillments.for_order(order.id))):
        return False
    # a payment that failed after the goods left was flagged for a person: it came after all
    close_settled(uow, order, None, ("order_flagged",),
                  "closed by itself: the payment was confirmed", datetime.now(UTC))
    register_standalone_services(uow, order)
    ensure_service_only_fulfillment(uow, order)
    _settle(uow, order)
    return True


def cancel_order(uow: UnitOfWork, order_id: str, reason: str | None = None) -> Order:
    """Cancel and release every reservation that has not shipped, in one transaction.

    Once part of the order has shipped, only the rest is cancelled: the shipped parcels go on
    to the customer (and register the services that cover them), so the order is not.
    """
    with uow:
        order = _load(uow, order_id)
        fulfillments = uow.fulfillments.for_order(order_id)
        if any(f.status in DEPARTED for f in fulfillments):
            _cancel_unshipped(uow, order, fulfillments, reason)
        else:
            _cancel_whole(uow, order, fulfillments, reason)
        save_order(uow, order)
        uow.commit()
    return order


def _cancel_whole(uow: UnitOfWork, order: Order, fulfillments: list[Fulfillment],
                  reason: str | None) -> None:
    order.cancel(reason)
    released = uow.ledger.release_order(order.id)
    stopped = []
    for fulfillment in fulfillments:
        if fulfillment.status in CANCELLABLE:
            fulfillment.status = FulfillmentStatus.CANCELLED
            uow.fulfillments.save(fulfillment)
            stopped.append(fulfillment.id)
    revoked, services_stopped = revoke_paid_services(uow, order, fulfillments)
    stopped.extend(services_stopped)
    order.events[-1].data.update(units_released=released, fulfillments_cancelled=stopped,
                                 **({"services_cancelled": revoked} if revoked else {}))
    close_settled(uow, order, None, WATCHING, "closed by itself: the order was cancelled",
                  datetime.now(UTC))


def _cancel_unshipped(uow: UnitOfWork, order: Order, fulfillments: list[Fulfillment],
                      reason: str | None) -> None:
    """Stop the goods that have not left and the services covering only them."""
    if order.status is OrderStatus.CANCELLED:
        raise TransitionNotAllowed(f"order {order.id} is already cancelled")
    goods = [f for f in fulfillments if f.type is not FulfillmentType.SERVICE]
    stopped = [f for f in goods if f.status in CANCELLABLE]
    for fulfillment in stopped:
        fulfillment.status = FulfillmentStatus.CANCELLED
    units = uncovered_units(order, fulfillments)
    if not units:
        raise TransitionNotAllowed(f"order {order.id} has shipped in full; nothing is left "
                                   "to cancel")
    for fulfillment in stopped:
        uow.fulfillments.save(fulfillment)
    close_settled(uow, order, {f.id for f in stopped}, WATCHING,
                  "closed by itself: cancelled before it left", datetime.now(UTC))
    # a pickup store that cannot hand over is about the order's units still to come, not one
    # fulfillment: every one of them is cancelled now
    close_settled(uow, order, None, ("pickup_unavailable",),
                  "closed by itself: the units waiting for pickup were cancelled",
                  datetime.now(UTC))
    released = uow.ledger.release_order(order.id)
    dropped = cancel_services(uow, order, units)
    order.cancel_remainder({**units, **dropped}, reason, units_released=released,
                           fulfillments_cancelled=[f.id for f in stopped],
                           services_cancelled=sorted(dropped) or None)
    order.forget_waiting()  # the rest is cancelled: nothing waits
    _settle(uow, order)


def _load(uow: UnitOfWork, order_id: str) -> Order:
    order = uow.orders.get(order_id)
    if order is None:
        raise NotFound(f"order {order_id!r} does not exist")
    return order


def release_order(uow: UnitOfWork, order_id: str, by: str | None = None) -> Order:
    """Let a held order continue; sourcing follows if it is ready."""
    with uow:
        order = _load(uow, order_id)
        order.release_hold(by, resume_status(order, uow.fulfillments.for_order(order_id)))
        register_standalone_services(uow, order)  # paid while held: they start now
        _settle(uow, order)
        save_order(uow, order)
        uow.commit()
    return order
