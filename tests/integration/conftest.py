"""What the end-to-end broker and webhook tests share: the seeded app over the module's own
``container`` fixture (each module builds it with the settings it needs), and placing orders."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dom.bootstrap import Container
from tests.api.conftest import CHANNEL, _client, order_body, seed


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """The app over ``container``, seeded with the small network, catalog and stock."""
    for made in _client(container):
        seed(made)
        yield made


def place(client: TestClient, channel_order_id: str, **overrides: Any) -> str:
    """Place an order as a channel would; its id."""
    answer = client.post("/v1/orders", json=order_body(channel_order_id, **overrides),
                         headers=CHANNEL)
    assert answer.status_code == 201, answer.text
    order_id: str = answer.json()["order_id"]
    return order_id
