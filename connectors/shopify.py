"""Shopify ``orders/create`` webhook bodies → canonical order body.

Every Shopify order ships unless the storefront recorded a store pickup as the note attribute
``pickup_location_id``: that is where a checkout extension can put a dom location id without
any app-specific schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors import canonical
from connectors.errors import CancelledOnChannel, ConnectorError, PaymentVoidedOnChannel
from connectors.fields import Field

__all__ = ["PICKUP_ATTRIBUTE", "shopify_order_to_canonical"]

PICKUP_ATTRIBUTE = "pickup_location_id"

# financial_status → canonical payment status. "paid" means captured: confirmed (a service
# sold on its own starts when it is paid); partially_paid waits like pending until the rest is.
_PAYMENT_BY_FINANCIAL_STATUS = {
    "authorized": "authorized",
    "paid": "confirmed",
    "pending": "pending",
    "partially_paid": "pending",
}
_FULFILLED_LINE_STATUSES = ("partial", "fulfilled")
_REFUSED_FINANCIAL_STATUS = {
    "refunded": "it was refunded",
    "partially_refunded": "it was partly refunded before it reached dom; check it by hand",
}


# where the canonical lines come from in the payload (refusals name the channel's field)
SHOPIFY_LINES = canonical.LinePaths(
    "line_items", {"sku": "sku", "qty": "quantity", "unit_price": "price"}
)


def shopify_order_to_canonical(payload: Mapping[str, Any],
                               sources: list[int] | None = None) -> dict[str, Any]:
    """Map one ``orders/create`` webhook body.

    Raises ``ConnectorError`` for a malformed payload (naming the field) and for orders that
    must not be fulfilled (cancelled, voided, refunded); a cancel or a voided payment as
    ``NewsOnChannel``, which the API applies to the order imported before.
    """
    order = Field.root(payload, "a Shopify order")
    order_id = order["id"].identifier()
    # null (empty, false) while the order stands; a time once it was cancelled. Anything else
    # is refused rather than read as a cancellation: a junk value must not cancel a live order.
    cancelled_at = order["cancelled_at"].value
    if not (cancelled_at is None or cancelled_at is False or cancelled_at == ""):
        order["cancelled_at"].timestamp()
        raise CancelledOnChannel(
            f"Shopify order {order_id} was cancelled (cancelled_at is set); nothing to fulfil",
            channel="web", channel_order_id=order_id, path="cancelled_at",
        )
    payment = _payment_status(order, order_id)
    delivery = _delivery(order)
    body: dict[str, Any] = {
        "channel": "web",
        "source": "shopify",
        "channel_order_id": order_id,
        "customer": _customer(order, order_id),
    }
    ship_to = _ship_to(order["shipping_address"], pickup=delivery["method"] == "pickup")
    if ship_to is not None:
        body["ship_to"] = ship_to
    body.update(
        delivery=delivery,
        priority=0,
        payment={"status": payment},
        currency=order["currency"].currency() or canonical.DEFAULT_CURRENCY,
        lines=_lines(order, order_id, sources),
        placed_at=order["created_at"].timestamp(),
    )
    reference = order["name"].optional_text()
    if reference:
        body["channel_reference"] = reference
    return body


def _payment_status(order: Field, order_id: str) -> str:
    status = order["financial_status"].text()
    if status == "voided":  # the authorization was let go: the payment will not come
        raise PaymentVoidedOnChannel(
            f"Shopify order {order_id} cannot be fulfilled: its payment was voided "
            "(financial_status voided)",
            channel="web", channel_order_id=order_id, path="financial_status",
        )
    if status in _REFUSED_FINANCIAL_STATUS:
        raise ConnectorError(
            f"Shopify order {order_id} cannot be fulfilled: {_REFUSED_FINANCIAL_STATUS[status]} "
            f"(financial_status {status})",
            path="financial_status",
        )
    if status not in _PAYMENT_BY_FINANCIAL_STATUS:
        known = ", ".join(sorted(_PAYMENT_BY_FINANCIAL_STATUS))
        raise order["financial_status"].error(f"is {status!r}; orders are taken when it is {known}")
    return _PAYMENT_BY_FINANCIAL_STATUS[status]


def _delivery(order: Field) -> dict[str, Any]:
    for attribute in order["note_attributes"].optional_items():
        if attribute["name"].optional_text() == PICKUP_ATTRIBUTE:
            return canonical.pickup(attribute["value"].identifier())
    return canonical.ship()


def _customer(order: Field, order_id: str) -> dict[str, Any]:
    """Shopify customer ids are namespaced so they cannot collide with other channels' ids."""
    person = order["customer"]
    address = order["shipping_address"]
    email = (
        person["email"].optional_text()
        or order["email"].optional_text()
        or order["contact_email"].optional_text()
    )
    first, last = person["first_name"].optional_text(), person["last_name"].optional_text()
    name = " ".join(part for part in (first, last) if part) or address["name"].optional_text()
    phone = (
        person["phone"].optional_text()
        or order["phone"].optional_text()
        or address["phone"].optional_text()
    )
    shopify_id = person["id"].optional_identifier()
    if shopify_id:
        customer_id = f"shopify:{shopify_id}"
    elif email:
        customer_id = f"shopify:{email.lower()}"
    else:  # a guest checkout with no contact: the order is its own customer
        customer_id = f"shopify:guest:{order_id}"
    return canonical.customer(customer_id, name, email, phone)


