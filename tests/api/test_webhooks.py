"""Webhook subscriptions over HTTP: admin only, public destinations only, the secret never
echoed (a generated one is shown once)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from dom.bootstrap import Container
from models import Event
from tests.api.conftest import ADMIN, CHANNEL, OPS, PLANNER, STORE, SUPPLIER, order_body, seed
from tests.api.helpers import assert_problem, assert_validation_problem
from tests.integration.test_webhook_delivery import serve_receiver, verify

PUBLIC = "https://93.184.215.14/hooks/dom"
SECRET = "a-secret-of-enough-length"


def body(**overrides: Any) -> dict[str, Any]:
    return {"url": PUBLIC, "events": ["order.*", "fulfillment.*"], "secret": SECRET,
            **overrides}


def test_an_admin_subscribes_and_the_secret_is_not_echoed(client: TestClient) -> None:
    created = client.post("/v1/webhooks", json=body(), headers=ADMIN)
    assert created.status_code == 201, created.text
    out = created.json()
    assert set(out) == {"webhook_id", "url", "events", "created_at", "active"}
    assert (out["url"], out["events"], out["active"]) == (PUBLIC, ["order.*", "fulfillment.*"],
                                                          True)
    assert created.headers["location"] == f"/v1/webhooks/{out['webhook_id']}"
    assert SECRET not in created.text

    read = client.get(f"/v1/webhooks/{out['webhook_id']}", headers=ADMIN)
    assert read.status_code == 200 and read.json() == out
    listed = client.get("/v1/webhooks", headers=ADMIN).json()
    assert listed == {"items": [out], "next_cursor": None}


def test_without_a_secret_one_is_generated_and_shown_only_once(client: TestClient) -> None:
    created = client.post("/v1/webhooks", json=body(secret=None), headers=ADMIN)
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    assert isinstance(secret, str) and len(secret) >= 32
    webhook_id = created.json()["webhook_id"]
    assert secret not in client.get(f"/v1/webhooks/{webhook_id}", headers=ADMIN).text
    assert secret not in client.get("/v1/webhooks", headers=ADMIN).text


def test_delete_unsubscribes_and_the_id_is_then_unknown(client: TestClient) -> None:
    webhook_id = client.post("/v1/webhooks", json=body(), headers=ADMIN).json()["webhook_id"]
    deleted = client.delete(f"/v1/webhooks/{webhook_id}", headers=ADMIN)
    assert deleted.status_code == 204 and deleted.content == b""
    assert_problem(client.get(f"/v1/webhooks/{webhook_id}", headers=ADMIN), 404)
    assert_problem(client.delete(f"/v1/webhooks/{webhook_id}", headers=ADMIN), 404)
    assert client.get("/v1/webhooks", headers=ADMIN).json()["items"] == []


def test_the_list_pages_with_a_cursor(client: TestClient) -> None:
    ids = [client.post("/v1/webhooks", json=body(), headers=ADMIN).json()["webhook_id"]
           for _ in range(3)]
    first = client.get("/v1/webhooks?limit=2", headers=ADMIN).json()
    assert [w["webhook_id"] for w in first["items"]] == ids[:2] and first["next_cursor"]
    second = client.get(f"/v1/webhooks?limit=2&cursor={first['next_cursor']}",
                        headers=ADMIN).json()
    assert [w["webhook_id"] for w in second["items"]] == ids[2:]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("headers", [OPS, CHANNEL, PLANNER, SUPPLIER, STORE])
def test_only_admins_manage_webhooks(client: TestClient, headers: dict[str, str]) -> None:
    assert_problem(client.post("/v1/webhooks", json=body(), headers=headers), 403)
    assert_problem(client.get("/v1/webhooks", headers=headers), 403)
    assert_problem(client.delete("/v1/webhooks/whk_x", headers=headers), 403)
    assert_problem(client.post("/v1/webhooks", json=body()), 401)


@pytest.mark.parametrize("url", ["http://10.0.0.1/hook", "http://127.0.0.1:8080/hook",
                                 "http://[::1]/hook", "http://169.254.169.254/latest",
                                 "http://192.168.1.1/", "http://localhost:8000/hook"])
def test_private_destinations_are_refused_with_a_reason(client: TestClient, url: str) -> None:
    refused = assert_validation_problem(
        client.post("/v1/webhooks", json=body(url=url), headers=ADMIN))
    assert "public addresses" in refused["detail"]
    assert "DOM_WEBHOOK_ALLOW_PRIVATE" in refused["detail"]
    assert refused["errors"][0]["loc"] == ["body", "url"]
    assert client.get("/v1/webhooks", headers=ADMIN).json()["items"] == []


@pytest.mark.parametrize("url", ["http://[zz]/hook", "https://a..example.com/",
                                 "https://" + "a" * 64 + ".example.com/"])
def test_urls_no_resolver_could_read_are_refused_not_500(client: TestClient, url: str) -> None:
    refused = assert_validation_problem(
        client.post("/v1/webhooks", json=body(url=url), headers=ADMIN))
    assert refused["errors"][0]["loc"] == ["body", "url"]
    assert client.get("/v1/webhooks", headers=ADMIN).json()["items"] == []


@pytest.fixture
def permissive(default_container: Container) -> Iterator[TestClient]:
    settings = default_container.settings.model_copy(update={"webhook_allow_private": True,
                                                            "webhook_poll_interval_s": 0})
    app = create_app(dataclasses.replace(default_container, settings=settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_the_allow_private_setting_admits_private_destinations(permissive: TestClient) -> None:
    for url in ("http://127.0.0.1:9000/hook", "http://localhost/hook", "http://10.0.0.1/"):
        assert permissive.post("/v1/webhooks", json=body(url=url), headers=ADMIN
                               ).status_code == 201


@pytest.mark.parametrize(("overrides", "field"), [
    ({"url": "ftp://93.184.215.14/x"}, "url"),
    ({"url": "not a url"}, "url"),
    ({"url": "https://nowhere.invalid/x"}, "url"),
    ({"events": []}, "events"),
    ({"events": ["order.**"]}, "events"),
    ({"events": ["Order Created"]}, "events"),
    ({"secret": "short"}, "secret"),
    ({"secret": "x" * 257}, "secret"),
    ({"colour": "blue"}, "colour"),
])
def test_malformed_subscriptions_are_422_naming_the_field(
        client: TestClient, overrides: dict[str, Any], field: str) -> None:
    refused = assert_validation_problem(
        client.post("/v1/webhooks", json=body(**overrides), headers=ADMIN))
    assert field in refused["errors"][0]["loc"], refused


def test_an_unknown_webhook_is_404(client: TestClient) -> None:
    assert_problem(client.get("/v1/webhooks/whk_nope", headers=ADMIN), 404)


def test_the_app_delivers_in_the_background_while_it_lives_and_stops_with_it(
        default_container: Container) -> None:
    settings = default_container.settings.model_copy(update={"webhook_allow_private": True,
                                                            "webhook_poll_interval_s": 0.02})
    live = dataclasses.replace(default_container, settings=settings)
    with serve_receiver() as receiver:
        with TestClient(create_app(live), raise_server_exceptions=False) as client:
            seed(client)
            assert client.post("/v1/webhooks", json=body(url=receiver.url, events=["*"]),
                               headers=ADMIN).status_code == 201
            order = client.post("/v1/orders", json=order_body(), headers=CHANNEL).json()
            expected = client.get(f"/v1/orders/{order['order_id']}/timeline",
                                  headers=ADMIN).json()["items"]
            deadline = time.monotonic() + 10
            while len(receiver.acknowledged()) < len(expected):
                assert time.monotonic() < deadline, "not delivered in time"
                time.sleep(0.02)
        assert [e["seq"] for e in receiver.acknowledged()] == [e["seq"] for e in expected]
        assert all(verify(SECRET, r.headers, r.body) for r in receiver.receipts)

        with live.uow() as uow:  # the app has stopped: nothing delivers this any more
            uow.events.append(order["order_id"], [Event(type="order.note",
                                                        order_id=order["order_id"],
                                                        message="after shutdown")])
            uow.commit()
        time.sleep(0.2)
        assert len(receiver.receipts) == len(expected)


def test_stopping_the_app_finishes_the_send_under_way_before_closing_the_sender(
        default_container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dispatcher sends from a worker thread: shutdown waits for that send instead of
    closing the HTTP client under it (the delivery would fail and go out again later)."""
    import asyncio
    import threading
    from collections.abc import Mapping
    from datetime import UTC, datetime

    from api.routers import webhooks as webhook_router
    from lifecycle import webhooks
    from lifecycle.webhook_dispatch import SendResult

    sending, closed_mid_send = threading.Event(), threading.Event()

    class SlowSender:
        busy = False

        def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> SendResult:
            self.busy = True
            sending.set()
            time.sleep(0.3)
            self.busy = False
            return SendResult(200)

        def close(self) -> None:
            if self.busy:
                closed_mid_send.set()

    monkeypatch.setattr(webhook_router, "HttpSender", SlowSender)
    settings = default_container.settings.model_copy(update={"webhook_allow_private": True,
                                                            "webhook_poll_interval_s": 0.01})
    live = dataclasses.replace(default_container, settings=settings)
    with TestClient(create_app(dataclasses.replace(live, settings=settings.model_copy(
            update={"webhook_poll_interval_s": 0}))), raise_server_exceptions=False) as client:
        seed(client)
        webhooks.subscribe(live.uow_factory, "http://127.0.0.1:9/hook", ["*"], "s" * 32,
                           datetime.now(UTC))
        assert client.post("/v1/orders", json=order_body("W-SLOW"), headers=CHANNEL
                           ).status_code == 201

    async def stop_during_a_send() -> None:
        async with webhook_router.dispatching(live):
            for _ in range(500):
                if sending.is_set():
                    break
                await asyncio.sleep(0.01)
            assert sending.is_set(), "nothing was sent"

    asyncio.run(stop_during_a_send())
    assert not closed_mid_send.is_set(), "the sender was closed while a send was under way"
