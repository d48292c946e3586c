"""Shopify ``orders/create`` webhook bodies map to the canonical order body, rule by rule."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from connectors import PICKUP_ATTRIBUTE, ConnectorError, shopify_order_to_canonical
from connectors.errors import CancelledOnChannel, PaymentVoidedOnChannel

Payload = dict[str, Any]


def test_full_paid_order_maps_to_the_canonical_body(shopify_order: Payload) -> None:
    assert shopify_order_to_canonical(shopify_order) == {
        "channel": "web",
        "source": "shopify",
        "channel_order_id": "5940139491234",
        "channel_reference": "#1001",
        "customer": {
            "id": "shopify:6147919642668",
            "name": "Ada Lovelace",
            "email": "ada.lovelace@example.com",
            "phone": "+12125550199",
        },
        "ship_to": {
            "lat": 40.7484,
            "lon": -73.9857,
            "postal_code": "10118",
            "country": "US",
            "name": "Ada Lovelace",
            "address1": "350 5th Ave",
            "city": "New York",
        },
        "delivery": {"method": "ship"},
        "priority": 0,
        "payment": {"status": "confirmed"},
        "currency": "USD",
        "lines": [
            {"line_id": "13793112359074", "sku": "CAMERA-Z", "qty": 1, "unit_price": 1199.0},
            {"line_id": "13793112391842", "sku": "CAM-LENS-50", "qty": 1, "unit_price": 149.0},
        ],
        "placed_at": "2025-11-10T15:30:00Z",
    }


def test_input_payload_is_not_modified(shopify_order: Payload) -> None:
    before = copy.deepcopy(shopify_order)
    shopify_order_to_canonical(shopify_order)
    assert shopify_order == before


# -- identity -------------------------------------------------------------------------------
def test_numeric_id_becomes_a_string_channel_order_id_on_the_web_channel(
    shopify_order: Payload,
) -> None:
    body = shopify_order_to_canonical(shopify_order)
    assert (body["channel"], body["source"], body["channel_order_id"]) == (
        "web",
        "shopify",
        "5940139491234",
    )


def test_order_name_is_kept_as_the_channel_reference(shopify_order: Payload) -> None:
    shopify_order["name"] = "#SHOP-2042"
    assert shopify_order_to_canonical(shopify_order)["channel_reference"] == "#SHOP-2042"


@pytest.mark.parametrize("bad_id", [None, True, 12.5, {"id": 1}])
def test_missing_or_malformed_id_is_refused(shopify_order: Payload, bad_id: object) -> None:
    shopify_order["id"] = bad_id
    with pytest.raises(ConnectorError, match=r"^id "):
        shopify_order_to_canonical(shopify_order)


# -- customer -------------------------------------------------------------------------------
def test_customer_comes_from_the_customer_object(shopify_order: Payload) -> None:
    customer = shopify_order_to_canonical(shopify_order)["customer"]
    assert customer["id"] == "shopify:6147919642668"
    assert customer["name"] == "Ada Lovelace"
    assert customer["email"] == "ada.lovelace@example.com"


def test_top_level_email_is_used_when_the_customer_has_none(shopify_order: Payload) -> None:
    shopify_order["customer"]["email"] = None
    shopify_order["email"] = "orders@lovelace.example"
    assert shopify_order_to_canonical(shopify_order)["customer"]["email"] == (
        "orders@lovelace.example"
    )


def test_guest_checkout_is_identified_by_email(shopify_order: Payload) -> None:
    del shopify_order["customer"]
    customer = shopify_order_to_canonical(shopify_order)["customer"]
    assert customer["id"] == "shopify:ada.lovelace@example.com"
    assert customer["name"] == "Ada Lovelace"  # from the shipping address


def test_guest_checkout_without_contact_is_its_own_customer(shopify_order: Payload) -> None:
    for key in ("customer", "email", "contact_email"):
        del shopify_order[key]
    customer = shopify_order_to_canonical(shopify_order)["customer"]
    assert customer["id"] == "shopify:guest:5940139491234"
    assert "email" not in customer


# -- ship to and delivery -------------------------------------------------------------------
def test_geocoded_address_ships_to_its_coordinates(shopify_order: Payload) -> None:
    ship_to = shopify_order_to_canonical(shopify_order)["ship_to"]
    assert (ship_to["lat"], ship_to["lon"]) == (40.7484, -73.9857)


def test_address_without_coordinates_ships_to_zip_and_country(shopify_order: Payload) -> None:
    shopify_order["shipping_address"]["latitude"] = None
    shopify_order["shipping_address"]["longitude"] = None
    shopify_order["shipping_address"]["country_code"] = "us"
    ship_to = shopify_order_to_canonical(shopify_order)["ship_to"]
    assert "lat" not in ship_to
    assert (ship_to["postal_code"], ship_to["country"]) == ("10118", "US")


def test_coordinates_of_zero_zero_are_not_a_geocoded_address(shopify_order: Payload) -> None:
    shopify_order["shipping_address"].update(latitude=0.0, longitude=0.0)
    ship_to = shopify_order_to_canonical(shopify_order)["ship_to"]
    assert "lat" not in ship_to and ship_to["postal_code"] == "10118"


def test_address_without_coordinates_or_zip_is_refused(shopify_order: Payload) -> None:
    shopify_order["shipping_address"].update(latitude=None, longitude=None, zip=None)
    with pytest.raises(ConnectorError, match=r"^shipping_address.zip is missing$"):
        shopify_order_to_canonical(shopify_order)


@pytest.mark.parametrize(("lat", "lon"), [(91.0, 0.0), (0.0, -181.0), ("north", 0.0)])
def test_impossible_coordinates_are_refused(
    shopify_order: Payload, lat: object, lon: object
) -> None:
    shopify_order["shipping_address"].update(latitude=lat, longitude=lon)
    with pytest.raises(ConnectorError, match=r"shipping_address.l"):
        shopify_order_to_canonical(shopify_order)


def test_shipped_order_without_address_is_refused(shopify_order: Payload) -> None:
    del shopify_order["shipping_address"]
    with pytest.raises(ConnectorError, match=r"shipping_address is missing.*pickup_location_id"):
        shopify_order_to_canonical(shopify_order)


def test_orders_ship_by_default(shopify_order: Payload) -> None:
    assert shopify_order_to_canonical(shopify_order)["delivery"] == {"method": "ship"}


def test_pickup_location_note_attribute_makes_a_pickup_order(shopify_order: Payload) -> None:
    shopify_order["note_attributes"].append({"name": PICKUP_ATTRIBUTE, "value": "ST-NYC"})
    body = shopify_order_to_canonical(shopify_order)
    assert body["delivery"] == {"method": "pickup", "location_id": "ST-NYC"}


def test_pickup_order_needs_no_shipping_address(shopify_order: Payload) -> None:
    shopify_order["note_attributes"] = [{"name": PICKUP_ATTRIBUTE, "value": "ST-CHI"}]
    del shopify_order["shipping_address"]
    body = shopify_order_to_canonical(shopify_order)
    assert body["delivery"]["location_id"] == "ST-CHI"
    assert "ship_to" not in body


def test_blank_pickup_location_is_refused(shopify_order: Payload) -> None:
    shopify_order["note_attributes"] = [{"name": PICKUP_ATTRIBUTE, "value": " "}]
    with pytest.raises(ConnectorError, match=r"^note_attributes\[0\].value is missing$"):
        shopify_order_to_canonical(shopify_order)


# -- payment --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("financial_status", "payment"),
    [
        ("authorized", "authorized"),
        ("paid", "confirmed"),
        ("pending", "pending"),
        ("partially_paid", "pending"),
    ],
)
def test_financial_status_sets_the_payment_status(
    shopify_order: Payload, financial_status: str, payment: str
) -> None:
    shopify_order["financial_status"] = financial_status
    assert shopify_order_to_canonical(shopify_order)["payment"] == {"status": payment}


@pytest.mark.parametrize("financial_status", ["voided", "refunded", "partially_refunded"])
def test_voided_or_refunded_orders_are_refused(
    shopify_order: Payload, financial_status: str
) -> None:
    shopify_order["financial_status"] = financial_status
    with pytest.raises(ConnectorError, match=f"financial_status {financial_status}") as err:
        shopify_order_to_canonical(shopify_order)
    assert err.value.path == "financial_status"
    # a voided payment is news for an order imported before (its payment fails there)
    assert isinstance(err.value, PaymentVoidedOnChannel) == (financial_status == "voided")


def test_unknown_financial_status_lists_the_accepted_ones(shopify_order: Payload) -> None:
    shopify_order["financial_status"] = "bartered"
    with pytest.raises(ConnectorError, match=r"financial_status is 'bartered'.*authorized"):
        shopify_order_to_canonical(shopify_order)


def test_cancelled_order_is_refused(shopify_order: Payload) -> None:
    shopify_order["cancelled_at"] = "2025-11-10T11:00:00-05:00"
    shopify_order["cancel_reason"] = "customer"
    with pytest.raises(ConnectorError, match="5940139491234 was cancelled"):
        shopify_order_to_canonical(shopify_order)


@pytest.mark.parametrize("junk", ["garbage", True, 0, 1, {"a": 1}, "2025-11-10"])
def test_a_cancelled_at_that_is_no_time_is_refused_not_read_as_a_cancellation(
        shopify_order: Payload, junk: object) -> None:
    shopify_order["cancelled_at"] = junk
    with pytest.raises(ConnectorError) as refused:
        shopify_order_to_canonical(shopify_order)
    assert not isinstance(refused.value, CancelledOnChannel)
    assert refused.value.path == "cancelled_at"


@pytest.mark.parametrize("not_cancelled", [None, "", False])
def test_an_empty_cancelled_at_is_no_cancellation(shopify_order: Payload,
                                                  not_cancelled: object) -> None:
    shopify_order["cancelled_at"] = not_cancelled
    assert shopify_order_to_canonical(shopify_order)["lines"]


# -- lines ----------------------------------------------------------------------------------
def test_line_items_map_by_id_sku_quantity_and_price(shopify_order: Payload) -> None:
    shopify_order["line_items"][1].update(quantity=3, price="149.5")
    lines = shopify_order_to_canonical(shopify_order)["lines"]
    assert lines[1] == {"line_id": "13793112391842", "sku": "CAM-LENS-50", "qty": 3,
                        "unit_price": 149.5}


def test_price_string_is_rounded_to_cents(shopify_order: Payload) -> None:
    shopify_order["line_items"][0]["price"] = "19.995"
    assert shopify_order_to_canonical(shopify_order)["lines"][0]["unit_price"] == 20.0


def test_discounts_allocated_to_a_line_come_off_its_unit_price(shopify_order: Payload) -> None:
    item = shopify_order["line_items"][1]
    item.update(quantity=3, price="149.50", total_discount="99.00",  # deprecated: ignored
                discount_allocations=[{"amount": "20.00", "discount_application_index": 0},
                                      {"amount": "4.50", "discount_application_index": 1}])
    assert shopify_order_to_canonical(shopify_order)["lines"][1]["unit_price"] == 141.333333
    item["discount_allocations"] = [  # only the money set
        {"amount_set": {"shop_money": {"amount": "24.50", "currency_code": "USD"}}}]
    assert shopify_order_to_canonical(shopify_order)["lines"][1]["unit_price"] == 141.333333
    del item["discount_allocations"]  # an older payload: total_discount is all there is
    item["total_discount"] = "28.50"
    assert shopify_order_to_canonical(shopify_order)["lines"][1]["unit_price"] == 140.0


def test_a_discount_above_the_line_is_refused(shopify_order: Payload) -> None:
    shopify_order["line_items"][0]["discount_allocations"] = [{"amount": "1199.01"}]
    with pytest.raises(ConnectorError, match=r"line_items\[0\].discount_allocations takes "
                                             r"1199.01 off a line of 1199.00"):
        shopify_order_to_canonical(shopify_order)
    shopify_order["line_items"][0]["discount_allocations"] = [{"amount": "-1"}]
    with pytest.raises(ConnectorError, match=r"discount_allocations\[0\].amount"):
        shopify_order_to_canonical(shopify_order)


def test_missing_sku_names_the_line(shopify_order: Payload) -> None:
    shopify_order["line_items"][1]["sku"] = ""
    with pytest.raises(
        ConnectorError,
        match=r"^line_items\[1\].sku is missing \(line 13793112391842, '50mm f/1.8 Prime Lens'\)",
    ) as err:
        shopify_order_to_canonical(shopify_order)
    assert err.value.path == "line_items[1].sku"


def test_lines_with_quantity_zero_are_dropped(shopify_order: Payload) -> None:
    shopify_order["line_items"][0]["quantity"] = 0
    assert [x["sku"] for x in shopify_order_to_canonical(shopify_order)["lines"]] == [
        "CAM-LENS-50"
    ]


def test_order_without_lines_is_refused(shopify_order: Payload) -> None:
    shopify_order["line_items"] = []
    with pytest.raises(ConnectorError, match="line_items of Shopify order 5940139491234 has no"):
        shopify_order_to_canonical(shopify_order)


@pytest.mark.parametrize("price", ["free", "-3.00", None])
def test_bad_price_names_the_line(shopify_order: Payload, price: object) -> None:
    shopify_order["line_items"][0]["price"] = price
    with pytest.raises(ConnectorError, match=r"line_items\[0\].price"):
        shopify_order_to_canonical(shopify_order)


def test_duplicate_line_ids_are_refused(shopify_order: Payload) -> None:
    shopify_order["line_items"][1]["id"] = shopify_order["line_items"][0]["id"]
    with pytest.raises(ConnectorError, match="share line_items"):
        shopify_order_to_canonical(shopify_order)


# -- currency and time ----------------------------------------------------------------------
def test_currency_is_taken_from_the_order(shopify_order: Payload) -> None:
    shopify_order["currency"] = "cad"
    assert shopify_order_to_canonical(shopify_order)["currency"] == "CAD"


def test_created_at_becomes_placed_at_in_utc(shopify_order: Payload) -> None:
    assert shopify_order_to_canonical(shopify_order)["placed_at"] == "2025-11-10T15:30:00Z"


def test_missing_created_at_is_refused(shopify_order: Payload) -> None:
    del shopify_order["created_at"]
    with pytest.raises(ConnectorError, match=r"^created_at is missing$"):
        shopify_order_to_canonical(shopify_order)


@pytest.mark.parametrize("payload", [None, [1, 2], "{}"])
def test_payload_that_is_not_an_object_is_refused(payload: Any) -> None:
    with pytest.raises(ConnectorError, match="a Shopify order must be a JSON object"):
        shopify_order_to_canonical(payload)
