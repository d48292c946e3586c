"""Crash safety (TPC-C 3.5.4 in shape): SIGKILL the server mid-load, restart it, and check that
nothing acknowledged was lost, nothing refused was kept, and the ledger and outbox balance.

A loader (a few threads, each with its own connection) sends orders that reserve stock, through
both intake paths (``POST /v1/allocate`` with ``commit: true``, one transaction, and
``POST /v1/orders`` with an authorized payment, intake then sourcing), plus requests that must be
refused and leave nothing behind (more than the stock can fill under ``backorder: reject``, an
unknown SKU). Every request ends in one of three books:

- acknowledged: a 2xx answer; the order must be there after the crash, as answered;
- refused: a 4xx answer; no trace of its channel order may exist;
- unknown: in flight when the process group died (no answer, or a 5xx); either the order is
  there and whole (lines, events, reservations that match its fulfillments), or it is absent.

Then the ledger must balance (reserved = sum of active reservations = units of the fulfillments
that hold stock), each present order's events must be in the outbox with seq 1..n, and the
restarted server must take a new order. A webhook subscriber, subscribed before the load, must
receive every event in the outbox after the restart (the dead server's dispatcher leases are
ended at startup, so that happens at once). The load is bounded in requests and time, and
nothing asserts on timing, so a slow machine makes the test slower, not flaky.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select, update

from storage import SqlUnitOfWork, make_engine
from storage.repositories.idempotency import ABANDONED_AFTER
from storage.tables import (
    events,
    fulfillments,
    idempotency_keys,
    inventory_positions,
    order_lines,
    orders,
    reservations,
)
from tests.e2e.live_server import free_port, live_server

pytestmark = pytest.mark.slow

ADMIN = {"Authorization": "Bearer admin-key"}
CHANNEL = {"Authorization": "Bearer channel-key"}
LOCATIONS = (("WH-A", 40.8, -74.0, 9.0), ("WH-B", 41.9, -87.6, 5.0), ("WH-C", 34.0, -118.2, 7.0))
SKUS = ("SKU-1", "SKU-2", "SKU-3")
ON_HAND = 60  # per location and SKU: enough that the crash, not the stock, ends the load
LOADERS = 6
MAX_REQUESTS = 400  # bounds the load whatever the machine's speed
KILL_AFTER_ACKS = 40
KILL_AT_LATEST_S = 25.0
REQUEST_TIMEOUT_S = 60.0
# fulfillment states that hold reserved units (nothing ships in this test)
HOLDING = {"allocated", "released", "accepted", "picked", "packed", "ready_for_pickup"}
SERVER_ENV = {"DOM_WEBHOOK_ALLOW_PRIVATE": "1"}  # the subscriber below listens on loopback


class Subscriber(ThreadingHTTPServer):
    """A webhook receiver that acknowledges everything and remembers each ``webhook-id``."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", free_port()), _Acknowledge)
        self.received: set[str] = set()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Acknowledge(BaseHTTPRequestHandler):
    server: Subscriber

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        with self.server.lock:
            self.server.received.add(self.headers["webhook-id"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: one line per delivery would bury the test's output."""


@contextmanager
def subscriber() -> Iterator[Subscriber]:
    receiver = Subscriber()
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.shutdown()
        receiver.server_close()


@dataclass(frozen=True)
class Sent:
    """One request of the load: what was asked, by which path, and what it should do."""

    n: int
    path: str
    body: dict[str, Any]
    key: str | None
    must_refuse: bool

    @property
    def channel_order_id(self) -> str:
        order = self.body.get("order", self.body)
        return str(order["channel_order_id"])

    @property
    def lines(self) -> dict[str, int]:
        order = self.body.get("order", self.body)
        return {line["line_id"]: line["qty"] for line in order["lines"]}


@dataclass
class Books:
    """What the loader knows for sure, kept under a lock (the loader threads share it)."""

    acked: dict[str, tuple[Sent, dict[str, Any]]] = field(default_factory=dict)
    refused: dict[str, tuple[Sent, int]] = field(default_factory=dict)
    unknown: dict[str, Sent] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _request(n: int) -> Sent:
    """The n-th request of the load, the same on every run (seeded by n)."""
    rng = random.Random(n)
    chosen = rng.sample(SKUS, rng.choice((1, 2)))
    lines = [{"line_id": str(i + 1), "sku": sku, "qty": rng.choice((1, 2)), "unit_price": 50.0}
             for i, sku in enumerate(chosen)]
    must_refuse = False
    if n % 10 == 3:  # more than all the stock: backorder "reject" rolls the order back
        lines[0]["qty"] = 10 * ON_HAND * len(LOCATIONS)
        must_refuse = True
    elif n % 10 == 7:  # an unknown SKU: refused before anything is written
        lines[0]["sku"] = "NO-SUCH-SKU"
        must_refuse = True
    order = {"channel": "web", "channel_order_id": f"CRASH-{n}", "customer": {"id": f"C-{n}"},
             "ship_to": {"lat": 39.0 + rng.random(), "lon": -90.0 + 10 * rng.random()},
             "payment": {"status": "authorized"}, "lines": lines}
    key = f"crash-key-{n}" if n % 4 == 1 else None
    if n % 2 == 0 or n % 10 == 3:
        return Sent(n, "/v1/allocate", {"commit": True, "order": order}, key, must_refuse)
    return Sent(n, "/v1/orders", order, key, must_refuse)


def _seed(base: str, hook: str) -> None:
    with httpx.Client(base_url=base, headers=ADMIN, timeout=REQUEST_TIMEOUT_S) as http:
        http.post("/v1/webhooks", json={"url": hook, "events": ["*"],
                                        "secret": "crash-test-secret-0123456789abcdef"}
                  ).raise_for_status()
        for location_id, lat, lon, cost in LOCATIONS:
            http.put(f"/v1/locations/{location_id}", json={
                "name": location_id, "type": "warehouse", "lat": lat, "lon": lon,
                "capabilities": ["ship"], "shipment_cost": cost}).raise_for_status()
        for sku in SKUS:
            http.put(f"/v1/products/{sku}", json={"name": sku}).raise_for_status()
            for location_id, *_ in LOCATIONS:
                http.put(f"/v1/inventory/{location_id}/{sku}",
                         json={"on_hand": ON_HAND}).raise_for_status()
        http.put("/v1/policy", json={"backorder": "reject"}).raise_for_status()


def _load_until_killed(base: str, kill: threading.Event, books: Books) -> None:
    """Run the loader threads; the caller sets ``kill`` once it has killed the server."""
    counter = iter(range(MAX_REQUESTS))
    counter_lock = threading.Lock()

    def loader() -> None:
        with httpx.Client(base_url=base, headers=CHANNEL, timeout=REQUEST_TIMEOUT_S) as http:
            while not kill.is_set():
                with counter_lock:
                    n = next(counter, None)
                if n is None:
                    return
                sent = _request(n)
                headers = {"Idempotency-Key": sent.key} if sent.key else {}
                try:
                    answer = http.post(sent.path, json=sent.body, headers=headers)
                except httpx.TransportError:
                    with books.lock:
                        books.unknown[sent.channel_order_id] = sent
                    return  # the server is gone; this loader's work is done
                with books.lock:
                    if answer.is_success:
                        books.acked[sent.channel_order_id] = (sent, answer.json())
                    elif 400 <= answer.status_code < 500:
                        books.refused[sent.channel_order_id] = (sent, answer.status_code)
                    else:  # a 5xx says nothing about whether the work committed
                        books.unknown[sent.channel_order_id] = sent

    with ThreadPoolExecutor(max_workers=LOADERS) as pool:
        futures = [pool.submit(loader) for _ in range(LOADERS)]
        for future in futures:
            future.result(timeout=KILL_AT_LATEST_S + 3 * REQUEST_TIMEOUT_S)


@dataclass
class Stored:
    """An order as the database holds it, with everything that hangs off it."""

    row: Any
    lines: dict[str, int] = field(default_factory=dict)
    fulfillments: list[Any] = field(default_factory=list)
    reserved: Counter[str] = field(default_factory=Counter)  # active units by line id
    events: list[Any] = field(default_factory=list)


def _present_orders(engine: Engine) -> dict[str, Stored]:
    """Every order in the database by channel order id; no reservation or event may belong to
    an order that is not there (the remains of a rolled-back or half-written request)."""
    with engine.connect() as connection:
        found = {row.id: Stored(row) for row in connection.execute(select(orders))}
        for line in connection.execute(select(order_lines)):
            found[line.order_id].lines[line.line_id] = line.qty
        for f in connection.execute(select(fulfillments)):
            found[f.order_id].fulfillments.append(f)
        for r in connection.execute(select(reservations).where(reservations.c.status == "active")):
            assert r.order_id in found, f"reservation {r.id} of a missing order {r.order_id}"
            found[r.order_id].reserved[r.line_id] += r.qty
        for e in connection.execute(select(events).order_by(events.c.position)):
            assert e.order_id in found, f"event {e.id} of a missing order {e.order_id}"
            found[e.order_id].events.append(e)
    return {stored.row.channel_order_id: stored for stored in found.values()}


def _check_whole(sent: Sent, order: Stored) -> None:
    """An order that exists is whole: its lines as sent, its reservations exactly its
    holding fulfillments, and its events in the outbox with seq 1..n."""
    row = order.row
    where = f"{sent.channel_order_id} ({row.id}, {row.status})"
    assert order.lines == sent.lines, where
    held: Counter[str] = Counter()
    for f in order.fulfillments:
        if f.location_id is not None and f.status in HOLDING:
            for line in f.lines:
                held[line["line_id"]] += line["qty"]
    assert order.reserved == held, where
    for line_id, qty in order.reserved.items():
        assert qty <= sent.lines[line_id], where
    seqs = [e.seq for e in order.events]
    assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"{where}: seqs {seqs}"
    assert row.event_seq == len(seqs), where
    types = {e.type for e in order.events}
    assert "order.received" in types, f"{where}: {types}"
    if row.status == "allocated":
        assert "order.allocated" in types, f"{where}: {types}"
        assert held == Counter(sent.lines), where


def _check_ledger(engine: Engine) -> None:
    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.ledger.invariant_violations() == []
    with engine.connect() as connection:
        holding: Counter[tuple[str, str]] = Counter()
        for f in connection.execute(select(fulfillments)
                                    .where(fulfillments.c.status.in_(HOLDING),
                                           fulfillments.c.location_id.is_not(None))):
            for line in f.lines:
                holding[(f.location_id, line["sku"])] += line["qty"]
        for p in connection.execute(select(inventory_positions)):
            where = f"{p.location_id}/{p.sku}"
            assert p.on_hand == ON_HAND, where  # nothing shipped, nothing adjusted
            assert p.reserved == holding[(p.location_id, p.sku)], where
            assert 0 <= p.reserved <= p.on_hand, where


def _check_after_restart(engine: Engine, books: Books) -> None:
    present = _present_orders(engine)
    for channel_order_id, (sent, answer) in books.acked.items():
        assert not sent.must_refuse, f"{channel_order_id} was accepted: {answer}"
        assert channel_order_id in present, f"acknowledged order {channel_order_id} was lost"
        order = present[channel_order_id]
        assert order.row.id == answer["order_id"]
        _check_whole(sent, order)
        if sent.path == "/v1/orders":
            assert order.row.status == answer["status"], channel_order_id
        elif answer["status"] == "allocated":
            assert order.row.status == "allocated", channel_order_id
    for channel_order_id, (_, code) in books.refused.items():
        assert channel_order_id not in present, (
            f"refused ({code}) order {channel_order_id} was written anyway")
    for channel_order_id, sent in books.unknown.items():
        if channel_order_id in present:
            assert not sent.must_refuse, f"{channel_order_id} should never have been written"
            _check_whole(sent, present[channel_order_id])
    loaded = {f"CRASH-{n}" for n in range(MAX_REQUESTS)}
    booked = set(books.acked) | set(books.refused) | set(books.unknown)
    strays = (set(present) & loaded) - booked
    assert not strays, f"orders nobody sent or never sent: {sorted(strays)}"
    _check_ledger(engine)


def _wait_for_startup_recovery(engine: Engine) -> None:
    """An order the kill caught between intake and sourcing (``POST /v1/orders`` commits
    them apart) is sourced by the restarted server's startup pass, without any request."""
    deadline = time.monotonic() + 60
    while True:
        stranded = [channel_order_id for channel_order_id, order in _present_orders(engine).items()
                    if order.row.status == "received" and not order.fulfillments]
        if not stranded:
            return
        assert time.monotonic() < deadline, f"never sourced after the restart: {stranded}"
        time.sleep(0.2)


def _retry_the_unknown(base: str, engine: Engine, books: Books) -> None:
    """Send every request whose fate the loader did not learn again, as a client would (same
    body, same Idempotency-Key), and book the definitive answer each now gets.

    The dead server left the keys of its in-flight requests claimed; they are aged past
    ``ABANDONED_AFTER`` here, as the time a client would wait out with ``Retry-After``."""
    with engine.begin() as connection:
        connection.execute(update(idempotency_keys)
                           .where(idempotency_keys.c.state == "in_progress")
                           .values(created_at=datetime.now(UTC) - 2 * ABANDONED_AFTER))
    with httpx.Client(base_url=base, headers=CHANNEL, timeout=REQUEST_TIMEOUT_S) as http:
        for channel_order_id, sent in sorted(books.unknown.items()):
            headers = {"Idempotency-Key": sent.key} if sent.key else {}
            answer = http.post(sent.path, json=sent.body, headers=headers)
            if sent.must_refuse:
                # refused for what it asks, not "still being processed" (that has Retry-After)
                assert 400 <= answer.status_code < 500, answer.text
                assert "retry-after" not in answer.headers, answer.text
                books.refused[channel_order_id] = (sent, answer.status_code)
            else:
                assert answer.is_success, f"{channel_order_id}: {answer.text}"
                books.acked[channel_order_id] = (sent, answer.json())
    books.unknown.clear()


def _wait_for_every_event_delivered(engine: Engine, hook: Subscriber) -> None:
    """The outbox is complete downstream too: every stored event reaches the subscriber."""
    deadline = time.monotonic() + 90
    while True:
        with engine.connect() as connection:
            stored = set(connection.execute(select(events.c.id)).scalars())
        with hook.lock:
            missing = stored - hook.received
        if not missing:
            return
        assert time.monotonic() < deadline, f"{len(missing)} of {len(stored)} never delivered"
        time.sleep(0.2)


def _place_one_more(base: str) -> None:
    body = {"commit": True, "order": {
        "channel": "web", "channel_order_id": "AFTER-CRASH", "customer": {"id": "C-after"},
        "ship_to": {"lat": 40.7, "lon": -74.0},
        "lines": [{"line_id": "1", "sku": "SKU-1", "qty": 1, "unit_price": 50.0}]}}
    with httpx.Client(base_url=base, headers=CHANNEL, timeout=REQUEST_TIMEOUT_S) as http:
        answer = http.post("/v1/allocate", json=body)
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "allocated"
        order = http.get(f"/v1/orders/{answer.json()['order_id']}")
        assert order.status_code == 200 and order.json()["status"] == "allocated"


def _check_through_the_api(base: str, books: Books) -> None:
    with httpx.Client(base_url=base, headers=CHANNEL, timeout=REQUEST_TIMEOUT_S) as http:
        for sent, answer in books.acked.values():
            order = http.get(f"/v1/orders/{answer['order_id']}")
            assert order.status_code == 200, order.text
            assert {line["line_id"]: line["qty"] for line in order.json()["lines"]} == sent.lines


def _crash_under_load(database_url: str, folder: Path, hook: Subscriber, books: Books) -> None:
    """Start a server (two workers), load it, and SIGKILL its process group mid-load."""
    kill = threading.Event()
    with live_server(database_url, folder, workers=2, env=SERVER_ENV) as server:
        _seed(server.base_url, hook.url)
        load = threading.Thread(target=_load_until_killed, args=(server.base_url, kill, books))
        load.start()
        try:
            deadline = time.monotonic() + KILL_AT_LATEST_S
            while time.monotonic() < deadline and load.is_alive():
                with books.lock:
                    if len(books.acked) >= KILL_AFTER_ACKS:
                        break
                time.sleep(0.02)
            server.kill_hard()
        finally:
            kill.set()
            load.join(timeout=3 * REQUEST_TIMEOUT_S)
        assert not load.is_alive(), "the loader did not stop"
    assert len(books.acked) >= 5, f"too little load before the kill: {len(books.acked)} acked"
    assert books.refused, "no refused request to check"


def test_a_sigkill_mid_load_loses_no_acknowledged_order_and_keeps_the_ledger_balanced(
        database_url: str, tmp_path: Path) -> None:
    books = Books()
    engine = make_engine(database_url)
    try:
        with subscriber() as hook:  # the same subscriber, reachable before and after the crash
            _crash_under_load(database_url, tmp_path, hook, books)
            with live_server(database_url, tmp_path, workers=2, env=SERVER_ENV) as server:
                _wait_for_startup_recovery(engine)
                _check_after_restart(engine, books)
                _retry_the_unknown(server.base_url, engine, books)
                _check_after_restart(engine, books)
                _check_through_the_api(server.base_url, books)
                _place_one_more(server.base_url)
                _check_ledger(engine)
                _wait_for_every_event_delivered(engine, hook)
    finally:
        engine.dispose()
