"""Webhook delivery end to end: the real app writes events, the dispatcher posts them to a real
HTTP receiver on 127.0.0.1, on SQLite and on PostgreSQL.

The dispatcher runs by hand (``drain``) with a clock the test moves, so retries 5 and 10 seconds
later need no sleeping.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dom.bootstrap import Container
from lifecycle.webhook_dispatch import HttpSender, WebhookDispatcher
from models import Event
from storage.tables import events, webhook_deliveries
from tests.api.conftest import ADMIN, CHANNEL
from tests.conftest import make_container
from tests.integration.conftest import place

SECRET = "test-secret-0123456789abcdef"


# --- a real receiver --------------------------------------------------------------------------


@dataclass
class Receipt:
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    url: str
    receipts: list[Receipt] = field(default_factory=list)
    fails: Callable[[dict[str, Any]], bool] = lambda event: False
    delay_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledged(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r.event for r in self.receipts if r.status == 200]


@contextmanager
def serve_receiver() -> Iterator[Receiver]:
    """An HTTP server on a free loopback port that records every POST and answers 200 (or 500
    when ``fails`` says so)."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            time.sleep(state.delay_s)
            status = 500 if state.fails(json.loads(body)) else 200
            with state.lock:
                state.receipts.append(Receipt({k.lower(): v for k, v in self.headers.items()},
                                              body, status))
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve_receiver() as state:
        yield state


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a subscriber does: recompute the signature from the headers and the raw body."""
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest())
    scheme, _, signature = headers["webhook-signature"].partition(",")
    return scheme == "v1" and hmac.compare_digest(signature.encode(), expected)


# --- the app, a clock and dispatchers -------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    built = make_container(database_url, webhook_poll_interval_s=0, webhook_allow_private=True)
    yield built
    built.close()


@pytest.fixture
def dispatchers(container: Container) -> Iterator[Callable[..., WebhookDispatcher]]:
    senders: list[HttpSender] = []

    def make(clock: Callable[[], datetime], owner: str = "test") -> WebhookDispatcher:
        senders.append(HttpSender(timeout_s=3.0))
        return WebhookDispatcher(container.uow_factory, reader=container.reader,
                                 sender=senders[-1], allow_private=True, clock=clock,
                                 owner=owner)

    yield make
    for sender in senders:
        sender.close()


def drain(dispatcher: WebhookDispatcher, rounds: int = 30) -> None:
    """Run passes until one finds nothing to do (bounded)."""
    for _ in range(rounds):
        if not dispatcher.run_once().busy:
            return
    raise AssertionError(f"the dispatcher was still busy after {rounds} passes")


def subscribe(client: TestClient, url: str, patterns: list[str] | None = None) -> str:
    answer = client.post("/v1/webhooks", headers=ADMIN,
                         json={"url": url, "events": patterns or ["*"], "secret": SECRET})
    assert answer.status_code == 201, answer.text
    webhook_id: str = answer.json()["webhook_id"]
    return webhook_id


def stored(container: Container, order_id: str) -> list[tuple[int, str, str]]:
    with container.engine.connect() as connection:
        rows = connection.execute(select(events.c.seq, events.c.id, events.c.type)
                                  .where(events.c.order_id == order_id)
                                  .order_by(events.c.seq)).all()
    return [(r.seq, r.id, r.type) for r in rows]


def seqs(received: list[dict[str, Any]], order_id: str) -> list[int]:
    return [e["seq"] for e in received if e["order_id"] == order_id]


# --- the tests --------------------------------------------------------------------------------


def test_each_event_arrives_signed_so_the_subscriber_can_verify_it(
        client: TestClient, container: Container, receiver: Receiver,
        dispatchers: Callable[..., WebhookDispatcher]) -> None:
    subscribe(client, receiver.url, ["order.*", "fulfillment.*"])
    order_id = place(client, "W-SIGNED")
    clock = Clock()
    drain(dispatchers(clock))

    wanted = [(seq, id_) for seq, id_, type_ in stored(container, order_id)
              if type_.startswith(("order.", "fulfillment."))]
    assert [(r.event["seq"], r.headers["webhook-id"]) for r in receiver.receipts] == wanted
    for receipt in receiver.receipts:
        assert verify(SECRET, receipt.headers, receipt.body)
        assert not verify(SECRET, receipt.headers, receipt.body.replace(b'"seq":', b'"seq":9'))
        assert not verify("another-secret-000000", receipt.headers, receipt.body)
        assert receipt.headers["webhook-timestamp"] == str(int(clock.now.timestamp()))
        assert receipt.headers["content-type"] == "application/json"
        assert {"id", "type", "at", "order_id", "seq", "data", "message"} <= set(receipt.event)
        assert receipt.event["id"] == receipt.headers["webhook-id"]


def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_try(
        client: TestClient, container: Container, receiver: Receiver,
        dispatchers: Callable[..., WebhookDispatcher]) -> None:
    subscribe(client, receiver.url, ["order.received"])
    failures_left = [2]

    def fails(event: dict[str, Any]) -> bool:
        failures_left[0] -= 1
        return failures_left[0] >= 0

    receiver.fails = fails
    order_id = place(client, "W-RETRY")
    clock = Clock()
    dispatcher = dispatchers(clock)

    drain(dispatcher)
    assert [r.status for r in receiver.receipts] == [500]
    clock.advance(4)
    drain(dispatcher)
    assert len(receiver.receipts) == 1, "retried before its 5 seconds"
    clock.advance(1)
    drain(dispatcher)
    assert [r.status for r in receiver.receipts] == [500, 500]
    clock.advance(10)
    drain(dispatcher)
    assert [r.status for r in receiver.receipts] == [500, 500, 200]
    assert len({r.headers["webhook-id"] for r in receiver.receipts}) == 1
    assert receiver.acknowledged()[0]["order_id"] == order_id

    with container.engine.connect() as connection:
        row = connection.execute(select(webhook_deliveries)).mappings().one()
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("delivered", 3, 200)
    clock.advance(3600)
    drain(dispatcher)
    assert len(receiver.receipts) == 3, "an acknowledged event was sent again"


def test_a_failing_order_holds_back_its_own_later_events_but_not_other_orders(
        client: TestClient, container: Container, receiver: Receiver,
        dispatchers: Callable[..., WebhookDispatcher]) -> None:
    subscribe(client, receiver.url)
    held = place(client, "W-STUCK")
    flowing = place(client, "W-FLOWING")
    stuck = [True]
    receiver.fails = lambda event: stuck[0] and event["order_id"] == held
    clock = Clock()
    dispatcher = dispatchers(clock)

    drain(dispatcher)
    attempted = [r.event for r in receiver.receipts]
    assert seqs(attempted, held) == [1], "a later event went out before the first one"
    assert seqs(receiver.acknowledged(), flowing) == [s for s, _, _ in stored(container,
                                                                              flowing)]

    clock.advance(5)
    drain(dispatcher)
    assert seqs([r.event for r in receiver.receipts], held) == [1, 1]

    stuck[0] = False
    clock.advance(10)
    drain(dispatcher)
    assert seqs(receiver.acknowledged(), held) == [s for s, _, _ in stored(container,
                                                                              held)]


def test_events_from_before_the_subscription_are_not_sent(
        client: TestClient, container: Container, receiver: Receiver,
        dispatchers: Callable[..., WebhookDispatcher]) -> None:
    earlier = place(client, "W-EARLIER")
    subscribe(client, receiver.url)
    later = place(client, "W-LATER")
    drain(dispatchers(Clock()))

    assert stored(container, earlier)
    assert {e["order_id"] for e in receiver.acknowledged()} == {later}
    assert seqs(receiver.acknowledged(), later) == [s for s, _, _ in stored(container, later)]


def test_a_deleted_subscription_receives_nothing_more(
        client: TestClient, container: Container, receiver: Receiver,
        dispatchers: Callable[..., WebhookDispatcher]) -> None:
    webhook_id = subscribe(client, receiver.url)
    subscribe(client, receiver.url)  # kept: shows the dispatcher did send, once per event
    orders = [place(client, "W-BEFORE-DELETE")]
    assert client.delete(f"/v1/webhooks/{webhook_id}", headers=ADMIN).status_code == 204
    orders.append(place(client, "W-AFTER-DELETE"))
    drain(dispatchers(Clock()))
    expected = [id_ for order_id in orders for _, id_, _ in stored(container, order_id)]
    assert expected
    assert sorted(r.headers["webhook-id"] for r in receiver.receipts) == sorted(expected), \
        "the deleted subscription still received events (each came twice)"


def test_two_dispatchers_at_once_never_send_the_same_event_twice(
        client: TestClient, container: Container, receiver: Receiver,
        dispatchers: Callable[..., WebhookDispatcher]) -> None:
    subscribe(client, receiver.url)
    orders = [place(client, f"W-RACE-{n}") for n in range(3)]
    expected = {id_ for order_id in orders for _, id_, _ in stored(container, order_id)}
    receiver.delay_s = 0.005
    errors: list[BaseException] = []

    def work(owner: str) -> None:
        dispatcher = dispatchers(lambda: datetime.now(UTC), owner)
        deadline = time.monotonic() + 20
        try:
            while len(receiver.acknowledged()) < len(expected) and time.monotonic() < deadline:
                dispatcher.run_once()
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"dispatcher-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors

    ids = [r.headers["webhook-id"] for r in receiver.receipts]
    assert sorted(ids) == sorted(expected), "an event was sent twice, or not at all"
    for order_id in orders:
        assert seqs(receiver.acknowledged(), order_id) == \
            [s for s, _, _ in stored(container, order_id)]


def test_an_event_committed_after_a_later_position_is_still_delivered(
        client: TestClient, container: Container, receiver: Receiver, database_url: str,
        dispatchers: Callable[..., WebhookDispatcher]) -> None:
    """PostgreSQL numbers outbox rows when they are written, not when they commit: a slow
    transaction's event can become visible after a later one was fanned out."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: positions commit in order")
    subscribe(client, receiver.url, ["order.flagged"])
    slow_order, fast_order = place(client, "W-SLOW"), place(client, "W-FAST")
    dispatcher = dispatchers(Clock())

    with container.uow() as slow:
        slow.events.append(slow_order, [Event(type="order.flagged", order_id=slow_order,
                                              message="written first, committed last")])
        with container.uow() as fast:
            fast.events.append(fast_order, [Event(type="order.flagged", order_id=fast_order,
                                                  message="written last, committed first")])
            fast.commit()
        drain(dispatcher)
        assert [e["order_id"] for e in receiver.acknowledged()] == [fast_order]
        slow.commit()
    drain(dispatcher)
    assert [e["order_id"] for e in receiver.acknowledged()] == [fast_order, slow_order]


