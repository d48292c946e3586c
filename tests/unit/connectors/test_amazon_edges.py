"""Amazon edges: a PartiallyShipped order sources only what has not shipped yet."""

from __future__ import annotations

from typing import Any

import pytest

from connectors import ConnectorError, amazon_order_to_canonical


def _partially_shipped(order: dict[str, Any]) -> dict[str, Any]:
    order["OrderStatus"] = "PartiallyShipped"
    return order


def test_shipped_units_are_not_sourced_again(amazon_order: dict[str, Any]) -> None:
    order = _partially_shipped(amazon_order)
    item = order["OrderItems"][0]
    item.update(QuantityOrdered=3, QuantityShipped=1, ItemPrice={"CurrencyCode": "USD",
                                                                "Amount": "30.00"})
    body = amazon_order_to_canonical(order)
    line = next(x for x in body["lines"] if x["line_id"] == item["OrderItemId"])
    assert line["qty"] == 2
    assert line["unit_price"] == 10.0  # ItemPrice is for the 3 ordered, whatever shipped


def test_a_fully_shipped_item_is_left_out(amazon_order: dict[str, Any]) -> None:
    order = _partially_shipped(amazon_order)
    item = order["OrderItems"][0]
    item["QuantityShipped"] = item["QuantityOrdered"]
    body = amazon_order_to_canonical(order)
    assert item["OrderItemId"] not in {x["line_id"] for x in body["lines"]}


@pytest.mark.parametrize("shipped", [5, -1, "1", 1.5])
def test_an_impossible_quantity_shipped_is_named(amazon_order: dict[str, Any],
                                                 shipped: Any) -> None:
    item = amazon_order["OrderItems"][0]
    item.update(QuantityOrdered=2, QuantityShipped=shipped)
    with pytest.raises(ConnectorError, match=r"OrderItems\[0\]\.QuantityShipped"):
        amazon_order_to_canonical(amazon_order)


def test_everything_shipped_is_refused(amazon_order: dict[str, Any]) -> None:
    order = _partially_shipped(amazon_order)
    for item in order["OrderItems"]:
        item["QuantityShipped"] = item["QuantityOrdered"]
    with pytest.raises(ConnectorError, match="no item"):
        amazon_order_to_canonical(order)
