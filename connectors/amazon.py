"""Amazon SP-API orders (Orders API v0 ``Order`` with its ``OrderItems``) → canonical order body.

Only merchant-fulfilled (MFN) orders that still need shipping are ours to source: Amazon ships
AFN orders from its own warehouses, and cancelled or shipped orders have nothing left to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors import canonical
from connectors.errors import CancelledOnChannel, ConnectorError
from connectors.fields import Field

__all__ = ["amazon_order_to_canonical"]

# OrderStatus → canonical payment status. Pending: Amazon has not yet authorized the payment
# (PendingAvailability is a pre-order waiting for its release date, also unpaid).
_PAYMENT_BY_STATUS = {
    "Pending": "pending",
    "PendingAvailability": "pending",
    "Unshipped": "authorized",
    "PartiallyShipped": "authorized",
}
_REFUSED_STATUS = {
    "Canceled": "was cancelled on Amazon; there is nothing to fulfil",
    "Shipped": "has already shipped; there is nothing left to fulfil",
    "Unfulfillable": "is marked Unfulfillable by Amazon (an AFN status); it cannot be fulfilled",
    "InvoiceUnconfirmed": "has shipped and awaits invoice confirmation; nothing left to fulfil",
}
# ShipmentServiceLevelCategory → priority: faster promises win scarce stock.
_PRIORITY_BY_LEVEL = {"Expedited": 1, "Priority": 1, "NextDay": 2, "SameDay": 3}
_PRIME_PRIORITY = 1


# where the canonical lines come from in the payload (refusals name the channel's field)
AMAZON_LINES = canonical.LinePaths(
    "OrderItems",
    {"sku": "SellerSKU", "qty": "QuantityOrdered", "unit_price": "ItemPrice"},
)


def amazon_order_to_canonical(payload: Mapping[str, Any],
                              sources: list[int] | None = None) -> dict[str, Any]:
    """Map one SP-API order, with the items of getOrderItems embedded as ``OrderItems``.

    Raises ``ConnectorError`` for a malformed payload (naming the field) and for orders dom
    must not fulfil (cancelled, already shipped, fulfilled by Amazon).
    """
    order = Field.root(payload, "an Amazon order")
    order_id = order["AmazonOrderId"].identifier()
    _refuse_amazon_fulfilled(order, order_id)
    payment = _payment_status(order, order_id)
    currency = _currency(order)
    body: dict[str, Any] = {
        "channel": "marketplace",
        "source": "amazon",
        "channel_order_id": order_id,
        "customer": _customer(order, order_id),
        "ship_to": _ship_to(order["ShippingAddress"]),
        "delivery": canonical.ship(),
        "priority": _priority(order),
        "payment": {"status": payment},
        "currency": currency,
        "lines": _lines(order, order_id, currency, prices_required=payment != "pending",
                        sources=sources),
        "placed_at": order["PurchaseDate"].timestamp(),
    }
    reference = order["SellerOrderId"].optional_identifier()
    if reference:
        body["channel_reference"] = reference
    return body


def _refuse_amazon_fulfilled(order: Field, order_id: str) -> None:
    channel = order["FulfillmentChannel"].optional_text()
    if channel == "AFN":
        raise ConnectorError(
            f"Amazon order {order_id} is fulfilled by Amazon (FulfillmentChannel AFN): Amazon "
            "ships it from its own stock, so it must not be sourced here; send only MFN orders",
            path="FulfillmentChannel",
        )
    if channel not in (None, "MFN"):
        raise order["FulfillmentChannel"].error(f"must be MFN or AFN, got {channel!r}")


def _payment_status(order: Field, order_id: str) -> str:
    status = order["OrderStatus"].text()
    if status == "Canceled":
        raise CancelledOnChannel(
            f"Amazon order {order_id} {_REFUSED_STATUS[status]} (OrderStatus {status})",
            channel="marketplace", channel_order_id=order_id, path="OrderStatus")
    if status in _REFUSED_STATUS:
        raise ConnectorError(
            f"Amazon order {order_id} {_REFUSED_STATUS[status]} (OrderStatus {status})",
            path="OrderStatus",
        )
    if status not in _PAYMENT_BY_STATUS:
        known = ", ".join(sorted(_PAYMENT_BY_STATUS))
        raise order["OrderStatus"].error(f"is {status!r}; orders can be taken when it is {known}")
    return _PAYMENT_BY_STATUS[status]


# Each Amazon marketplace sells in one currency (SP-API's marketplace ids).
MARKETPLACE_CURRENCY = {
    "ATVPDKIKX0DER": "USD", "A2EUQ1WTGCTBG2": "CAD", "A1AM78C64UM0Y8": "MXN",
    "A2Q3Y263D00KWC": "BRL", "A1F83G8C2ARO7P": "GBP", "A1PA6795UKMFR9": "EUR",
    "A13V1IB3VIYZZH": "EUR", "APJ6JRA9NG5V4": "EUR", "A1RKKUPIHCS9HS": "EUR",
    "A1805IZSGTT6HS": "EUR", "AMEN7PMS3EDWL": "EUR", "A2NODRKZP88ZB9": "SEK",
    "A1C3SOZRARQ6R3": "PLN", "A33AVAJ2PDY3EV": "TRY", "A2VIGQ35RCS4UG": "AED",
    "A17E79C6D8DWNP": "SAR", "ARBP9OOSHTCHU": "EGP", "A21TJRUUN4KGV": "INR",
    "A1VC38T7YXB528": "JPY", "A39IBJ37TRP1C6": "AUD", "A19VAU5U5O7RUS": "SGD",
}


def _currency(order: Field) -> str:
    """OrderTotal's currency; Pending orders carry no total, so the items' and then the
    marketplace's: the later re-send with prices must find the order in its own currency."""
    found = order["OrderTotal"]["CurrencyCode"].currency()
    for item in order["OrderItems"].optional_items():
        if found is not None:
            break
        found = item["ItemPrice"]["CurrencyCode"].currency()
    marketplace = order["MarketplaceId"].value
    by_marketplace = MARKETPLACE_CURRENCY.get(marketplace) \
        if isinstance(marketplace, str) else None
    return found or by_marketplace or canonical.DEFAULT_CURRENCY


