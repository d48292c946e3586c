"""Channel connectors: marketplace and shop payloads mapped to the canonical order body.

Pure functions over JSON-like dicts; the API posts their result through the same path as
``POST /v1/orders``.
"""

from connectors.amazon import AMAZON_LINES, amazon_order_to_canonical
from connectors.errors import (
    CancelledOnChannel,
    ConnectorError,
    NewsOnChannel,
    PaymentVoidedOnChannel,
)
from connectors.shopify import PICKUP_ATTRIBUTE, SHOPIFY_LINES, shopify_order_to_canonical

__all__ = [
    "AMAZON_LINES",
    "PICKUP_ATTRIBUTE",
    "SHOPIFY_LINES",
    "CancelledOnChannel",
    "ConnectorError",
    "NewsOnChannel",
    "PaymentVoidedOnChannel",
    "amazon_order_to_canonical",
    "shopify_order_to_canonical",
]