def test_after_three_days_of_failures_the_delivery_is_given_up_and_the_order_moves_on(
        client: TestClient, container: Container, receiver: Receiver,
        dispatchers: Callable[..., WebhookDispatcher]) -> None:
    subscribe(client, receiver.url, ["order.received", "payment.confirmed"])
    order_id = place(client, "W-GIVE-UP", payment={"status": "pending"})
    receiver.fails = lambda event: event["type"] == "order.received"
    clock = Clock()
    dispatcher = dispatchers(clock)
    drain(dispatcher)
    paid = client.post(f"/v1/orders/{order_id}/payment", json={"status": "confirmed"},
                       headers=CHANNEL)
    assert paid.status_code == 200, paid.text
    drain(dispatcher)
    assert [r.event["type"] for r in receiver.receipts] == ["order.received"]

    clock.advance(3 * 86_400 - 1)  # the last retry inside the 3 days, which fails too
    drain(dispatcher)
    with container.engine.connect() as connection:
        statuses = dict(connection.execute(
            select(webhook_deliveries.c.event_id, webhook_deliveries.c.status)).all())
    received = next(id_ for _, id_, type_ in stored(container, order_id)
                    if type_ == "order.received")
    assert statuses[received] == "failed"
    assert [(r.event["type"], r.status) for r in receiver.receipts] == [
        ("order.received", 500), ("order.received", 500), ("payment.confirmed", 200)]


