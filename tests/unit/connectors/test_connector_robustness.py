"""Whatever arrives, a connector returns an order body or raises ``ConnectorError``.

A KeyError or TypeError from a bad payload would surface as a 500; these properties make sure
every malformed payload becomes a 4xx with a message instead.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

from connector_payloads import load_payload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import ConnectorError, amazon_order_to_canonical, shopify_order_to_canonical

Mapper = Callable[[Any], dict[str, Any]]
Path = tuple[str | int, ...]

AMAZON_KEYS = [
    "AmazonOrderId", "SellerOrderId", "PurchaseDate", "OrderStatus", "FulfillmentChannel",
    "OrderTotal", "CurrencyCode", "Amount", "ShipmentServiceLevelCategory", "IsPrime",
    "ShippingAddress", "PostalCode", "CountryCode", "Name", "BuyerInfo", "BuyerEmail",
    "BuyerName", "OrderItems", "SellerSKU", "OrderItemId", "QuantityOrdered", "ItemPrice",
]
SHOPIFY_KEYS = [
    "id", "name", "email", "created_at", "currency", "financial_status", "cancelled_at",
    "customer", "first_name", "last_name", "shipping_address", "zip", "country_code",
    "latitude", "longitude", "note_attributes", "value", "line_items", "sku", "quantity",
    "price", "title",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["", " ", "0", "1", "-1", "1e999", "NaN", "2025-11-03T17:42:09Z", "USD",
                       "Unshipped", "Pending", "paid", "AFN", "MFN", "10001", "US"])
)


def json_values(keys: list[str]) -> st.SearchStrategy[Any]:
    names = st.sampled_from(keys) | st.text(max_size=6)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=6),
        max_leaves=25,
    )


def _paths(value: Any, prefix: Path = ()) -> list[Path]:
    found: list[Path] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _mutate(payload: dict[str, Any], path: Path, replacement: Any, delete: bool) -> None:
    parent: Any = payload
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement


def _assert_order_or_connector_error(mapper: Mapper, payload: Any) -> None:
    try:
        body = mapper(payload)
    except ConnectorError as exc:
        assert str(exc)
        return
    assert body["channel"] in {"web", "marketplace"}
    assert isinstance(body["channel_order_id"], str) and body["channel_order_id"]
    assert body["payment"]["status"] in {"authorized", "confirmed", "pending"}
    assert body["lines"]
    for line in body["lines"]:
        assert isinstance(line["qty"], int) and line["qty"] > 0
        assert math.isfinite(line["unit_price"]) and line["unit_price"] >= 0
        assert isinstance(line["sku"], str) and line["sku"]


CASES: list[tuple[Mapper, str, list[str]]] = [
    (amazon_order_to_canonical, "amazon_order_unshipped", AMAZON_KEYS),
    (amazon_order_to_canonical, "amazon_order_pending", AMAZON_KEYS),
    (shopify_order_to_canonical, "shopify_orders_create", SHOPIFY_KEYS),
]
relaxed = settings(max_examples=200, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])


@relaxed
@given(data=st.data())
def test_arbitrary_json_never_raises_anything_but_connector_error(data: st.DataObject) -> None:
    mapper, _, keys = data.draw(st.sampled_from(CASES))
    payload = data.draw(json_values(keys) | st.dictionaries(st.sampled_from(keys),
                                                            json_values(keys)))
    _assert_order_or_connector_error(mapper, payload)


@relaxed
@given(data=st.data())
def test_realistic_payload_with_one_field_broken_never_crashes(data: st.DataObject) -> None:
    mapper, fixture, keys = data.draw(st.sampled_from(CASES))
    payload = load_payload(fixture)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(payload)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        _mutate(payload, path, data.draw(json_values(keys)), delete=data.draw(st.booleans()))
    original = copy.deepcopy(payload)
    _assert_order_or_connector_error(mapper, payload)
    assert payload == original
