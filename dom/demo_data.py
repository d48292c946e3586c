"""A small, realistic demo network as plain data in the HTTP contract's shapes.

``dom demo`` loads it, tests and scenarios can start from it, and a reader of the docs can
see what a real setup looks like: three regional warehouses, five stores that ship and offer
pickup, two drop-ship suppliers, a catalog with a warranty service, uneven stock, and a few
orders from every channel. Every call returns fresh copies, so callers may change them.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["demo_inventory", "demo_locations", "demo_orders", "demo_products"]

Body = dict[str, Any]

# -- locations (PUT /v1/locations/{id}) ----------------------------------------------------
# Warehouses ship cheaply and fast in bulk; stores ship at a premium after a day of picking but
# also hand goods over the counter; suppliers only drop-ship, after their own processing days.
# Two stores give a postal code instead of coordinates to exercise offline geocoding.
_WAREHOUSE = {"type": "warehouse", "capabilities": ["ship"], "unit_cost_per_km": 0.0,
              "processing_days": 0, "active": True}
_STORE = {"type": "store", "capabilities": ["ship", "pickup"], "shipment_cost": 11.0,
          "cost_per_km": 0.006, "unit_cost": 1.5, "processing_days": 1, "km_per_day": 650.0,
          "capacity_units_per_day": 40, "priority": 2, "active": True}
_SUPPLIER = {"type": "supplier", "capabilities": ["dropship"], "active": True}

_LOCATIONS: list[tuple[str, Body]] = [
    ("WH-NJ", {**_WAREHOUSE, "name": "Warehouse East (Edison, NJ)", "lat": 40.5187,
               "lon": -74.4121, "shipment_cost": 7.5, "cost_per_km": 0.004, "unit_cost": 0.6,
               "km_per_day": 800.0, "capacity_units_per_day": 5000, "priority": 10}),
    ("WH-TX", {**_WAREHOUSE, "name": "Warehouse Central (Dallas, TX)", "lat": 32.6987,
               "lon": -96.8870, "shipment_cost": 6.5, "cost_per_km": 0.0035, "unit_cost": 0.5,
               "km_per_day": 750.0, "capacity_units_per_day": 4000, "priority": 8}),
    ("WH-CA", {**_WAREHOUSE, "name": "Warehouse West (Ontario, CA)", "lat": 34.0633,
               "lon": -117.6509, "shipment_cost": 7.0, "cost_per_km": 0.004, "unit_cost": 0.55,
               "km_per_day": 800.0, "capacity_units_per_day": 4500, "priority": 9}),
    ("ST-NYC", {**_STORE, "name": "Store Herald Square (New York, NY)", "lat": 40.7505,
                "lon": -73.9880}),
    ("ST-CHI", {**_STORE, "name": "Store Magnificent Mile (Chicago, IL)", "postal_code": "60611"}),
    ("ST-ATL", {**_STORE, "name": "Store Midtown (Atlanta, GA)", "lat": 33.7812,
                "lon": -84.3830}),
    ("ST-DEN", {**_STORE, "name": "Store Cherry Creek (Denver, CO)", "postal_code": "80206"}),
    ("ST-SEA", {**_STORE, "name": "Store Pike Place (Seattle, WA)", "lat": 47.6097,
                "lon": -122.3422}),
    ("SUP-CAM", {**_SUPPLIER, "name": "Lensworks Camera Accessories (Reno, NV)", "lat": 39.5296,
                 "lon": -119.8138, "shipment_cost": 5.5, "cost_per_km": 0.003,
                 "unit_cost": 0.0, "processing_days": 2, "km_per_day": 700.0,
                 "capacity_units_per_day": 800, "priority": 0}),
    ("SUP-APP", {**_SUPPLIER, "name": "HomeLine Appliances (Louisville, KY)", "lat": 38.2527,
                 "lon": -85.7585, "shipment_cost": 45.0, "cost_per_km": 0.02,
                 "unit_cost": 5.0, "processing_days": 3, "km_per_day": 500.0,
                 "capacity_units_per_day": 150, "priority": 0}),
]

# -- catalog (PUT /v1/products/{sku}) ------------------------------------------------------
_PRODUCTS: list[tuple[str, Body]] = [
    ("LAPTOP-15", {"name": 'Laptop 15"', "kind": "product", "weight_kg": 2.1}),
    ("PHONE-X", {"name": "Smartphone X 128 GB", "kind": "product", "weight_kg": 0.2}),
    ("TABLET-11", {"name": 'Tablet 11"', "kind": "product", "weight_kg": 0.5}),
    ("HEADPHONES-NC", {"name": "Noise-cancelling headphones", "kind": "product",
                       "weight_kg": 0.3}),
    ("WASHER-8KG", {"name": "Washing machine 8 kg", "kind": "product", "weight_kg": 72.0}),
    ("CAMERA-Z", {"name": "Mirrorless camera Z (body)", "kind": "product", "weight_kg": 0.65}),
    ("CAM-LENS-50", {"name": "50mm f/1.8 prime lens", "kind": "product", "weight_kg": 0.3}),
    ("CAM-BAG", {"name": "Camera shoulder bag", "kind": "product", "weight_kg": 0.8}),
    ("CAM-SD-128", {"name": "SD card 128 GB", "kind": "product", "weight_kg": 0.01}),
    ("WARRANTY-3Y", {"name": "Extended warranty 3 years", "kind": "service",
                     "service_type": "warranty", "term_months": 36}),
]

# -- stock (PUT /v1/inventory/{location_id}/{sku}) -----------------------------------------
# Deliberately uneven: East holds the most, Central has no tablets or cameras, one store has a
# single laptop, camera accessories come mainly from the drop-ship supplier and washing
# machines from the appliance supplier and two warehouses.
_STOCK: list[tuple[str, str, int, int]] = [
    ("WH-NJ", "LAPTOP-15", 120, 5),
    ("WH-NJ", "PHONE-X", 300, 10),
    ("WH-NJ", "TABLET-11", 60, 2),
    ("WH-NJ", "HEADPHONES-NC", 80, 2),
    ("WH-NJ", "CAMERA-Z", 25, 2),
    ("WH-NJ", "CAM-LENS-50", 10, 0),
    ("WH-NJ", "CAM-SD-128", 200, 0),
    ("WH-NJ", "WASHER-8KG", 0, 0),
    ("WH-TX", "LAPTOP-15", 40, 2),
    ("WH-TX", "PHONE-X", 150, 5),
    ("WH-TX", "TABLET-11", 0, 0),
    ("WH-TX", "HEADPHONES-NC", 35, 0),
    ("WH-TX", "CAMERA-Z", 0, 0),
    ("WH-TX", "WASHER-8KG", 12, 1),
    ("WH-CA", "LAPTOP-15", 2, 0),
    ("WH-CA", "PHONE-X", 220, 10),
    ("WH-CA", "TABLET-11", 45, 2),
    ("WH-CA", "HEADPHONES-NC", 50, 0),
    ("WH-CA", "CAMERA-Z", 8, 1),
    ("WH-CA", "WASHER-8KG", 6, 1),
    ("ST-NYC", "LAPTOP-15", 3, 1),
    ("ST-NYC", "PHONE-X", 12, 2),
    ("ST-NYC", "CAMERA-Z", 1, 0),
    ("ST-NYC", "CAM-SD-128", 15, 0),
    ("ST-NYC", "HEADPHONES-NC", 6, 1),
    ("ST-CHI", "LAPTOP-15", 1, 0),
    ("ST-CHI", "PHONE-X", 8, 1),
    ("ST-CHI", "TABLET-11", 4, 0),
    ("ST-CHI", "CAM-BAG", 2, 0),
    ("ST-ATL", "LAPTOP-15", 0, 0),
    ("ST-ATL", "PHONE-X", 10, 1),
    ("ST-ATL", "HEADPHONES-NC", 5, 0),
    ("ST-DEN", "LAPTOP-15", 2, 0),
    ("ST-DEN", "PHONE-X", 5, 1),
    ("ST-DEN", "CAMERA-Z", 0, 0),
    ("ST-SEA", "PHONE-X", 9, 1),
    ("ST-SEA", "TABLET-11", 3, 0),
    ("ST-SEA", "CAMERA-Z", 2, 0),
    ("ST-SEA", "CAM-LENS-50", 1, 0),
    ("SUP-CAM", "CAM-LENS-50", 60, 0),
    ("SUP-CAM", "CAM-BAG", 150, 0),
    ("SUP-CAM", "CAM-SD-128", 500, 0),
    ("SUP-APP", "WASHER-8KG", 40, 0),
]

# -- orders (POST /v1/orders) --------------------------------------------------------------
# (minutes before "now" it was placed, body). One per story the demo should tell: a laptop with
# its warranty, a camera bundle partly drop-shipped, pickups in store, a heavy appliance whose
# payment is still pending, a call-center VIP and an Amazon order.
_ORDERS: list[tuple[int, Body]] = [
    (95, {
        "channel": "web", "channel_order_id": "W-1001",
        "customer": {"id": "C-1001", "name": "Ada Lovelace", "email": "ada@example.com"},
        "ship_to": {"lat": 40.6782, "lon": -73.9442},  # Brooklyn, NY
        "delivery": {"method": "ship"}, "priority": 0,
        "payment": {"status": "authorized"}, "currency": "USD",
        "lines": [
            {"line_id": "1", "sku": "LAPTOP-15", "qty": 1, "unit_price": 999.0},
            {"line_id": "2", "sku": "WARRANTY-3Y", "qty": 1, "unit_price": 99.0,
             "covers_line_id": "1"},
        ],
    }),
    (80, {
        "channel": "web", "channel_order_id": "W-1002",
        "customer": {"id": "C-1002", "name": "Grace Hopper", "email": "grace@example.com"},
        "ship_to": {"postal_code": "94105", "country": "US"},  # San Francisco, CA
        "delivery": {"method": "ship"}, "priority": 0,
        "payment": {"status": "authorized"}, "currency": "USD",
        "lines": [
            {"line_id": "1", "sku": "CAMERA-Z", "qty": 1, "unit_price": 1199.0},
            {"line_id": "2", "sku": "CAM-LENS-50", "qty": 1, "unit_price": 149.0},
            {"line_id": "3", "sku": "CAM-BAG", "qty": 1, "unit_price": 59.0},
            {"line_id": "4", "sku": "CAM-SD-128", "qty": 2, "unit_price": 24.5},
        ],
    }),
    (60, {
        "channel": "store", "channel_order_id": "S-CHI-0001",
        "customer": {"id": "C-1003", "name": "Katherine Johnson",
                     "email": "katherine@example.com", "phone": "+1 312-555-0117"},
        "ship_to": {"postal_code": "60614", "country": "US"},  # Lincoln Park, Chicago
        "delivery": {"method": "pickup", "location_id": "ST-CHI"}, "priority": 0,
        "payment": {"status": "authorized"}, "currency": "USD",
        "lines": [{"line_id": "1", "sku": "PHONE-X", "qty": 1, "unit_price": 799.0}],
    }),
    (45, {
        "channel": "store", "channel_order_id": "S-NYC-0042",
        "customer": {"id": "C-1004", "name": "Alan Turing", "email": "alan@example.com"},
        "ship_to": {"lat": 40.7831, "lon": -73.9712},  # Upper West Side, NY
        "delivery": {"method": "pickup", "location_id": "ST-NYC"}, "priority": 0,
        "payment": {"status": "authorized"}, "currency": "USD",
        "lines": [{"line_id": "1", "sku": "CAMERA-Z", "qty": 1, "unit_price": 1199.0}],
    }),
    (30, {
        "channel": "call_center", "channel_order_id": "CC-5001",
        "customer": {"id": "C-1005", "name": "Margaret Hamilton",
                     "email": "margaret@example.com", "phone": "+1 214-555-0188"},
        "ship_to": {"postal_code": "75204", "country": "US"},  # Uptown Dallas, TX
        "delivery": {"method": "ship"}, "priority": 0,
        "payment": {"status": "pending"}, "currency": "USD",
        "lines": [{"line_id": "1", "sku": "WASHER-8KG", "qty": 1, "unit_price": 649.0}],
    }),
    (20, {
        "channel": "call_center", "channel_order_id": "CC-5002",
        "customer": {"id": "C-1006", "name": "Dorothy Vaughan", "email": "dorothy@example.com"},
        "ship_to": {"lat": 33.7490, "lon": -84.3880},  # Downtown Atlanta, GA
        "delivery": {"method": "ship"}, "priority": 1,  # a VIP customer
        "payment": {"status": "authorized"}, "currency": "USD",
        "lines": [
            {"line_id": "1", "sku": "HEADPHONES-NC", "qty": 2, "unit_price": 279.0},
            {"line_id": "2", "sku": "TABLET-11", "qty": 1, "unit_price": 549.0},
        ],
    }),
    (10, {
        "channel": "marketplace", "source": "amazon", "channel_order_id": "114-3941689-8772232",
        "customer": {"id": "amazon:7hq2kd9sx1vmw3p@marketplace.amazon.com",
                     "name": "Linus Pauling", "email": "7hq2kd9sx1vmw3p@marketplace.amazon.com"},
        "ship_to": {"postal_code": "98109", "country": "US"},  # South Lake Union, Seattle
        "delivery": {"method": "ship"}, "priority": 1,  # Prime
        "payment": {"status": "authorized"}, "currency": "USD",
        "lines": [
            {"line_id": "40211752836122", "sku": "PHONE-X", "qty": 1, "unit_price": 779.0},
            {"line_id": "40211752836123", "sku": "CAM-SD-128", "qty": 2, "unit_price": 22.99},
        ],
    }),
]


def demo_locations() -> list[tuple[str, Body]]:
    """``(location_id, PUT body)`` for 3 warehouses, 5 stores and 2 drop-ship suppliers."""
    return copy.deepcopy(_LOCATIONS)


def demo_products() -> list[tuple[str, Body]]:
    """``(sku, PUT body)`` for the catalog, the WARRANTY-3Y service included."""
    return copy.deepcopy(_PRODUCTS)


def demo_inventory() -> list[Body]:
    """Stock positions: ``{"location_id", "sku", "on_hand", "safety_stock"}``."""
    return [
        {"location_id": location_id, "sku": sku, "on_hand": on_hand, "safety_stock": safety}
        for location_id, sku, on_hand, safety in _STOCK
    ]


def demo_orders(now: datetime | None = None) -> list[Body]:
    """Order bodies from every channel, placed in the last two hours before ``now``.

    Recent ``placed_at`` times keep the demo's promises in the future whenever it is loaded.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    orders = []
    for minutes_ago, body in copy.deepcopy(_ORDERS):
        placed = moment - timedelta(minutes=minutes_ago)
        body["placed_at"] = placed.isoformat().replace("+00:00", "Z")
        orders.append(body)
    return orders
