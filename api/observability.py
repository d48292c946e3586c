"""Operations' view of a running server: Prometheus metrics and structured request logs.

``/metrics`` serves request counts and latencies per route, sourcing time and gap, stock
conflicts and retries, and two gauges read from the database at scrape time (open escalations,
outbox lag behind the webhook dispatcher). With several worker processes, set
``PROMETHEUS_MULTIPROC_DIR`` (``dom serve --workers N`` does) and every worker's samples are
aggregated. Each request gets an ``X-Request-ID`` (the caller's, or a new one) that every log
line of that request carries, with the order id when the path names one.
"""

from __future__ import annotations

import hmac
import os
import re
import time
import uuid
from collections.abc import MutableMapping
from typing import Any

import structlog
from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import func, select

from api.auth import ASGIApp, Receive, Scope, Send, bearer_token, secret_digest
from api.errors import problem
from dom.bootstrap import Container
from lifecycle import observe
from storage.tables import escalations, events, outbox_cursors, webhook_subscriptions

log = structlog.get_logger("dom.http")

REQUESTS = Counter("dom_http_requests_total", "HTTP requests by route and status",
                   ["method", "route", "status"])
LATENCY = Histogram("dom_http_request_seconds", "HTTP request latency by route",
                    ["method", "route"])
SOURCING = Histogram("dom_sourcing_seconds",
                     "Time to source (build and solve; a joint run's solves together)", ["solver"],
                     buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 60))
GAP = Histogram("dom_sourcing_gap", "Optimality gap the solver proved",
                buckets=(0.0, 1e-4, 1e-3, 1e-2, 0.05, 0.1, 1.0))
CONFLICTS = Counter("dom_reservation_conflicts_total",
                    "Commitments that found their stock taken and re-solved")
RETRIES = Counter("dom_transaction_retries_total",
                  "Transactions run again after contention, by reason", ["reason"])

ORDER_IN_PATH = re.compile(r"/v1/(?:orders|track)/(ord_[0-9a-z]+)")
# A caller's X-Request-ID is echoed and logged only if it is a plain token (a UUID, a ULID,
# a trace id); anything else gets a fresh id, so headers and logs carry nothing it injected.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
# Metric labels come from a fixed set: an arbitrary method must not mint a new series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


ORDER_NOTE = "order_id"  # request.state key an endpoint sets when its path names no order


def note_order(request: Request, order_id: str) -> None:
    """Name the order a request acted on whose path and Location do not (an allocation, a
    fulfillment's event), so its log line carries the order id like the others."""
    setattr(request.state, ORDER_NOTE, order_id)


def _order_in_location(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name.lower() == b"location":
            found = ORDER_IN_PATH.search(value.decode("latin-1"))
            return found.group(1) if found else None
    return None


def request_id_of(headers: dict[bytes, bytes]) -> str:
    offered = headers.get(b"x-request-id", b"").decode("latin-1")
    return offered if SAFE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


def _on_solve(solver: dict[str, Any]) -> None:
    """One sourcing decision: an order's solve, or a joint run's solves together (``solves_ms``:
    a run that restored or refused orders solved several times, and its last solve alone
    would under-report what the run cost). The gap is the final answer's."""
    ms = solver.get("solves_ms", solver.get("ms"))
    SOURCING.labels(str(solver.get("name"))).observe(float(ms or 0) / 1000)
    if solver.get("gap") is not None:
        GAP.observe(float(solver["gap"]))


def _on_retry(reason: str) -> None:
    RETRIES.labels(reason).inc()


def install_hooks() -> None:
    if _on_solve not in observe.solve_hooks:
        observe.solve_hooks.append(_on_solve)
        observe.conflict_hooks.append(CONFLICTS.inc)
        observe.retry_hooks.append(_on_retry)


class RequestObservation:
    """Times every HTTP request, counts it by route template, logs it with its request id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = request_id_of(headers)
        path: str = scope.get("path", "")
        found = ORDER_IN_PATH.search(path)
        order_id = found.group(1) if found else None
        structlog.contextvars.bind_contextvars(
            request_id=request_id, **({"order_id": order_id} if order_id else {}))
        state: dict[str, Any] = scope.setdefault("state", {})
        status = 500
        started = time.perf_counter()

        async def sending(message: MutableMapping[str, Any]) -> None:
            nonlocal status, order_id
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", []).append(
                    (b"x-request-id", request_id.encode("latin-1")))
                if order_id is None:  # a new order's answer names it in Location
                    order_id = _order_in_location(message["headers"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope.get("method", "") if scope.get("method") in METHODS else "OTHER"
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            noted = order_id or state.get(ORDER_NOTE)
            log.info("request", method=method, route=route, status=status,
                     ms=round(elapsed * 1000, 2),
                     **({"order_id": noted} if noted and not found else {}))
            structlog.contextvars.clear_contextvars()


router = APIRouter(tags=["health"])


def _gauges(container: Container) -> str:
    with container.engine.connect() as connection:
        open_escalations = connection.execute(
            select(func.count()).select_from(escalations).where(escalations.c.status == "open")
        ).scalar_one()
        newest = connection.execute(select(func.max(events.c.position))).scalar_one() or 0
        read: dict[str, int | None] = {"webhooks": None}  # listed before its first pass
        read.update((name, position) for name, position in connection.execute(
            select(outbox_cursors.c.name, outbox_cursors.c.position)))
        if connection.execute(select(webhook_subscriptions.c.id).where(
                webhook_subscriptions.c.active.is_(True)).limit(1)).first() is None:
            read["webhooks"] = None  # no subscriber: nothing is waiting to be sent
    lags = "".join(f'dom_outbox_lag_events{{reader="{reader}"}} '
                   f"{max(0, newest - position) if position is not None else 0}\n"
                   for reader, position in sorted(read.items()))
    return ("# HELP dom_open_escalations Escalations waiting for operations\n"
            "# TYPE dom_open_escalations gauge\n"
            f"dom_open_escalations {open_escalations}\n"
            "# HELP dom_outbox_lag_events Events not yet read, per outbox reader (webhooks, "
            "the NATS relay)\n"
            "# TYPE dom_outbox_lag_events gauge\n" + lags)


def _scrape_allowed(request: Request, token: str) -> bool:
    """No token configured, or the request offers it as a bearer token (constant time)."""
    if not token:
        return True
    offered = bearer_token(request.headers.get("authorization", ""))
    return offered is not None and hmac.compare_digest(secret_digest(offered),
                                                       secret_digest(token.strip()))


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus exposition: open by default (expose it only on the operations network), or
    behind ``DOM_METRICS_TOKEN``; the API's keys are not asked for (a scraper is no client)."""
    container: Container = request.app.state.container
    if not _scrape_allowed(request, container.settings.metrics_token):
        return problem(401, "metrics need the token DOM_METRICS_TOKEN names: send "
                            "Authorization: Bearer <token>", headers={"WWW-Authenticate": "Bearer"})
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    text = body.decode() + _gauges(container)
    return Response(text, media_type=CONTENT_TYPE_LATEST)
