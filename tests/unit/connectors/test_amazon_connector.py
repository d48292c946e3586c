"""Amazon SP-API orders map to the canonical order body, one test per mapping rule."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from connectors import ConnectorError, amazon_order_to_canonical

Payload = dict[str, Any]


def test_full_unshipped_order_maps_to_the_canonical_body(amazon_order: Payload) -> None:
    assert amazon_order_to_canonical(amazon_order) == {
        "channel": "marketplace",
        "source": "amazon",
        "channel_order_id": "113-5827318-4921016",
        "channel_reference": "DOM-AMZ-40218",
        "customer": {
            "id": "amazon:q7vx2m8lkd4wz1c@marketplace.amazon.com",
            "name": "Jordan Rivera",
            "email": "Q7vx2m8lkd4wz1c@marketplace.amazon.com",
            "phone": "+1 206-555-0143",
        },
        "ship_to": {
            "postal_code": "98121-1635",
            "country": "US",
            "name": "Jordan Rivera",
            "address1": "2211 Elliott Ave",
            "city": "SEATTLE",
        },
        "delivery": {"method": "ship"},
        "priority": 0,
        "payment": {"status": "authorized"},
        "currency": "USD",
        "lines": [
            {"line_id": "68828574383266", "sku": "LAPTOP-15", "qty": 1, "unit_price": 999.0},
            # 100.00 for 3 less a 5.00 promotion
            {"line_id": "68828574383267", "sku": "CAM-SD-128", "qty": 3, "unit_price": 31.666667},
        ],
        "placed_at": "2025-11-03T17:42:09Z",
    }


def test_input_payload_is_not_modified(amazon_order: Payload) -> None:
    before = copy.deepcopy(amazon_order)
    amazon_order_to_canonical(amazon_order)
    assert amazon_order == before


# -- identity and channel -------------------------------------------------------------------
def test_amazon_order_id_is_the_channel_order_id_on_the_marketplace_channel(
    amazon_order: Payload,
) -> None:
    body = amazon_order_to_canonical(amazon_order)
    assert (body["channel"], body["source"], body["channel_order_id"]) == (
        "marketplace",
        "amazon",
        "113-5827318-4921016",
    )


def test_missing_amazon_order_id_is_refused(amazon_order: Payload) -> None:
    del amazon_order["AmazonOrderId"]
    with pytest.raises(ConnectorError, match=r"^AmazonOrderId is missing$"):
        amazon_order_to_canonical(amazon_order)


def test_without_seller_order_id_there_is_no_channel_reference(amazon_pending: Payload) -> None:
    assert "channel_reference" not in amazon_order_to_canonical(amazon_pending)


# -- customer -------------------------------------------------------------------------------
def test_customer_id_derives_from_the_buyer_email(amazon_order: Payload) -> None:
    customer = amazon_order_to_canonical(amazon_order)["customer"]
    assert customer["id"] == "amazon:q7vx2m8lkd4wz1c@marketplace.amazon.com"
    assert customer["email"] == "Q7vx2m8lkd4wz1c@marketplace.amazon.com"
    assert customer["name"] == "Jordan Rivera"


def test_without_buyer_info_the_order_id_names_the_customer(amazon_order: Payload) -> None:
    del amazon_order["BuyerInfo"]
    customer = amazon_order_to_canonical(amazon_order)["customer"]
    assert customer["id"] == "amazon:113-5827318-4921016"
    assert "email" not in customer
    assert customer["name"] == "Jordan Rivera"  # from ShippingAddress.Name


def test_pending_order_without_buyer_details_has_only_an_id(amazon_pending: Payload) -> None:
    assert amazon_order_to_canonical(amazon_pending)["customer"] == {
        "id": "amazon:902-3159896-1390916"
    }


# -- ship to --------------------------------------------------------------------------------
def test_shipping_address_postal_code_and_country_become_ship_to(amazon_pending: Payload) -> None:
    amazon_pending["ShippingAddress"]["CountryCode"] = "us"
    ship_to = amazon_order_to_canonical(amazon_pending)["ship_to"]
    assert ship_to == {"postal_code": "60601", "country": "US", "city": "CHICAGO"}


def test_missing_shipping_address_is_refused(amazon_order: Payload) -> None:
    del amazon_order["ShippingAddress"]
    with pytest.raises(ConnectorError, match=r"^ShippingAddress is missing$"):
        amazon_order_to_canonical(amazon_order)


@pytest.mark.parametrize("field", ["PostalCode", "CountryCode"])
def test_missing_postal_code_or_country_is_refused(amazon_order: Payload, field: str) -> None:
    amazon_order["ShippingAddress"][field] = "  "
    with pytest.raises(ConnectorError, match=f"^ShippingAddress.{field} is missing$") as err:
        amazon_order_to_canonical(amazon_order)
    assert err.value.path == f"ShippingAddress.{field}"


def test_every_order_ships(amazon_order: Payload) -> None:
    assert amazon_order_to_canonical(amazon_order)["delivery"] == {"method": "ship"}


# -- status and payment ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "payment"),
    [
        ("Pending", "pending"),
        ("PendingAvailability", "pending"),
        ("Unshipped", "authorized"),
        ("PartiallyShipped", "authorized"),
    ],
)
def test_order_status_sets_the_payment_status(
    amazon_order: Payload, status: str, payment: str
) -> None:
    amazon_order["OrderStatus"] = status
    assert amazon_order_to_canonical(amazon_order)["payment"] == {"status": payment}


def test_cancelled_order_is_refused_with_a_clear_reason(amazon_order: Payload) -> None:
    amazon_order["OrderStatus"] = "Canceled"
    with pytest.raises(ConnectorError, match="113-5827318-4921016 was cancelled") as err:
        amazon_order_to_canonical(amazon_order)
    assert err.value.path == "OrderStatus"


@pytest.mark.parametrize("status", ["Shipped", "Unfulfillable", "InvoiceUnconfirmed"])
def test_orders_with_nothing_left_to_fulfil_are_refused(amazon_order: Payload, status: str) -> None:
    amazon_order["OrderStatus"] = status
    with pytest.raises(ConnectorError, match=f"OrderStatus {status}"):
        amazon_order_to_canonical(amazon_order)


def test_unknown_order_status_lists_the_accepted_ones(amazon_order: Payload) -> None:
    amazon_order["OrderStatus"] = "OnTheMoon"
    with pytest.raises(ConnectorError, match=r"OrderStatus is 'OnTheMoon'.*Unshipped"):
        amazon_order_to_canonical(amazon_order)


def test_amazon_fulfilled_order_is_refused(amazon_order: Payload) -> None:
    amazon_order["FulfillmentChannel"] = "AFN"
    with pytest.raises(ConnectorError, match="fulfilled by Amazon") as err:
        amazon_order_to_canonical(amazon_order)
    assert err.value.path == "FulfillmentChannel"


def test_missing_fulfillment_channel_is_taken_as_merchant_fulfilled(amazon_order: Payload) -> None:
    del amazon_order["FulfillmentChannel"]
    assert amazon_order_to_canonical(amazon_order)["channel_order_id"] == "113-5827318-4921016"


def test_unknown_fulfillment_channel_is_refused(amazon_order: Payload) -> None:
    amazon_order["FulfillmentChannel"] = "XYZ"
    with pytest.raises(ConnectorError, match="FulfillmentChannel must be MFN or AFN"):
        amazon_order_to_canonical(amazon_order)


# -- priority -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("is_prime", "level", "priority"),
    [
        (False, "Standard", 0),
        (False, "FreeEconomy", 0),
        (False, "Expedited", 1),
        (False, "NextDay", 2),
        (False, "SameDay", 3),
        (True, "Standard", 1),
        (True, "SameDay", 3),
        (None, None, 0),
    ],
)
def test_prime_and_fast_service_levels_raise_priority(
    amazon_order: Payload, is_prime: bool | None, level: str | None, priority: int
) -> None:
    amazon_order["IsPrime"] = is_prime
    amazon_order["ShipmentServiceLevelCategory"] = level
    assert amazon_order_to_canonical(amazon_order)["priority"] == priority


def test_is_prime_must_be_a_boolean(amazon_order: Payload) -> None:
    amazon_order["IsPrime"] = "yes"
    with pytest.raises(ConnectorError, match="IsPrime must be true or false"):
        amazon_order_to_canonical(amazon_order)


# -- currency -------------------------------------------------------------------------------
def test_currency_comes_from_the_order_total(amazon_order: Payload) -> None:
    amazon_order["OrderTotal"]["CurrencyCode"] = "CAD"
    for item in amazon_order["OrderItems"]:
        item["ItemPrice"]["CurrencyCode"] = "CAD"
        if "PromotionDiscount" in item:
            item["PromotionDiscount"]["CurrencyCode"] = "CAD"
    assert amazon_order_to_canonical(amazon_order)["currency"] == "CAD"


def test_without_order_total_the_items_currency_is_used(amazon_order: Payload) -> None:
    del amazon_order["OrderTotal"]
    for item in amazon_order["OrderItems"]:
        item["ItemPrice"]["CurrencyCode"] = "EUR"
        if "PromotionDiscount" in item:
            item["PromotionDiscount"]["CurrencyCode"] = "EUR"
    assert amazon_order_to_canonical(amazon_order)["currency"] == "EUR"


def test_without_any_currency_usd_is_assumed(amazon_pending: Payload) -> None:
    amazon_pending.pop("MarketplaceId", None)
    assert amazon_order_to_canonical(amazon_pending)["currency"] == "USD"


@pytest.mark.parametrize(("marketplace", "currency"), [
    ("ATVPDKIKX0DER", "USD"), ("A1F83G8C2ARO7P", "GBP"), ("A1PA6795UKMFR9", "EUR"),
    ("A2EUQ1WTGCTBG2", "CAD"), ("UNKNOWN-MARKET", "USD"), (42, "USD")])
def test_a_pending_order_without_prices_is_in_its_marketplace_s_currency(
        amazon_pending: Payload, marketplace: object, currency: str) -> None:
    # the later re-send with prices is refused when the currency differs, so a pending UK
    # order taken as dollars could never be paid
    amazon_pending["MarketplaceId"] = marketplace
    assert amazon_order_to_canonical(amazon_pending)["currency"] == currency


def test_item_in_another_currency_is_refused(amazon_order: Payload) -> None:
    amazon_order["OrderItems"][1]["ItemPrice"]["CurrencyCode"] = "EUR"
    with pytest.raises(ConnectorError, match=r"OrderItems\[1\].ItemPrice.CurrencyCode is EUR"):
        amazon_order_to_canonical(amazon_order)


def test_malformed_currency_is_refused(amazon_order: Payload) -> None:
    amazon_order["OrderTotal"]["CurrencyCode"] = "dollars"
    with pytest.raises(ConnectorError, match=r"OrderTotal.CurrencyCode must be a 3-letter"):
        amazon_order_to_canonical(amazon_order)


# -- lines ----------------------------------------------------------------------------------
def test_items_map_to_lines_by_order_item_id_seller_sku_and_quantity(
    amazon_order: Payload,
) -> None:
    lines = amazon_order_to_canonical(amazon_order)["lines"]
    assert [(x["line_id"], x["sku"], x["qty"]) for x in lines] == [
        ("68828574383266", "LAPTOP-15", 1),
        ("68828574383267", "CAM-SD-128", 3),
    ]


@pytest.mark.parametrize(
    ("amount", "qty", "unit_price"),
    [
        ("999.00", 1, 999.0),
        ("100.00", 3, 33.333333),
        ("59.98", 2, 29.99),
        ("0.05", 2, 0.025),
        (25, 2, 12.5),
        ("10.00", 100_000, 0.0001),  # to the cent this was 0.00: the line lost its price
        ("1000", 3, 333.333333),  # JPY has no cents to round to
    ],
)
def test_item_price_is_the_line_total_divided_by_quantity(
    amazon_order: Payload, amount: str | int, qty: int, unit_price: float
) -> None:
    item = amazon_order["OrderItems"][0]
    item["ItemPrice"]["Amount"] = amount
    item["QuantityOrdered"] = qty
    assert amazon_order_to_canonical(amazon_order)["lines"][0]["unit_price"] == unit_price


def test_a_promotion_comes_off_the_price_the_customer_pays(amazon_order: Payload) -> None:
    item = amazon_order["OrderItems"][0]
    item["ItemPrice"]["Amount"], item["QuantityOrdered"] = "200.00", 2
    item["PromotionDiscount"]["Amount"] = "30.00"
    assert amazon_order_to_canonical(amazon_order)["lines"][0]["unit_price"] == 85.0
    del item["PromotionDiscount"]  # absent: nothing off
    assert amazon_order_to_canonical(amazon_order)["lines"][0]["unit_price"] == 100.0
    for empty in ({"CurrencyCode": "USD"}, {}):  # SP-API money parts are optional
        item["PromotionDiscount"] = empty
        assert amazon_order_to_canonical(amazon_order)["lines"][0]["unit_price"] == 100.0


def test_a_promotion_above_the_price_or_in_another_currency_is_refused(
        amazon_order: Payload) -> None:
    promotion = amazon_order["OrderItems"][1]["PromotionDiscount"]
    promotion["Amount"] = "100.01"
    with pytest.raises(ConnectorError, match=r"OrderItems\[1\].PromotionDiscount.Amount is "
                                             r"100.01, more than ItemPrice \(100.00\)"):
        amazon_order_to_canonical(amazon_order)
    promotion.update(Amount="1.00", CurrencyCode="EUR")
    with pytest.raises(ConnectorError, match=r"PromotionDiscount.CurrencyCode is EUR"):
        amazon_order_to_canonical(amazon_order)


def test_items_with_quantity_zero_are_dropped(amazon_order: Payload) -> None:
    skus = [line["sku"] for line in amazon_order_to_canonical(amazon_order)["lines"]]
    assert "CAM-BAG" not in skus


def test_order_with_only_zero_quantities_is_refused(amazon_order: Payload) -> None:
    for item in amazon_order["OrderItems"]:
        item["QuantityOrdered"] = 0
    with pytest.raises(ConnectorError, match="no item with QuantityOrdered above 0"):
        amazon_order_to_canonical(amazon_order)


def test_missing_seller_sku_names_the_item(amazon_order: Payload) -> None:
    del amazon_order["OrderItems"][1]["SellerSKU"]
    with pytest.raises(ConnectorError, match=r"^OrderItems\[1\].SellerSKU is missing$") as err:
        amazon_order_to_canonical(amazon_order)
    assert err.value.path == "OrderItems[1].SellerSKU"


@pytest.mark.parametrize("qty", [-1, 1.5, "2", True, None])
def test_bad_quantity_names_the_item(amazon_order: Payload, qty: object) -> None:
    amazon_order["OrderItems"][0]["QuantityOrdered"] = qty
    with pytest.raises(ConnectorError, match=r"OrderItems\[0\].QuantityOrdered"):
        amazon_order_to_canonical(amazon_order)


@pytest.mark.parametrize("amount", ["abc", "-1.00", "NaN", "Infinity", None, [], True])
def test_bad_item_amount_names_the_item(amazon_order: Payload, amount: object) -> None:
    amazon_order["OrderItems"][1]["ItemPrice"]["Amount"] = amount
    with pytest.raises(ConnectorError, match=r"OrderItems\[1\].ItemPrice.Amount"):
        amazon_order_to_canonical(amazon_order)


def test_missing_item_price_is_refused_once_the_order_is_paid(amazon_order: Payload) -> None:
    del amazon_order["OrderItems"][0]["ItemPrice"]
    with pytest.raises(ConnectorError, match=r"OrderItems\[0\].ItemPrice is missing"):
        amazon_order_to_canonical(amazon_order)


def test_pending_order_without_prices_gets_zero_unit_prices(amazon_pending: Payload) -> None:
    lines = amazon_order_to_canonical(amazon_pending)["lines"]
    assert lines == [
        {"line_id": "11427736291082", "sku": "PHONE-X", "qty": 1, "unit_price": 0.0}
    ]


def test_duplicate_order_item_ids_are_refused(amazon_order: Payload) -> None:
    amazon_order["OrderItems"][1]["OrderItemId"] = "68828574383266"
    with pytest.raises(ConnectorError, match="share OrderItemId '68828574383266'"):
        amazon_order_to_canonical(amazon_order)


def test_missing_order_items_says_where_they_come_from(amazon_order: Payload) -> None:
    del amazon_order["OrderItems"]
    with pytest.raises(ConnectorError, match=r"OrderItems is missing: embed .*getOrderItems"):
        amazon_order_to_canonical(amazon_order)


def test_order_items_must_be_an_array(amazon_order: Payload) -> None:
    amazon_order["OrderItems"] = {"SellerSKU": "LAPTOP-15"}
    with pytest.raises(ConnectorError, match="OrderItems must be an array"):
        amazon_order_to_canonical(amazon_order)


def test_item_that_is_not_an_object_is_refused(amazon_order: Payload) -> None:
    amazon_order["OrderItems"][2] = "LAPTOP-15"
    with pytest.raises(ConnectorError, match=r"OrderItems\[2\] must be a JSON object"):
        amazon_order_to_canonical(amazon_order)


# -- placed at ------------------------------------------------------------------------------
def test_purchase_date_becomes_placed_at_in_utc(amazon_order: Payload) -> None:
    amazon_order["PurchaseDate"] = "2025-11-03T09:42:09-08:00"
    assert amazon_order_to_canonical(amazon_order)["placed_at"] == "2025-11-03T17:42:09Z"


def test_fractional_seconds_are_kept(amazon_pending: Payload) -> None:
    assert amazon_order_to_canonical(amazon_pending)["placed_at"] == "2025-11-28T05:01:33.482Z"


@pytest.mark.parametrize(
    ("value", "problem"),
    [("2025-11-03T17:42:09", "has no time zone"), ("last Tuesday", "is not an RFC 3339 time")],
)
def test_bad_purchase_date_is_refused(amazon_order: Payload, value: str, problem: str) -> None:
    amazon_order["PurchaseDate"] = value
    with pytest.raises(ConnectorError, match=f"PurchaseDate {problem}"):
        amazon_order_to_canonical(amazon_order)


# -- whole payload --------------------------------------------------------------------------
@pytest.mark.parametrize("payload", [None, [], "order", 42])
def test_payload_that_is_not_an_object_is_refused(payload: Any) -> None:
    with pytest.raises(ConnectorError, match="an Amazon order must be a JSON object"):
        amazon_order_to_canonical(payload)


def test_connector_error_is_a_value_error() -> None:
    assert issubclass(ConnectorError, ValueError)
