"""Operations' view: Prometheus metrics per route, sourcing and conflicts, request ids."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import CHANNEL, OPS, order_body

OPS_KEY = OPS["Authorization"].removeprefix("Bearer ")


def _sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in head for k, v in labels.items()) or not wanted:
            total += float(value)
    return total


def test_requests_are_counted_by_route_template_and_sourcing_is_measured(
        seeded: TestClient) -> None:
    before = seeded.get("/metrics").text
    placed = seeded.post("/v1/orders", json=order_body("W-METRICS"), headers=CHANNEL)
    assert placed.status_code == 201
    seeded.get(f"/v1/orders/{placed.json()['order_id']}", headers=CHANNEL)
    after = seeded.get("/metrics")
    assert after.status_code == 200
    text = after.text
    route = {"method": "GET", "route": "/v1/orders/{order_id}", "status": "200"}
    assert _sample(text, "dom_http_requests_total", **route) == \
        _sample(before, "dom_http_requests_total", **route) + 1
    assert _sample(text, "dom_sourcing_seconds_count") > _sample(before,
                                                                 "dom_sourcing_seconds_count")
    assert "dom_open_escalations 0" in text
    assert "dom_outbox_lag_events" in text


def test_every_answer_carries_a_request_id_and_keeps_the_callers(seeded: TestClient) -> None:
    mine = seeded.get("/healthz", headers={"X-Request-ID": "trace-123"})
    assert mine.headers["x-request-id"] == "trace-123"
    fresh = seeded.get("/v1/orders")
    assert fresh.status_code == 401 and len(fresh.headers["x-request-id"]) == 32


def test_outbox_lag_is_reported_per_reader(seeded: TestClient) -> None:
    from sqlalchemy import func, insert, select

    from storage.tables import events, outbox_cursors

    container = seeded.app.state.container  # type: ignore[attr-defined]
    with container.engine.begin() as connection:
        newest = connection.execute(select(func.max(events.c.position))).scalar_one() or 0
        connection.execute(insert(outbox_cursors).values(name="nats", position=newest, gaps={}))
    placed = seeded.post("/v1/orders", json=order_body("W-LAG"), headers=CHANNEL)
    assert placed.status_code == 201
    with container.engine.connect() as connection:
        written = connection.execute(select(func.max(events.c.position))).scalar_one() - newest
    text = seeded.get("/metrics").text
    assert written > 0
    assert _sample(text, "dom_outbox_lag_events", reader="nats") == written
    assert 'dom_outbox_lag_events{reader="webhooks"}' in text


def test_a_transaction_run_again_after_contention_is_counted_by_reason(
        seeded: TestClient) -> None:
    from models import ConcurrentUpdate
    from storage.retry import with_retries

    before = _sample(seeded.get("/metrics").text, "dom_transaction_retries_total",
                     reason="concurrent_update")
    failures = [ConcurrentUpdate("order changed"), ConcurrentUpdate("order changed")]

    def work() -> str:
        if failures:
            raise failures.pop()
        return "done"

    assert with_retries(work) == "done"
    after = _sample(seeded.get("/metrics").text, "dom_transaction_retries_total",
                    reason="concurrent_update")
    assert after == before + 2


def test_the_log_line_of_a_request_names_the_order_it_created_or_touched(
        seeded: TestClient) -> None:
    from structlog.testing import capture_logs

    with capture_logs() as logs:
        placed = seeded.post("/v1/orders", json=order_body("W-LOGS"), headers=CHANNEL).json()
        committed = seeded.post("/v1/allocate", json={"order": order_body("W-LOGS-2"),
                                                      "commit": True}, headers=CHANNEL).json()
        quoted = seeded.post("/v1/allocate", json={"order": order_body("W-LOGS-3"),
                                                   "commit": False}, headers=CHANNEL)
        shipped = seeded.post(f"/v1/fulfillments/{placed['fulfillments'][0]['fulfillment_id']}"
                              "/events", json={"type": "shipped"}, headers=OPS)
    assert quoted.status_code == 200 and shipped.status_code == 200
    named = [(entry["route"], entry.get("order_id")) for entry in logs
             if entry["event"] == "request"]
    assert named == [("/v1/orders", placed["order_id"]),
                     ("/v1/allocate", committed["order_id"]),
                     ("/v1/allocate", None),
                     ("/v1/fulfillments/{fulfillment_id}/events", placed["order_id"])]


def test_metrics_behind_a_token_answer_only_the_scraper_that_sends_it(
        seeded: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    assert seeded.get("/metrics").status_code == 200  # unset: open, as before
    monkeypatch.setattr(seeded.app.state.container.settings, "metrics_token", "scrape-s3cret")
    refused = seeded.get("/metrics")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "DOM_METRICS_TOKEN" in refused.json()["detail"]
    for wrong in ("Bearer scrape-s3cre", "Basic scrape-s3cret", f"Bearer {OPS_KEY}"):
        assert seeded.get("/metrics", headers={"Authorization": wrong}).status_code == 401
    scraped = seeded.get("/metrics", headers={"Authorization": "Bearer scrape-s3cret"})
    assert scraped.status_code == 200 and "dom_open_escalations" in scraped.text


def test_a_joint_run_is_timed_by_all_its_solves_not_its_last() -> None:
    from api.observability import SOURCING, _on_solve

    def total() -> float:
        return sum(s.value for metric in SOURCING.collect() for s in metric.samples
                   if s.name == "dom_sourcing_seconds_sum" and s.labels["solver"] == "probe")

    before = total()
    _on_solve({"name": "probe", "ms": 5.0, "solves": 3, "solves_ms": 50.0})
    assert total() == pytest.approx(before + 0.05)
    _on_solve({"name": "probe", "ms": 7.0})  # one order's solve
    assert total() == pytest.approx(before + 0.057)
