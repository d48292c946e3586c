"""A small network for planner tests: orders in New York, four warehouses from near and dear
to far and cheap, so every value of a day of delivery picks a different one."""

from __future__ import annotations

from typing import Any

LOCATIONS: list[dict[str, Any]] = [
    {"id": "NJ", "type": "warehouse", "lat": 40.73, "lon": -74.17, "shipment_cost": 20.0},
    {"id": "CHI", "type": "warehouse", "lat": 41.88, "lon": -87.63, "shipment_cost": 7.0},
    {"id": "DAL", "type": "warehouse", "lat": 32.78, "lon": -96.80, "shipment_cost": 3.0},
    {"id": "LA", "type": "warehouse", "lat": 34.05, "lon": -118.24, "shipment_cost": 1.0},
]
INVENTORY: list[dict[str, Any]] = [
    {"location_id": loc["id"], "sku": "LAPTOP", "on_hand": 50} for loc in LOCATIONS]


def orders(n: int = 6, qty: int = 1) -> list[dict[str, Any]]:
    return [{"order_id": f"O-{k}", "ship_to": {"lat": 40.71, "lon": -74.0},
             "lines": [{"line_id": "1", "sku": "LAPTOP", "qty": qty}]} for k in range(n)]


def definition(**extra: Any) -> dict[str, Any]:
    """An empty-base scenario over this network; ``extra`` overrides top-level fields."""
    return {"name": "test", "base": "empty", "locations": LOCATIONS, "inventory": INVENTORY,
            "orders": orders(), **extra}
