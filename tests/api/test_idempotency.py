"""Idempotency-Key on POST /v1/orders: replays, misuse, scoping and concurrent retries."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN, CHANNEL, OPS, order_body
from tests.api.helpers import PENDING, all_orders, assert_problem

JSON = {"content-type": "application/json"}


def _keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def test_replaying_the_same_key_and_body_ten_times_gives_one_order_and_one_answer(
        seeded_any: TestClient) -> None:
    responses = [seeded_any.post("/v1/orders", json=order_body("I-1"),
                                 headers=_keyed(OPS, "key-1")) for _ in range(10)]
    assert {r.status_code for r in responses} == {201}
    assert {r.content for r in responses} == {responses[0].content}
    assert "idempotent-replayed" not in responses[0].headers
    assert all(r.headers["idempotent-replayed"] == "true" for r in responses[1:])
    assert all(r.headers["location"] == responses[0].headers["location"] for r in responses)
    orders = all_orders(seeded_any)
    assert [o["order_id"] for o in orders] == [responses[0].json()["order_id"]]
    stored = seeded_any.get(f"/v1/orders/{orders[0]['order_id']}", headers=OPS).json()
    assert [e["type"] for e in stored["timeline"]].count("order.received") == 1


def test_a_replay_returns_the_first_answer_even_after_the_order_changed(
        seeded_any: TestClient) -> None:
    body = order_body("I-2", payment=PENDING)
    first = seeded_any.post("/v1/orders", json=body, headers=_keyed(OPS, "k"))
    seeded_any.post(f"/v1/orders/{first.json()['order_id']}/cancel", headers=OPS)
    replay = seeded_any.post("/v1/orders", json=body, headers=_keyed(OPS, "k"))
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.json()["status"] == "received"


def test_the_same_key_with_another_body_is_422_and_creates_nothing(
        seeded_any: TestClient) -> None:
    first = seeded_any.post("/v1/orders", json=order_body("I-3"), headers=_keyed(OPS, "k"))
    assert first.status_code == 201
    other = seeded_any.post("/v1/orders", json=order_body("I-4"), headers=_keyed(OPS, "k"))
    problem = assert_problem(other, 422)
    assert "Idempotency-Key" in problem["detail"]
    assert [o["channel_order_id"] for o in all_orders(seeded_any)] == ["I-3"]
    # and the key still answers with the first response
    again = seeded_any.post("/v1/orders", json=order_body("I-3"), headers=_keyed(OPS, "k"))
    assert again.status_code == 201 and again.json() == first.json()


def test_keys_are_scoped_per_api_key(seeded_any: TestClient) -> None:
    by_ops = seeded_any.post("/v1/orders", json=order_body("I-OPS"),
                             headers=_keyed(OPS, "shared"))
    by_channel = seeded_any.post("/v1/orders", json=order_body("I-CH"),
                                 headers=_keyed(CHANNEL, "shared"))
    assert by_ops.status_code == by_channel.status_code == 201
    assert by_ops.json()["order_id"] != by_channel.json()["order_id"]
    assert "idempotent-replayed" not in by_channel.headers
    # the same body under another caller's key is a new request, not a replay
    by_admin = seeded_any.post("/v1/orders", json=order_body("I-OPS"),
                               headers=_keyed(ADMIN, "shared"))
    assert by_admin.status_code == 200  # the channel-order rule, not the key, answers
    assert "idempotent-replayed" not in by_admin.headers
    assert len(all_orders(seeded_any)) == 2


def test_key_order_and_whitespace_do_not_change_the_fingerprint(
        seeded_any: TestClient) -> None:
    body = order_body("I-6")
    compact = json.dumps(body, separators=(",", ":"))
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=4)
    first = seeded_any.post("/v1/orders", content=compact, headers={**_keyed(OPS, "k"), **JSON})
    second = seeded_any.post("/v1/orders", content=reordered,
                             headers={**_keyed(OPS, "k"), **JSON})
    assert first.status_code == second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()


def test_a_refused_order_under_a_key_replays_the_refusal(seeded_any: TestClient) -> None:
    body = order_body("I-7", delivery={"method": "pickup", "location_id": "ST-2"})
    first = seeded_any.post("/v1/orders", json=body, headers=_keyed(OPS, "k"))
    assert_problem(first, 422)
    second = seeded_any.post("/v1/orders", json=body, headers=_keyed(OPS, "k"))
    assert second.status_code == 422 and second.json() == first.json()
    assert all_orders(seeded_any) == []


def _check_parallel(responses: list[httpx.Response], orders: list[dict[str, Any]]) -> None:
    """Exactly one order; every answer is it (201, maybe replayed) or 409 'still running'."""
    assert len(orders) == 1, orders
    order_id = orders[0]["order_id"]
    statuses = sorted(r.status_code for r in responses)
    assert all(s in (201, 409) for s in statuses), [(r.status_code, r.text) for r in responses]
    assert 201 in statuses
    for response in responses:
        if response.status_code == 201:
            assert response.json()["order_id"] == order_id
        else:
            assert_problem(response, 409)
            assert response.headers.get("retry-after")


def test_twenty_parallel_requests_with_one_key_make_exactly_one_order(
        seeded_any: TestClient) -> None:
    body = order_body("I-PAR")
    gate = threading.Barrier(20)

    def send(_: int) -> httpx.Response:
        gate.wait(timeout=10)
        return seeded_any.post("/v1/orders", json=body, headers=_keyed(CHANNEL, "parallel"))

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(send, range(20)))
    _check_parallel(responses, all_orders(seeded_any))
    after = seeded_any.post("/v1/orders", json=body, headers=_keyed(CHANNEL, "parallel"))
    assert after.status_code == 201 and after.headers["idempotent-replayed"] == "true"
    assert after.json()["order_id"] == all_orders(seeded_any)[0]["order_id"]


@pytest.mark.parametrize("key", ["a" * 255, "with space", "7f1c8a2e-uuid-like"])
def test_any_printable_key_up_to_255_characters_works(seeded_any: TestClient,
                                                      key: str) -> None:
    headers = _keyed(OPS, key)
    first = seeded_any.post("/v1/orders", json=order_body("I-8"), headers=headers)
    second = seeded_any.post("/v1/orders", json=order_body("I-8"), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"


def test_a_retried_stock_receipt_under_one_key_counts_once(seeded_any: TestClient) -> None:
    receipt = {"location_id": "WH-B", "sku": "LAPTOP-15", "delta": 3, "reason": "receipt"}
    first, again = (seeded_any.post("/v1/inventory/adjustments", json=receipt,
                                    headers=_keyed(ADMIN, "receipt-77")) for _ in range(2))
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.content == again.content and again.headers["idempotent-replayed"] == "true"
    after = seeded_any.get("/v1/inventory", params={"sku": "LAPTOP-15", "location_id": "WH-B"},
                           headers=ADMIN).json()["positions"][0]
    assert after["on_hand"] == 5 + 3 == first.json()["on_hand_after"]
    other = seeded_any.post("/v1/inventory/adjustments", json={**receipt, "delta": 4},
                            headers=_keyed(ADMIN, "receipt-77"))
    assert_problem(other, 422)  # another body under the same key: refused, nothing applied
    unkeyed = seeded_any.post("/v1/inventory/adjustments", json=receipt, headers=ADMIN)
    assert unkeyed.json()["on_hand_after"] == 11  # without a key, each call counts
