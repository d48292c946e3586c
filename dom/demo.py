"""Load the demo network, catalog, stock and orders through the same handlers the API uses.

Loading twice changes nothing: locations and products are upserts, stock is set (not added)
only where no position exists yet, and orders are unique by (channel, channel_order_id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import dom.demo_data as demo_data
from api.schemas.locations import LocationIn
from api.schemas.orders import OrderIn
from api.schemas.products import ProductIn
from dom.bootstrap import Container
from lifecycle import catalog, inventory, orders, sourcing
from lifecycle.coordinates import resolve_coordinates
from models import Product
from models.commands import PositionInput
from storage.retry import with_retries


@dataclass
class DemoSummary:
    locations: int = 0
    products: int = 0
    positions: int = 0
    orders_created: int = 0
    orders_existing: int = 0


def load_demo(container: Container, progress: Callable[[str], None] = lambda _: None
              ) -> DemoSummary:
    summary = DemoSummary()
    for location_id, body in demo_data.demo_locations():
        spec = LocationIn.model_validate(body)
        lat, lon = resolve_coordinates(spec.lat, spec.lon, spec.postal_code)
        location = spec.to_location(location_id, lat, lon)
        with_retries(partial(catalog.put_location, container.uow(), location))
        summary.locations += 1
    progress(f"{summary.locations} locations")
    for sku, body in demo_data.demo_products():
        item = ProductIn.model_validate(body)
        product = Product(sku=sku, name=item.name, kind=item.kind, weight_kg=item.weight_kg,
                          service_type=item.service_type, term_months=item.term_months)
        with_retries(partial(catalog.put_product, container.uow(), product))
        summary.products += 1
    progress(f"{summary.products} products")
    with container.uow(write=False) as uow:
        existing = {(p.location_id, p.sku) for p in uow.ledger.positions()}
    fresh = [PositionInput(row["location_id"], row["sku"], int(row["on_hand"]),
                           int(row.get("safety_stock", 0)))
             for row in demo_data.demo_inventory()
             if (row["location_id"], row["sku"]) not in existing]
    if fresh:
        with_retries(lambda: inventory.import_positions(container.uow(), fresh))
    summary.positions = len(fresh)
    progress(f"{summary.positions} stock positions")
    for body in demo_data.demo_orders():
        command = OrderIn.model_validate(body).to_command()
        intake = with_retries(partial(orders.create_order, container.uow_factory, command))
        if intake.created:
            summary.orders_created += 1
            sourcing.source_if_ready(container.uow_factory, intake.order.id)
        else:
            summary.orders_existing += 1
    progress(f"{summary.orders_created} orders placed ({summary.orders_existing} already there)")
    return summary