def test_work_held_by_a_dispatcher_that_died_is_taken_over_when_its_lease_expires(
        client: TestClient, container: Container, receiver: Receiver,
        dispatchers: Callable[..., WebhookDispatcher]) -> None:
    subscribe(client, receiver.url, ["order.received"])
    clock = Clock()
    with container.uow() as uow:  # a dispatcher takes the outbox cursor, then dies
        assert uow.webhooks.claim_cursor("dead", clock.now, clock.now + timedelta(seconds=60))
        uow.commit()
    order_id = place(client, "W-ORPHAN")
    survivor = dispatchers(clock, "survivor")
    drain(survivor)
    assert receiver.receipts == [], "fanned out while another dispatcher held the cursor"

    clock.advance(61)
    assert survivor.fan_out() == len(stored(container, order_id))
    with container.uow() as uow:  # ... and another takes the delivery, then dies
        [(delivery_id, _)] = uow.webhooks.due(clock.now, 10)
        assert uow.webhooks.claim(delivery_id, "dead", clock.now,
                                  clock.now + timedelta(seconds=60))
        uow.commit()
    drain(survivor)
    assert receiver.receipts == [], "sent while another dispatcher held the delivery"
    clock.advance(61)
    drain(survivor)
    assert [e["order_id"] for e in receiver.acknowledged()] == [order_id]


