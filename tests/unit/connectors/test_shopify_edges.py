"""Shopify edges: lines removed by an order edit or already fulfilled are not sourced."""

from __future__ import annotations

from typing import Any

import pytest

from connectors import ConnectorError, shopify_order_to_canonical


def test_units_removed_by_an_edit_are_not_sourced(shopify_order: dict[str, Any]) -> None:
    item = shopify_order["line_items"][0]
    item.update(quantity=3, current_quantity=1, fulfillable_quantity=1)
    body = shopify_order_to_canonical(shopify_order)
    line = next(x for x in body["lines"] if x["line_id"] == str(item["id"]))
    assert line["qty"] == 1


def test_a_partly_fulfilled_line_sources_the_rest(shopify_order: dict[str, Any]) -> None:
    item = shopify_order["line_items"][0]
    item.update(quantity=3, fulfillable_quantity=1, fulfillment_status="partial")
    body = shopify_order_to_canonical(shopify_order)
    line = next(x for x in body["lines"] if x["line_id"] == str(item["id"]))
    assert line["qty"] == 1


def test_an_already_fulfilled_line_is_left_out(shopify_order: dict[str, Any]) -> None:
    item = shopify_order["line_items"][0]
    item.update(quantity=2, fulfillable_quantity=0, fulfillment_status="fulfilled")
    body = shopify_order_to_canonical(shopify_order)
    assert str(item["id"]) not in {x["line_id"] for x in body["lines"]}


def test_nothing_left_to_fulfil_is_refused(shopify_order: dict[str, Any]) -> None:
    for item in shopify_order["line_items"]:
        item.update(fulfillable_quantity=0, fulfillment_status="fulfilled")
    with pytest.raises(ConnectorError, match="no line"):
        shopify_order_to_canonical(shopify_order)


def test_fulfillable_quantity_counts_only_once_a_line_is_fulfilled(
        shopify_order: dict[str, Any]) -> None:
    shopify_order["line_items"][0].update(quantity=2, fulfillable_quantity=0)
    assert shopify_order_to_canonical(shopify_order)["lines"][0]["qty"] == 2


@pytest.mark.parametrize("bad", ["1", -1, 2.5, True])
def test_a_malformed_fulfillable_quantity_is_named(shopify_order: dict[str, Any],
                                                   bad: Any) -> None:
    shopify_order["line_items"][0].update(fulfillable_quantity=bad, fulfillment_status="partial")
    with pytest.raises(ConnectorError, match=r"line_items\[0\]\.fulfillable_quantity"):
        shopify_order_to_canonical(shopify_order)
