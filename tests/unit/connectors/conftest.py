"""Realistic channel payloads, loaded fresh for each test so a test may change its copy."""

from __future__ import annotations

from typing import Any

import pytest
from connector_payloads import load_payload


@pytest.fixture
def amazon_order() -> dict[str, Any]:
    """An Unshipped, merchant-fulfilled SP-API order with three items (one cancelled)."""
    body: dict[str, Any] = load_payload("amazon_order_unshipped")
    return body


@pytest.fixture
def amazon_pending() -> dict[str, Any]:
    """A Pending Prime NextDay order: no prices, no buyer details, a partial address."""
    body: dict[str, Any] = load_payload("amazon_order_pending")
    return body


@pytest.fixture
def shopify_order() -> dict[str, Any]:
    """A paid ``orders/create`` webhook body with two lines and a geocoded address."""
    body: dict[str, Any] = load_payload("shopify_orders_create")
    return body
