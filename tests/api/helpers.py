"""Assertions and reads shared by the API tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN, CATALOG, OPS, order_body

PROBLEM_JSON = "application/problem+json"
PENDING = {"status": "pending"}
# Where a paid order may be when the call returns: sourcing runs before the response (api.md),
# so a confirmed order may already be allocated, partly allocated or backordered.
CONFIRMED_OR_LATER = frozenset({"payment_confirmed", "allocated", "partially_allocated",
                                "backordered"})

Client = TestClient | httpx.Client


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem with ``status``; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_JSON, response.headers
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys(), body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def assert_validation_problem(response: httpx.Response, status: int = 422) -> dict[str, Any]:
    """A problem that also lists what is wrong as ``errors: [{loc, msg}]``."""
    body = assert_problem(response, status)
    assert body.get("errors"), body
    for error in body["errors"]:
        assert isinstance(error["loc"], list) and isinstance(error["msg"], str), error
    return body


def walk_pages(client: Client, path: str, *, headers: dict[str, str] = ADMIN,
               limit: int = 50, max_pages: int = 100,
               **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a list endpoint, following ``next_cursor`` until it is null."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    for _ in range(max_pages):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"}, body
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError(f"{path} still had a next_cursor after {max_pages} pages")


def all_orders(client: Client, headers: dict[str, str] = ADMIN,
               **params: Any) -> list[dict[str, Any]]:
    return [o for page in walk_pages(client, "/v1/orders", headers=headers, limit=500, **params)
            for o in page]


def stock(client: Client, headers: dict[str, str] = ADMIN) -> dict[tuple[str, str], dict[str, int]]:
    """Every stock position of the seeded catalog, by (location_id, sku)."""
    positions: dict[tuple[str, str], dict[str, int]] = {}
    for sku, _ in CATALOG:
        response = client.get("/v1/inventory", params={"sku": sku}, headers=headers)
        assert response.status_code == 200, response.text
        for p in response.json()["positions"]:
            positions[(p["location_id"], p["sku"])] = {
                k: p[k] for k in ("on_hand", "reserved", "safety_stock", "available")}
    return positions


def position(client: Client, location_id: str, sku: str) -> dict[str, Any] | None:
    response = client.get("/v1/inventory", params={"sku": sku}, headers=ADMIN)
    assert response.status_code == 200, response.text
    found = [p for p in response.json()["positions"] if p["location_id"] == location_id]
    return found[0] if found else None


def create_order(client: Client, channel_order_id: str, headers: dict[str, str] = ADMIN,
                 **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/orders", json=order_body(channel_order_id, **overrides),
                           headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def escalation_states(client: Client, order_id: str) -> list[tuple[str, str]]:
    """(kind, status) of every escalation an order has had, oldest first."""
    items = client.get("/v1/escalations", params={"order_id": order_id},
                       headers=OPS).json()["items"]
    return [(e["kind"], e["status"]) for e in items]


def event_types(order: dict[str, Any]) -> list[str]:
    return [e["type"] for e in order["timeline"]]


def use_pipelines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str,
                  name: str = "pipelines.yaml") -> None:
    """Run on the packaged pipelines with ``old`` replaced by ``new`` (an operator's edit);
    ``old`` must be there, so a stale edit fails instead of testing the defaults."""
    from lifecycle import pipelines

    text = pipelines.DEFAULT_FILE.read_text()
    assert old in text, f"the packaged pipelines no longer hold {old!r}"
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    monkeypatch.setenv("DOM_PIPELINES_FILE", str(path))
