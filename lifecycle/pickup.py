"""Pickup orders whose store can no longer hand them over.

A pickup order may be handed over only at the store the customer chose (there are no
transfers between locations), so when that store closes, stops pickups or refuses the order,
no stock anywhere can fill it: the customer and operations are told
(``order.pickup_unavailable``; the packaged rules notify and open an escalation to agree another
store or shipping) instead of a backorder notice for stock that would never come.
"""

from __future__ import annotations

from models import Location, Order
from models.orders import BACKORDERED_UNITS, DeliveryMethod


def is_own_pickup_store(order: Order, location_id: str | None) -> bool:
    """Whether ``location_id`` is the one store that may hand ``order`` over."""
    return order.delivery.method is DeliveryMethod.PICKUP and location_id is not None \
        and order.delivery.location_id == location_id


def tell_pickup_unavailable(order: Order, store: Location, waiting: dict[str, int],
                            set_aside: int = 0, why: str | None = None) -> None:
    """Record ``order.pickup_unavailable`` for the ``waiting`` units (per line) and those
    ``set_aside`` at the store; the waiting ones count as announced, so a later run does not
    also tell the customer they wait for stock."""
    order.record("order.pickup_unavailable",
                 f"Pickup store {store.name} can no longer hand over this order"
                 + (f" ({why})" if why else "")
                 + ": agree another store or shipping with the customer",
                 location_id=store.id, units=set_aside + sum(waiting.values()))
    if waiting:
        order.attributes = {**order.attributes, BACKORDERED_UNITS: waiting}