def _ship_to(address: Field, *, pickup: bool) -> dict[str, Any] | None:
    """Coordinates when Shopify geocoded the address, else the ZIP and country to geocode."""
    if address.missing:
        if pickup:
            return None
        raise address.error(
            f"is missing: a shipped order needs an address (or a {PICKUP_ATTRIBUTE!r} note "
            "attribute for store pickup)"
        )
    address.mapping()
    lat = address["latitude"].coordinate(90)
    lon = address["longitude"].coordinate(180)
    postal_code = address["zip"].optional_text()
    country = address["country_code"].optional_text()
    ship_to: dict[str, Any] = {}
    # (0, 0) is in the Gulf of Guinea: what an address Shopify could not geocode carries
    if lat is not None and lon is not None and (lat, lon) != (0.0, 0.0):
        ship_to = {"lat": lat, "lon": lon}
    else:
        ship_to = {"postal_code": address["zip"].text(), "country": address["country_code"].text()}
    if postal_code:
        ship_to["postal_code"] = postal_code
    if country:
        ship_to["country"] = country.upper()
    for key, source in (("name", "name"), ("address1", "address1"), ("city", "city")):
        value = address[source].optional_text()
        if value:
            ship_to[key] = value
    return ship_to


def _lines(order: Field, order_id: str, sources: list[int] | None = None
           ) -> list[dict[str, Any]]:
    items = order["line_items"]
    lines = []
    for index, item in enumerate(items.items()):
        line = _line(item)
        if line is not None:
            lines.append(line)
            canonical.note_source(sources, index)
    if not lines:
        raise items.error(f"of Shopify order {order_id} has no line with a quantity above 0")
    canonical.unique_line_ids(lines, "line_items[].id")
    return lines


def _line(item: Field) -> dict[str, Any] | None:
    item.mapping()
    qty = item["quantity"].quantity()
    # quantity is what was first ordered; current_quantity drops units removed by an order
    # edit or a refund, and once a line is (partly) fulfilled elsewhere (a POS sale, a 3PL)
    # fulfillable_quantity is what is still left to send.
    left = [item["current_quantity"].optional_quantity()]
    if item["fulfillment_status"].optional_text() in _FULFILLED_LINE_STATUSES:
        left.append(item["fulfillable_quantity"].optional_quantity())
    qty = min([qty, *(n for n in left if n is not None)])
    if qty == 0:  # removed by an order edit or fulfilled already: nothing to source
        return None
    line_id = item["id"].identifier()
    sku = item["sku"].optional_text()
    if sku is None:
        title = item["title"].optional_text() or item["name"].optional_text() or "untitled"
        raise item["sku"].error(
            f"is missing (line {line_id}, {title!r}): give the Shopify variant a SKU so dom "
            "knows which product to source"
        )
    return canonical.line(line_id, sku, qty, _net_unit_price(item))


def _net_unit_price(item: Field) -> float:
    """What the customer pays for one unit: ``price`` (the list unit price, a decimal string
    rounded to cents) less the line's share of discounts, spread over the units ordered.

    ``discount_allocations`` holds every discount applied to the line (its own and its share
    of order-level codes); ``total_discount``, which Shopify deprecated for it, is read only
    when the allocations are absent.
    """
    ordered = item["quantity"].quantity()
    gross = item["price"].amount().quantize(canonical.CENT) * ordered
    allocations = item["discount_allocations"]
    if allocations.missing:
        source, discount = item["total_discount"], Decimal(0)
        if not source.missing:
            discount = source.amount()
    else:
        source = allocations
        discount = sum((_allocated(a) for a in allocations.items()), Decimal(0))
    if discount > gross:
        raise source.error(f"takes {discount} off a line of {gross} ({ordered} x price); "
                           "a discount cannot exceed what it discounts")
    return canonical.unit_price(gross - discount, ordered)


def _allocated(allocation: Field) -> Decimal:
    """One discount allocation's amount in the shop's currency: ``amount``, or ``amount_set``'s
    ``shop_money`` in payloads that carry only the money set."""
    if allocation["amount"].missing and not allocation["amount_set"].missing:
        return allocation["amount_set"]["shop_money"]["amount"].amount()
    return allocation["amount"].amount()
