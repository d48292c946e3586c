"""Property: a quote reserves nothing and writes nothing, whatever the network and the order.

Random stock, capacities and orders (ship or pickup, products and services, any objective),
some of them already partly committed, go through the real app on SQLite and PostgreSQL; after
every quote (``commit: false``, a new body or a stored order) the ledger's positions and
reservations, the fulfillments and every order's timeline are exactly what they were.
"""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dom.bootstrap import Container
from tests.api.conftest import ADMIN, CHANNEL, NETWORK, OPS, order_body

LOCATIONS = ("WH-A", "WH-B", "ST-1", "SUP-1")
PRODUCTS = ("LAPTOP-15", "PHONE-X", "CAM-BAG")
SEQUENCE = itertools.count()

stock = st.dictionaries(st.tuples(st.sampled_from(LOCATIONS), st.sampled_from(PRODUCTS)),
                        st.integers(0, 4), max_size=8)
capacity = st.one_of(st.none(), st.integers(0, 6))
lines = st.lists(st.tuples(st.sampled_from(PRODUCTS), st.integers(1, 4)), min_size=0,
                 max_size=3)
scenario = st.fixed_dictionaries({
    "stock": stock, "capacity": capacity, "lines": lines, "warranty": st.booleans(),
    "pickup": st.booleans(), "objective": st.sampled_from([None, "cost", "time", "balanced"]),
    "placed_first": st.booleans()})


def _body(case: dict[str, Any], channel_order_id: str) -> dict[str, Any]:
    body_lines: list[dict[str, Any]] = [
        {"line_id": str(n + 1), "sku": sku, "qty": qty, "unit_price": 10.0}
        for n, (sku, qty) in enumerate(case["lines"])]
    if case["warranty"] or not body_lines:
        body_lines.append({"line_id": "w", "sku": "WARRANTY-3Y", "qty": 1, "unit_price": 9.0})
    delivery = {"method": "pickup", "location_id": "ST-1"} if case["pickup"] \
        else {"method": "ship"}
    return order_body(channel_order_id, lines=body_lines, delivery=delivery)


def _state(container: Container, client: TestClient) -> dict[str, Any]:
    """Everything a quote must leave alone: ledger, fulfillments, orders and their events."""
    with container.reader() as uow:
        positions = [(p.location_id, p.sku, p.on_hand, p.reserved) for p in
                     uow.ledger.positions()]
        held = sorted((r.id, r.qty, r.status.value) for r in uow.ledger.reservations())
    orders = client.get("/v1/orders", params={"limit": 200}, headers=OPS).json()["items"]
    detail = [client.get(f"/v1/orders/{o['order_id']}", headers=OPS).json() for o in orders]
    return {"positions": positions, "reservations": held,
            "orders": [(d["order_id"], d["status"], len(d["timeline"]),
                        sorted((f["fulfillment_id"], f["status"]) for f in d["fulfillments"]))
                       for d in detail]}


def _prepare(client: TestClient, case: dict[str, Any]) -> None:
    for location_id, seeded in NETWORK:
        if location_id not in ("WH-A", "WH-B"):
            continue
        body = {**seeded, "capacity_units_per_day": case["capacity"]}
        answer = client.put(f"/v1/locations/{location_id}", json=body, headers=ADMIN)
        assert answer.status_code == 200, answer.text
    for (location_id, sku), on_hand in case["stock"].items():
        client.put(f"/v1/inventory/{location_id}/{sku}", json={"on_hand": on_hand},
                   headers=ADMIN)


def _quote(client: TestClient, subject: dict[str, Any], objective: str | None) -> None:
    answer = client.post("/v1/allocate", json={**subject, "commit": False,
                                               **({"objective": objective} if objective
                                                  else {})}, headers=CHANNEL)
    assert answer.status_code in (200, 409, 422), answer.text  # never a 5xx
    if answer.status_code == 200:
        assert answer.json()["committed"] is False


def test_a_quote_reserves_and_writes_nothing(client: TestClient, container: Container) -> None:
    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(case=scenario)
    def check(case: dict[str, Any]) -> None:
        n = next(SEQUENCE)
        _prepare(client, case)
        stored: str | None = None
        if case["placed_first"]:
            placed = client.post("/v1/orders", json=_body(case, f"PROP-{n}"), headers=CHANNEL)
            assert placed.status_code == 201, placed.text
            stored = placed.json()["order_id"]
        before = _state(container, client)
        _quote(client, {"order": _body(case, f"PROP-Q-{n}")}, case["objective"])
        if stored is not None:
            _quote(client, {"order_id": stored}, case["objective"])
        assert _state(container, client) == before

    check()
