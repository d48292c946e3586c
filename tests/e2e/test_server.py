"""The real thing: ``dom demo`` then ``dom serve`` as subprocesses, driven over HTTP with httpx.

One server (two worker processes, SQLite file in a temporary folder) serves the whole module;
it is always terminated in a ``finally`` block, and every wait is bounded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import DEFAULT_BACKEND
from tests.e2e.live_server import demo_server, http_client

ADMIN = {"Authorization": "Bearer admin-key"}
CHANNEL = {"Authorization": "Bearer channel-key"}
PLANNER = {"Authorization": "Bearer planner-key"}
DEMO_CHANNEL_ORDER_IDS = {"W-1001", "W-1002", "S-CHI-0001", "S-NYC-0042", "CC-5001",
                          "CC-5002", "114-3941689-8772232"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory,
           fresh_database: Callable[[Path], str]) -> Iterator[tuple[str, Path]]:
    """A running ``dom serve`` (two workers) over a demo database: its URL and its folder."""
    folder = tmp_path_factory.mktemp("dom-e2e")
    with demo_server(fresh_database(folder), folder, workers=2,
                     env={"DOM_LOG_LEVEL": "INFO"}) as base_url:  # the log is checked too
        yield base_url, folder


@pytest.fixture(scope="module")
def server(served: tuple[str, Path]) -> str:
    return served[0]


@pytest.fixture
def http(server: str) -> Iterator[httpx.Client]:
    with http_client(server) as client:
        yield client


def _orders(http: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(50):
        query = {**params, "limit": 3, **({"cursor": cursor} if cursor else {})}
        response = http.get("/v1/orders", params=query, headers=PLANNER)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("too many pages")


def test_the_server_is_healthy_and_needs_a_key(http: httpx.Client) -> None:
    health = http.get("/healthz")
    dialect = "postgresql" if DEFAULT_BACKEND == "postgres" else "sqlite"
    assert health.json() == {"status": "ok", "database": dialect}
    refused = http.get("/v1/orders")
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_the_demo_orders_from_every_channel_are_listed(http: httpx.Client) -> None:
    listed = _orders(http)
    demo = [o for o in listed if o["channel_order_id"] in DEMO_CHANNEL_ORDER_IDS]
    assert {o["channel_order_id"] for o in demo} == DEMO_CHANNEL_ORDER_IDS
    assert {o["channel"] for o in demo} == {"web", "store", "call_center", "marketplace"}
    assert len({o["order_id"] for o in listed}) == len(listed)  # pages never repeat
    stores = _orders(http, channel="store")
    assert {o["channel_order_id"] for o in stores} == {"S-CHI-0001", "S-NYC-0042"}
    amazon = [o for o in demo if o["channel"] == "marketplace"]
    assert amazon[0]["source"] == "amazon"


def test_an_order_placed_over_http_can_be_read_and_tracked(http: httpx.Client) -> None:
    body = {"channel": "web", "channel_order_id": "E2E-1",
            "customer": {"id": "C-E2E", "name": "Edsger", "email": "edsger@example.com"},
            "ship_to": {"postal_code": "10001", "country": "US"},
            "delivery": {"method": "ship"}, "payment": {"status": "pending"},
            "lines": [{"line_id": "1", "sku": "LAPTOP-15", "qty": 1, "unit_price": 999.0},
                      {"line_id": "2", "sku": "WARRANTY-3Y", "qty": 1, "unit_price": 99.0,
                       "covers_line_id": "1"}]}
    created = http.post("/v1/orders", json=body, headers=CHANNEL)
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["status"] == "received"
    assert [line["kind"] for line in order["lines"]] == ["product", "service"]

    fetched = http.get(f"/v1/orders/{order['order_id']}", headers=PLANNER)
    assert fetched.status_code == 200
    assert fetched.json()["order_id"] == order["order_id"]
    assert fetched.json()["ship_to"]["lat"] == pytest.approx(40.75, abs=0.05)
    assert _orders(http, customer_id="C-E2E")[0]["order_id"] == order["order_id"]

    paid = http.post(f"/v1/orders/{order['order_id']}/payment", json={"status": "confirmed"},
                     headers=CHANNEL)
    assert paid.status_code == 200 and paid.json()["payment"] == {"status": "confirmed"}
    # sourcing runs before the answer, so the order may already be past payment_confirmed
    assert paid.json()["status"] in {"payment_confirmed", "allocated", "partially_allocated",
                                     "backordered"}

    tracked = httpx.get(f"{http.base_url}/v1/track/{order['order_id']}",
                        params={"token": order["tracking_token"]})
    assert tracked.status_code == 200, tracked.text
    assert tracked.json()["status"] == paid.json()["status"]
    assert "edsger@example.com" not in tracked.text
    wrong = httpx.get(f"{http.base_url}/v1/track/{order['order_id']}",
                      params={"token": "not-the-token"})
    assert wrong.status_code == 404


def test_twenty_parallel_requests_with_one_key_through_the_server_make_one_order(
        server: str) -> None:
    body = {"channel": "call_center", "channel_order_id": "E2E-PAR",
            "customer": {"id": "C-PAR"}, "ship_to": {"lat": 40.7, "lon": -74.0},
            "lines": [{"line_id": "1", "sku": "LAPTOP-15", "qty": 1, "unit_price": 999.0}]}
    headers = {**CHANNEL, "Idempotency-Key": "e2e-parallel-key"}
    gate = threading.Barrier(20)

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=server, timeout=30.0) as client:
            gate.wait(timeout=20)
            return client.post("/v1/orders", json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(send, range(20)))

    statuses = [r.status_code for r in responses]
    assert all(s in (201, 409) for s in statuses), [(r.status_code, r.text) for r in responses]
    assert 201 in statuses
    with httpx.Client(base_url=server, timeout=20.0) as http:
        mine = _orders(http, customer_id="C-PAR")
        assert len(mine) == 1, mine
        for response in responses:
            if response.status_code == 201:
                assert response.json()["order_id"] == mine[0]["order_id"]
            else:
                assert response.headers["content-type"].startswith("application/problem+json")
        replay = http.post("/v1/orders", json=body, headers=headers)
        assert replay.status_code == 201
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.json()["order_id"] == mine[0]["order_id"]


def test_every_line_the_server_logs_is_json_and_requests_name_their_order(
        served: tuple[str, Path], http: httpx.Client) -> None:
    body = {"channel": "web", "channel_order_id": "E2E-LOG", "customer": {"id": "C-LOG"},
            "ship_to": {"postal_code": "10001"}, "payment": {"status": "authorized"},
            "lines": [{"line_id": "1", "sku": "LAPTOP-15", "qty": 1, "unit_price": 999.0}]}
    placed = http.post("/v1/orders", json=body, headers=CHANNEL)
    assert placed.status_code in (200, 201), placed.text
    (log,) = served[1].glob("server-*.log")

    def logged() -> list[dict[str, Any]]:
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        return [json.loads(line) for line in lines]  # uvicorn's own lines too, both workers

    def names_the_order(records: list[dict[str, Any]]) -> bool:
        return any(r["event"] == "request" and r["route"] == "/v1/orders"
                   and r.get("order_id") == placed.json()["order_id"] for r in records)

    deadline = time.monotonic() + 10  # the line is written once the answer has gone out
    while not names_the_order(records := logged()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert names_the_order(records)
    assert any(r.get("logger") == "uvicorn.error" for r in records)
    assert not any("HTTP/1.1" in r["event"] for r in records)  # no second, plain access log
