"""Edges of the HTTP conventions a real client runs into: bodies on GETs, the wrong content
type, tampered cursors and out-of-range stream positions, API key comparison, request ids and
metric labels. Every bad request gets a clear problem+json 4xx, never a 5xx."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from api import auth
from tests.api.conftest import ADMIN, CHANNEL, order_body
from tests.api.helpers import assert_problem


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _order(client: TestClient, channel_order_id: str = "W-EDGE-1") -> dict[str, object]:
    response = client.post("/v1/orders", json=order_body(channel_order_id), headers=ADMIN)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_an_oversized_body_on_a_get_is_refused_before_it_is_buffered(client: TestClient) -> None:
    """The body cap holds for every method: a public GET cannot make the server buffer
    an unbounded upload (no key is needed for /healthz or /v1/track)."""
    too_big = b"x" * (client.app.state.container.settings.max_body_bytes + 1)  # type: ignore[attr-defined]
    for path in ("/healthz", "/v1/track/ord_x?token=t"):
        assert_problem(client.request("GET", path, content=too_big), 413)


def test_a_body_that_is_not_json_is_415_and_writes_nothing(seeded_any: TestClient) -> None:
    import json

    body = json.dumps(order_body("W-CT-1")).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        problem = assert_problem(seeded_any.post(
            "/v1/orders", content=body, headers={**ADMIN, "Content-Type": content_type}), 415)
        assert "application/json" in problem["detail"]
    listed = seeded_any.get("/v1/orders", headers=ADMIN).json()["items"]
    assert listed == []
    # JSON with a charset or a +json type is still JSON
    ok = seeded_any.post("/v1/orders", content=body,
                         headers={**ADMIN, "Content-Type": "application/json; charset=utf-8"})
    assert ok.status_code == 201, ok.text


def test_a_tampered_cursor_is_422_on_every_list(seeded_any: TestClient) -> None:
    order = _order(seeded_any)
    paths = ["/v1/orders", f"/v1/orders/{order['order_id']}/timeline",
             "/v1/customers/C-42/services", "/v1/escalations", "/v1/notifications",
             "/v1/webhooks", "/v1/scenarios"]
    for raw in (b"\x00", b"ord_\x00x", b"\x00\x00\x00"):
        for path in paths:
            response = seeded_any.get(path, params={"cursor": _cursor(raw)}, headers=ADMIN)
            problem = assert_problem(response, 422)
            assert "cursor" in problem["detail"], (path, problem)


def test_a_last_event_id_beyond_any_seq_is_422_not_a_broken_stream(
        seeded_any: TestClient) -> None:
    order = _order(seeded_any)
    path = f"/v1/orders/{order['order_id']}/stream"
    huge = str(2**31)
    assert_problem(seeded_any.get(path, params={"last_event_id": huge}, headers=ADMIN), 422)
    assert_problem(seeded_any.get(path, headers={**ADMIN, "Last-Event-ID": huge}), 422)
    assert_problem(seeded_any.get(path, headers={**ADMIN, "Last-Event-ID": "9" * 20}), 422)


def test_api_keys_are_compared_in_constant_time(monkeypatch: object) -> None:
    """The key lookup goes through hmac.compare_digest (no early-exit string comparison or
    hash-table probe on the secret itself)."""
    import hmac

    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    from dom.settings import ApiKey

    middleware = auth.ApiKeyMiddleware(
        lambda *_: None,  # type: ignore[arg-type,return-value]
        {"k1": ApiKey(key="k1", role="admin", subject=None),
         "k2": ApiKey(key="k2", role="ops", subject=None)})
    assert middleware.find("k2") is not None and middleware.find("k2").role == "ops"  # type: ignore[union-attr]
    assert middleware.find("nope") is None
    assert len(calls) >= 4  # every configured key compared, for a hit and a miss alike


def test_lowercase_bearer_and_extra_spaces_are_accepted(seeded: TestClient) -> None:
    assert seeded.get("/v1/orders", headers={"Authorization": "bearer admin-key"}
                      ).status_code == 200
    assert seeded.get("/v1/orders", headers={"Authorization": "Bearer  admin-key "}
                      ).status_code == 200


def test_a_request_id_is_echoed_only_when_it_is_safe(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}
                      ).headers["x-request-id"] == "abc-123"
    for unsafe in ("a b\tc", "é" * 3, "x" * 200, "{bad}\"quote"):
        echoed = client.get("/healthz", headers={"X-Request-ID": unsafe.encode()}
                            ).headers["x-request-id"]
        assert echoed != unsafe and len(echoed) <= 64 and echoed.isalnum(), echoed
    # every problem carries one too
    assert client.get("/v1/orders").headers["x-request-id"]


def test_unknown_methods_do_not_create_metric_series(client: TestClient) -> None:
    for method in ("FOO1", "FOO2", "PROPFIND"):
        assert_problem(client.request(method, "/healthz"), 405)
    text = client.get("/metrics").text
    assert "FOO1" not in text and "PROPFIND" not in text
    assert 'method="OTHER"' in text


def test_the_same_idempotency_key_from_another_caller_is_not_a_replay(
        seeded: TestClient) -> None:
    first = seeded.post("/v1/orders", json=order_body("W-IK-1"),
                        headers={**ADMIN, "Idempotency-Key": "shared-key"})
    assert first.status_code == 201
    other = seeded.post("/v1/orders", json=order_body("W-IK-2"),
                        headers={**CHANNEL, "Idempotency-Key": "shared-key"})
    assert other.status_code == 201, other.text  # its own key space: a new order
    assert "idempotent-replayed" not in other.headers
    assert other.json()["order_id"] != first.json()["order_id"]