def test_unsubscribing_while_a_fan_out_writes_a_delivery_for_it_succeeds(
        container: Container, database_url: str) -> None:
    """A fan-out's uncommitted delivery for the subscription must not turn the unsubscribe
    into a foreign-key error when it commits: the unsubscribe waits for it and drops it too."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: a fan-out and an unsubscribe never overlap")
    from sqlalchemy import insert, text

    from lifecycle import webhooks

    now = datetime.now(UTC)
    subscription = webhooks.subscribe(container.uow_factory, "https://example.com/hook", ["*"],
                                      "s" * 32, now)
    outcome: dict[str, BaseException | None] = {}

    def unsubscribe() -> None:
        try:
            webhooks.unsubscribe(container.uow_factory, subscription.id)
            outcome["error"] = None
        except BaseException as error:
            outcome["error"] = error

    with container.engine.connect() as fan_out:
        fan_out.execute(insert(webhook_deliveries).values(
            id="whd_racing", subscription_id=subscription.id, event_id="evt_racing",
            event_position=1, order_id="ord_racing", status="pending", attempts=0,
            next_attempt_at=now, created_at=now))
        racer = threading.Thread(target=unsubscribe)
        racer.start()
        with container.engine.connect() as probe:  # until the unsubscribe waits on a lock
            for _ in range(500):
                if probe.execute(text("SELECT count(*) FROM pg_stat_activity "
                                      "WHERE wait_event_type = 'Lock' "
                                      "AND datname = current_database()")).scalar():
                    break
                time.sleep(0.01)
        fan_out.commit()
    racer.join(30)
    assert outcome == {"error": None}
    with container.engine.connect() as connection:
        assert connection.execute(select(webhook_deliveries.c.id).where(
            webhook_deliveries.c.subscription_id == subscription.id)).all() == []


def test_a_backlog_for_a_receiver_that_is_down_leaves_room_for_other_subscribers(
        client: TestClient, container: Container, receiver: Receiver,
        dispatchers: Callable[..., WebhookDispatcher]) -> None:
    """A receiver down while more orders came in than one pass takes (here 3): every pass
    still sends the other subscribers' new events, instead of trying the oldest of the
    backlog, skipping the rest of it and reaching nobody else."""
    with serve_receiver() as down:
        down.fails = lambda event: True
        subscribe(client, down.url, ["order.received"])
        for n in range(4):
            place(client, f"W-BACKLOG-{n}")
        clock = Clock()
        dispatcher = WebhookDispatcher(container.uow_factory, reader=container.reader,
                                       sender=HttpSender(timeout_s=3.0), allow_private=True,
                                       clock=clock, owner="test", batch=3)
        for _ in range(12):
            dispatcher.run_once()
        assert len(down.receipts) == 4  # each order's event tried once, all failed
        clock.advance(3600)  # the whole backlog is due again

        subscribe(client, receiver.url, ["order.received"])
        fresh = place(client, "W-FRESH")
        dispatcher.run_once()
    assert [e["order_id"] for e in receiver.acknowledged()] == [fresh]


def test_with_no_subscription_the_webhooks_reader_has_no_lag(
        client: TestClient, container: Container, receiver: Receiver,
        dispatchers: Callable[..., WebhookDispatcher]) -> None:
    """Nothing is owed to anyone once the last subscriber left, so /metrics'
    dom_outbox_lag_events{reader="webhooks"} says 0 instead of counting every event since; a
    new subscriber still gets what comes after it, and nothing from before. (The cursor
    itself stays: on PostgreSQL a subscription being created may be owed events that commit
    before it does.)"""
    webhook_id = subscribe(client, receiver.url)
    watched = place(client, "W-WATCHED")
    dispatcher = dispatchers(Clock())
    drain(dispatcher)
    assert client.delete(f"/v1/webhooks/{webhook_id}", headers=ADMIN).status_code == 204
    place(client, "W-UNWATCHED")
    dispatcher.run_once()
    assert 'dom_outbox_lag_events{reader="webhooks"} 0\n' in client.get("/metrics").text
    subscribe(client, receiver.url)
    again = place(client, "W-WATCHED-AGAIN")
    drain(dispatcher)
    assert {e["order_id"] for e in receiver.acknowledged()} == {watched, again}


@pytest.mark.parametrize("others", [False, True], ids=["first-subscriber", "another-active"])
def test_an_event_committed_while_a_subscription_is_created_is_delivered_to_it(
        client: TestClient, container: Container, receiver: Receiver, database_url: str,
        dispatchers: Callable[..., WebhookDispatcher], others: bool) -> None:
    """The subscription reads where it starts, an order's events commit, a fan-out pass runs,
    then the subscription commits: the events after its start are still owed to it. (A pass
    that moved its cursor on when nobody subscribed lost them, and so did one that read the
    subscriptions before this one committed and the events after.)"""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: nothing commits inside a subscription")
    from lifecycle.webhooks import Subscription

    if others:
        with serve_receiver() as elsewhere:
            subscribe(client, elsewhere.url, ["order.received"])
    dispatcher = dispatchers(Clock())
    drain(dispatcher)  # the cursor exists and is up to date
    # the pass claims the cursor first; it reads (second transaction) once the subscription
    # has read where it starts and an order's event has committed
    claimed, go_on = threading.Event(), threading.Event()
    opened = [0]
    real_uow = dispatcher._uow

    def paused_uow() -> Any:
        opened[0] += 1
        if opened[0] == 2:
            claimed.set()
            go_on.wait(10)
        return real_uow()

    dispatcher._uow = paused_uow  # type: ignore[method-assign]
    dispatcher._quiet_at = None  # a pass even though nothing was written since the last
    passing = threading.Thread(target=dispatcher.run_once)
    passing.start()
    if others:  # (with no subscriber the pass stops before its second transaction)
        assert claimed.wait(10)
    creating = container.uow_factory()
    creating.__enter__()
    creating.webhooks.hold_fanout()  # as lifecycle.webhooks.subscribe does
    creating.webhooks.add(Subscription(url=receiver.url, events=["order.received"],
                                       secret=SECRET,
                                       after_position=creating.webhooks.last_position(),
                                       created_at=datetime.now(UTC)))
    order_id = place(client, "W-DURING-SUBSCRIBE")
    go_on.set()
    passing.join(1.0)  # reads, or waits for the subscription to commit
    if not others:
        dispatcher.run_once()  # a pass that finds nobody subscribed yet
    creating.commit()
    creating.__exit__(None, None, None)
    passing.join(30)
    drain(dispatcher)
    assert [e["order_id"] for e in receiver.acknowledged()] == [order_id]
