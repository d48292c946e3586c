"""The demo network is consistent, realistic and covers every story the demo tells."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from dom.demo_data import demo_inventory, demo_locations, demo_orders, demo_products
from geo import geocode_postal_code, haversine_km

LOCATION_FIELDS = {
    "name", "type", "lat", "lon", "postal_code", "capabilities", "shipment_cost", "cost_per_km",
    "unit_cost", "unit_cost_per_km", "processing_days", "km_per_day", "capacity_units_per_day",
    "priority", "active",
}
PRODUCT_FIELDS = {"name", "kind", "weight_kg", "service_type", "term_months"}
ORDER_FIELDS = {
    "channel", "source", "channel_order_id", "channel_reference", "customer", "ship_to",
    "delivery", "priority", "payment", "currency", "lines", "placed_at",
}
LINE_FIELDS = {"line_id", "sku", "qty", "unit_price", "covers_line_id"}
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _locations() -> dict[str, dict[str, Any]]:
    return dict(demo_locations())


def _products() -> dict[str, dict[str, Any]]:
    return dict(demo_products())


def _position(body: dict[str, Any]) -> tuple[float, float]:
    if "lat" in body:
        return body["lat"], body["lon"]
    return geocode_postal_code(body["postal_code"], body.get("country", "US"))


def _of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in _locations().items() if v["type"] == kind}


# -- network -------------------------------------------------------------------------------
def test_ids_are_unique() -> None:
    assert len(_locations()) == len(demo_locations())
    assert len(_products()) == len(demo_products())


def test_at_least_three_warehouses_that_ship() -> None:
    warehouses = _of_type("warehouse")
    assert {"WH-NJ", "WH-TX", "WH-CA"} <= set(warehouses)
    assert all("ship" in body["capabilities"] for body in warehouses.values())


def test_five_stores_that_ship_and_offer_pickup() -> None:
    stores = _of_type("store")
    assert len(stores) == 5
    assert all({"ship", "pickup"} <= set(body["capabilities"]) for body in stores.values())


def test_two_drop_ship_suppliers_with_processing_days() -> None:
    suppliers = _of_type("supplier")
    assert len(suppliers) == 2
    for body in suppliers.values():
        assert body["capabilities"] == ["dropship"]
        assert body["processing_days"] >= 1


def test_location_bodies_use_only_contract_fields() -> None:
    for location_id, body in demo_locations():
        assert set(body) <= LOCATION_FIELDS, location_id
        assert body["type"] in {"warehouse", "store", "supplier"}
        assert body["name"]


def test_some_stores_give_a_postal_code_to_show_geocoding() -> None:
    assert any("postal_code" in body and "lat" not in body for body in _of_type("store").values())


@pytest.mark.parametrize(("location_id", "city", "lat", "lon"), [
    ("WH-NJ", "Edison", 40.52, -74.41),
    ("WH-TX", "Dallas", 32.78, -96.80),
    ("WH-CA", "Ontario", 34.06, -117.65),
    ("ST-NYC", "New York", 40.75, -73.99),
    ("ST-CHI", "Chicago", 41.88, -87.63),
    ("ST-ATL", "Atlanta", 33.75, -84.39),
    ("ST-DEN", "Denver", 39.74, -104.99),
    ("ST-SEA", "Seattle", 47.61, -122.33),
])
def test_locations_sit_at_their_real_city(
    location_id: str, city: str, lat: float, lon: float
) -> None:
    body = _locations()[location_id]
    assert city in body["name"]
    assert haversine_km(*_position(body), lat, lon) < 30


def test_every_location_has_a_resolvable_position() -> None:
    for location_id, body in demo_locations():
        lat, lon = _position(body)
        assert 24 < lat < 50 and -125 < lon < -66, location_id  # contiguous US


def test_cost_and_speed_parameters_are_plausible() -> None:
    for location_id, body in demo_locations():
        assert 0 < body["shipment_cost"] <= 100, location_id
        assert 0 < body["cost_per_km"] < 0.1, location_id
        assert body["unit_cost"] >= 0, location_id
        assert 300 <= body["km_per_day"] <= 1000, location_id
        assert body["capacity_units_per_day"] > 0, location_id
    warehouses, stores = _of_type("warehouse"), _of_type("store")
    assert min(w["capacity_units_per_day"] for w in warehouses.values()) > max(
        s["capacity_units_per_day"] for s in stores.values()
    )


# -- catalog -------------------------------------------------------------------------------
def test_catalog_has_the_demo_skus() -> None:
    assert {
        "LAPTOP-15", "PHONE-X", "WASHER-8KG", "CAMERA-Z", "CAM-LENS-50", "CAM-BAG", "CAM-SD-128",
        "WARRANTY-3Y",
    } <= set(_products())


def test_warranty_is_a_three_year_service() -> None:
    assert _products()["WARRANTY-3Y"] == {
        "name": "Extended warranty 3 years", "kind": "service", "service_type": "warranty",
        "term_months": 36,
    }


def test_products_have_weights_and_the_washer_is_heavy() -> None:
    products = _products()
    for sku, body in products.items():
        assert set(body) <= PRODUCT_FIELDS, sku
        if body["kind"] == "product":
            assert body["weight_kg"] > 0, sku
            assert "service_type" not in body and "term_months" not in body, sku
    assert products["WASHER-8KG"]["weight_kg"] > 50


# -- inventory -----------------------------------------------------------------------------
def test_inventory_references_known_locations_and_skus() -> None:
    locations, products = _locations(), _products()
    for row in demo_inventory():
        assert set(row) == {"location_id", "sku", "on_hand", "safety_stock"}
        assert row["location_id"] in locations
        assert row["sku"] in products


def test_one_position_per_location_and_sku() -> None:
    keys = Counter((row["location_id"], row["sku"]) for row in demo_inventory())
    assert max(keys.values()) == 1


def test_services_hold_no_stock() -> None:
    services = {sku for sku, body in demo_products() if body["kind"] == "service"}
    assert not any(row["sku"] in services for row in demo_inventory())


def test_quantities_are_valid() -> None:
    for row in demo_inventory():
        assert isinstance(row["on_hand"], int) and isinstance(row["safety_stock"], int)
        assert row["on_hand"] >= 0 and row["safety_stock"] >= 0
        assert row["safety_stock"] <= row["on_hand"]


def test_stock_is_spread_unevenly() -> None:
    rows = demo_inventory()
    locations = _locations()
    assert any(row["on_hand"] == 0 for row in rows)
    assert any(locations[r["location_id"]]["type"] == "store" and r["on_hand"] == 1 for r in rows)
    assert any(
        locations[r["location_id"]]["type"] == "warehouse" and r["on_hand"] >= 100 for r in rows
    )


def test_camera_accessories_come_mainly_from_the_accessories_supplier() -> None:
    for sku in ("CAM-LENS-50", "CAM-BAG", "CAM-SD-128"):
        stock = Counter[str]()
        for row in demo_inventory():
            if row["sku"] == sku:
                stock[row["location_id"]] += row["on_hand"]
        assert stock.most_common(1)[0][0] == "SUP-CAM", sku


def test_the_appliance_supplier_stocks_washing_machines() -> None:
    assert any(
        row["location_id"] == "SUP-APP" and row["sku"] == "WASHER-8KG" and row["on_hand"] > 0
        for row in demo_inventory()
    )


def test_every_sellable_product_is_stocked_somewhere() -> None:
    stocked = {row["sku"] for row in demo_inventory() if row["on_hand"] > row["safety_stock"]}
    products = {sku for sku, body in demo_products() if body["kind"] == "product"}
    assert products <= stocked


# -- orders --------------------------------------------------------------------------------
def test_every_channel_is_present() -> None:
    channels = {order["channel"] for order in demo_orders(NOW)}
    assert channels == {"web", "store", "call_center", "marketplace"}


def test_order_bodies_use_only_contract_fields() -> None:
    for order in demo_orders(NOW):
        assert set(order) <= ORDER_FIELDS, order["channel_order_id"]
        assert {"channel", "channel_order_id", "customer", "lines"} <= set(order)
        assert order["currency"] == "USD"
        for line in order["lines"]:
            assert set(line) <= LINE_FIELDS
            assert line["qty"] >= 1 and line["unit_price"] >= 0


def test_orders_are_unique_per_channel() -> None:
    keys = Counter((o["channel"], o["channel_order_id"]) for o in demo_orders(NOW))
    assert max(keys.values()) == 1


def test_customers_have_id_name_and_email() -> None:
    for order in demo_orders(NOW):
        customer = order["customer"]
        assert customer["id"] and customer["name"]
        assert "@" in customer["email"]


def test_orders_reference_known_skus_and_locations() -> None:
    products, locations = _products(), _locations()
    for order in demo_orders(NOW):
        for line in order["lines"]:
            assert line["sku"] in products, order["channel_order_id"]
        if order["delivery"]["method"] == "pickup":
            store = locations[order["delivery"]["location_id"]]
            assert "pickup" in store["capabilities"]


def test_ship_to_is_given_by_coordinates_and_by_postal_code() -> None:
    ship_tos = [order["ship_to"] for order in demo_orders(NOW)]
    assert any("lat" in s for s in ship_tos)
    assert any("postal_code" in s and "lat" not in s for s in ship_tos)
    for ship_to in ship_tos:
        _position(ship_to)  # every postal code geocodes


def test_a_store_order_is_picked_up_at_a_store() -> None:
    locations = _locations()
    store_orders = [o for o in demo_orders(NOW) if o["channel"] == "store"]
    assert any(
        o["delivery"]["method"] == "pickup"
        and locations[o["delivery"]["location_id"]]["type"] == "store"
        for o in store_orders
    )


def test_a_laptop_order_carries_a_warranty_covering_it() -> None:
    products = _products()
    covered = []
    for order in demo_orders(NOW):
        lines = {line["line_id"]: line for line in order["lines"]}
        assert len(lines) == len(order["lines"]), "line ids must be unique within an order"
        for line in order["lines"]:
            if "covers_line_id" in line:
                assert products[line["sku"]]["kind"] == "service"
                target = lines[line["covers_line_id"]]
                assert products[target["sku"]]["kind"] == "product"
                covered.append((line["sku"], target["sku"]))
    assert ("WARRANTY-3Y", "LAPTOP-15") in covered


def test_payment_is_authorized_on_most_and_pending_on_one() -> None:
    statuses = Counter(order["payment"]["status"] for order in demo_orders(NOW))
    assert statuses["pending"] == 1
    assert statuses["authorized"] > len(demo_orders(NOW)) / 2
    assert set(statuses) == {"authorized", "pending"}


def test_orders_were_placed_shortly_before_now() -> None:
    for order in demo_orders(NOW):
        placed = datetime.fromisoformat(order["placed_at"])
        assert placed.tzinfo is not None
        assert 0 < (NOW - placed).total_seconds() <= 3 * 3600


def test_callers_get_fresh_copies() -> None:
    demo_locations()[0][1]["name"] = "changed"
    demo_products()[0][1]["name"] = "changed"
    demo_orders(NOW)[0]["lines"].clear()
    assert demo_locations()[0][1]["name"] != "changed"
    assert demo_products()[0][1]["name"] != "changed"
    assert demo_orders(NOW)[0]["lines"]


def test_the_public_partner_keys_belong_to_locations_the_demo_creates() -> None:
    from dom.settings import DEMO_API_KEYS, parse_api_keys

    keys = parse_api_keys(DEMO_API_KEYS)
    partners = {k.key: (k.role, _locations()[k.subject]["type"]) for k in keys.values()
                if k.subject is not None}
    assert partners == {"demo-supplier": ("supplier", "supplier"),
                        "demo-store": ("location", "store")}
    supplied = {p["sku"] for p in demo_inventory()
                if p["location_id"] == keys["demo-supplier"].subject}
    assert supplied  # the supplier key has drop-ship work to see in the demo
