"""What a server killed mid-request leaves behind is recovered, not kept forever: here the
``Idempotency-Key`` claim of a request whose process died (see also test_background.py for the
startup pass, and tests/e2e/test_crash.py for a real SIGKILL under load)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from dom.bootstrap import Container
from storage.clock import utcnow
from storage.repositories.idempotency import ABANDONED_AFTER
from storage.tables import idempotency_keys
from tests.api.conftest import CHANNEL, order_body
from tests.api.helpers import all_orders


def _as_if_cut_off(container: Container, key: str, age: timedelta) -> None:
    """The key as a request killed before answering leaves it: claimed, never completed."""
    with container.engine.begin() as connection:
        connection.execute(update(idempotency_keys).where(idempotency_keys.c.key == key).values(
            state="in_progress", status_code=None, response_body=None, response_headers=None,
            created_at=utcnow() - age))


def test_a_key_whose_request_died_is_taken_over_once_it_is_abandoned(
        seeded: TestClient, default_container: Container) -> None:
    headers = {**CHANNEL, "Idempotency-Key": "cut-off"}
    first = seeded.post("/v1/orders", json=order_body("W-CUT"), headers=headers)
    assert first.status_code == 201, first.text

    _as_if_cut_off(default_container, "cut-off", timedelta(seconds=5))
    running = seeded.post("/v1/orders", json=order_body("W-CUT"), headers=headers)
    assert running.status_code == 409  # it may still be running somewhere: not yet

    _as_if_cut_off(default_container, "cut-off", ABANDONED_AFTER + timedelta(minutes=1))
    retried = seeded.post("/v1/orders", json=order_body("W-CUT"), headers=headers)
    assert retried.status_code == 200, retried.text  # the order the dead request committed
    assert retried.json()["order_id"] == first.json()["order_id"]
    assert [o["order_id"] for o in all_orders(seeded)] == [first.json()["order_id"]]
    replayed = seeded.post("/v1/orders", json=order_body("W-CUT"), headers=headers)
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json()["order_id"] == first.json()["order_id"]
