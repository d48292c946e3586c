"""The domain: plain types every layer shares. Imports nothing from the web or the database."""

from models.catalog import Product, ProductKind
from models.errors import (
    ConcurrentUpdate,
    Conflict,
    DomainError,
    DuplicateChannelOrder,
    Forbidden,
    InsufficientStock,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
)
from models.events import Event
from models.ids import new_id, new_token
from models.inventory import (
    Adjustment,
    Position,
    Reservation,
    ReservationRequest,
    ReservationStatus,
)
from models.locations import Capability, Location, LocationType
from models.order_status import OrderStatus, PaymentStatus
from models.orders import (
    Channel,
    Customer,
    Delivery,
    DeliveryMethod,
    Order,
    OrderLine,
    ShipTo,
)

__all__ = [
    "Adjustment",
    "Capability",
    "Channel",
    "ConcurrentUpdate",
    "Conflict",
    "Customer",
    "Delivery",
    "DeliveryMethod",
    "DomainError",
    "DuplicateChannelOrder",
    "Event",
    "Forbidden",
    "InsufficientStock",
    "InvalidInput",
    "Location",
    "LocationType",
    "NotFound",
    "Order",
    "OrderLine",
    "OrderStatus",
    "PaymentStatus",
    "Position",
    "Product",
    "ProductKind",
    "Reservation",
    "ReservationRequest",
    "ReservationStatus",
    "ShipTo",
    "TransitionNotAllowed",
    "new_id",
    "new_token",
]