def _customer(order: Field, order_id: str) -> dict[str, Any]:
    """Amazon's buyer email is a stable per-seller relay address, so it identifies the buyer."""
    buyer = order["BuyerInfo"]
    email = buyer["BuyerEmail"].optional_text()
    name = buyer["BuyerName"].optional_text() or order["ShippingAddress"]["Name"].optional_text()
    phone = order["ShippingAddress"]["Phone"].optional_text()
    customer_id = f"amazon:{email.lower()}" if email else f"amazon:{order_id}"
    return canonical.customer(customer_id, name, email, phone)


def _ship_to(address: Field) -> dict[str, Any]:
    address.require()
    ship_to: dict[str, Any] = {
        "postal_code": address["PostalCode"].text(),
        "country": address["CountryCode"].text().upper(),
    }
    for key, source in (("name", "Name"), ("address1", "AddressLine1"), ("city", "City")):
        value = address[source].optional_text()
        if value:
            ship_to[key] = value
    return ship_to


def _priority(order: Field) -> int:
    level = order["ShipmentServiceLevelCategory"].optional_text()
    priority = _PRIORITY_BY_LEVEL.get(level or "", 0)
    if order["IsPrime"].flag():
        priority = max(priority, _PRIME_PRIORITY)
    return priority


def _lines(
    order: Field, order_id: str, currency: str, *, prices_required: bool,
    sources: list[int] | None = None,
) -> list[dict[str, Any]]:
    items = order["OrderItems"]
    if items.missing:
        raise items.error("is missing: embed the items returned by getOrderItems in the order")
    lines = []
    for index, item in enumerate(items.items()):
        line = _line(item, currency, prices_required=prices_required)
        if line is not None:
            lines.append(line)
            canonical.note_source(sources, index)
    if not lines:
        raise items.error(f"of Amazon order {order_id} has no item with QuantityOrdered above 0")
    canonical.unique_line_ids(lines, "OrderItemId")
    return lines


def _line(item: Field, currency: str, *, prices_required: bool) -> dict[str, Any] | None:
    item.mapping()
    ordered = item["QuantityOrdered"].quantity()
    shipped = item["QuantityShipped"].optional_quantity() or 0
    if shipped > ordered:
        raise item["QuantityShipped"].error(
            f"is {shipped}, more than the {ordered} ordered (QuantityOrdered)")
    qty = ordered - shipped  # a PartiallyShipped order: only what has not shipped is ours
    if qty == 0:  # cancelled by the buyer before shipping, or shipped already: nothing to source
        return None
    line_id = item["OrderItemId"].identifier()
    sku = item["SellerSKU"].text()
    price = item["ItemPrice"]
    if price.missing:
        if prices_required:
            raise price.error("is missing; Amazon leaves prices out only while an order is Pending")
        return canonical.line(line_id, sku, qty, 0.0)
    item_currency = price["CurrencyCode"].currency()
    if item_currency not in (None, currency):
        raise price["CurrencyCode"].error(
            f"is {item_currency} but the order is in {currency}; one order has one currency"
        )
    # ItemPrice is the line total (unit price x QuantityOrdered), not the unit price, and
    # PromotionDiscount what promotions took off it: the customer pays the difference.
    total = price["Amount"].amount()
    promotion = item["PromotionDiscount"]
    discount = Decimal(0)
    if not promotion["Amount"].missing:  # SP-API money fields may leave out either part
        promotion_currency = promotion["CurrencyCode"].currency()
        if promotion_currency not in (None, currency):
            raise promotion["CurrencyCode"].error(
                f"is {promotion_currency} but the order is in {currency}")
        discount = promotion["Amount"].amount()
        if discount > total:
            raise promotion["Amount"].error(f"is {discount}, more than ItemPrice ({total})")
    return canonical.line(line_id, sku, qty, canonical.unit_price(total - discount, ordered))
