"""The outbox relay against a real NATS JetStream server, on SQLite and on PostgreSQL.

The server is ``DOM_TEST_NATS_URL`` (default nats://127.0.0.1:4222). When it does not answer
the tests skip with the reason, unless ``DOM_REQUIRE_NATS=1``, which turns that into a failure.
Every test gets its own stream and subject prefix, deleted at the end, so runs never share
state. Events are made by the real app (orders placed over HTTP), as a channel would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
import pytest
from fastapi.testclient import TestClient
from nats.js.api import RawStreamMsg, StreamInfo
from nats.js.errors import NotFoundError
from sqlalchemy import select as sql_select

from api import create_app
from broker.jetstream import JetStreamConfig, JetStreamPublisher, subject_for
from dom.bootstrap import Container
from lifecycle.event_relay import CURSOR, EventRelay, PublishError, RelayPass, run_until
from lifecycle.outbox import FanoutCursor, OutboxEvent, read_outbox
from models import Event
from storage.tables import events
from tests.api.conftest import seed
from tests.conftest import make_container
from tests.integration.conftest import place

ROOT = Path(__file__).resolve().parents[2]
NATS_URL = os.environ.get("DOM_TEST_NATS_URL", "nats://127.0.0.1:4222")
REQUIRE_NATS = os.environ.get("DOM_REQUIRE_NATS") == "1"


# --- the NATS server and a stream per test ----------------------------------------------------


async def _jetstream_answers(url: str) -> None:
    client = await nats.connect(url, connect_timeout=2, allow_reconnect=False)
    try:
        await client.jetstream().account_info()  # fails when JetStream is not enabled
    finally:
        await client.close()


@pytest.fixture(scope="session")
def nats_url() -> str:
    try:
        asyncio.run(asyncio.wait_for(_jetstream_answers(NATS_URL), 5))
    except Exception as error:
        message = (f"NATS with JetStream not reachable at {NATS_URL}: "
                   f"{type(error).__name__} {error or '(no answer within 5 s)'}")
        if REQUIRE_NATS:
            pytest.fail(message + " (DOM_REQUIRE_NATS=1)")
        pytest.skip(message)
    return NATS_URL


@dataclass
class Stream:
    """A test's own stream, read back with a separate connection (as a consumer would)."""

    config: JetStreamConfig

    async def _with_js(self, work: Callable[[Any], Any]) -> Any:
        client = await nats.connect(self.config.url)
        try:
            return await work(client.jetstream())
        finally:
            await client.close()

    def info(self) -> StreamInfo:
        async def work(js: Any) -> StreamInfo:
            info: StreamInfo = await js.stream_info(self.config.stream)
            return info
        result: StreamInfo = asyncio.run(self._with_js(work))
        return result

    def count(self) -> int:
        return int(self.info().state.messages)

    def messages(self) -> list[RawStreamMsg]:
        """Every stored message, in the stream's order."""
        async def work(js: Any) -> list[RawStreamMsg]:
            info = await js.stream_info(self.config.stream)
            return [await js.get_msg(self.config.stream, seq)
                    for seq in range(info.state.first_seq, info.state.last_seq + 1)]
        found: list[RawStreamMsg] = asyncio.run(self._with_js(work))
        return found

    def publish_raw(self, subject: str, body: bytes, headers: dict[str, str]) -> None:
        async def work(js: Any) -> None:
            await js.publish(subject, body, headers=headers)
        asyncio.run(self._with_js(work))

    def delete(self) -> None:
        async def work(js: Any) -> None:
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(self.config.stream)
        asyncio.run(self._with_js(work))


@pytest.fixture
def stream(nats_url: str) -> Iterator[Stream]:
    tag = uuid.uuid4().hex[:12]
    made = Stream(JetStreamConfig(url=nats_url, stream=f"DOMTEST_{tag}",
                                  subject_prefix=f"domtest.{tag}", duplicate_window_s=300))
    try:
        yield made
    finally:
        made.delete()


@pytest.fixture
def publishers(stream: Stream) -> Iterator[Callable[[], JetStreamPublisher]]:
    made: list[JetStreamPublisher] = []

    def make() -> JetStreamPublisher:
        made.append(JetStreamPublisher(stream.config))
        return made[-1]

    yield make
    for publisher in made:
        publisher.close()


# --- the app that writes events ---------------------------------------------------------------


def _container(url: str, **settings: Any) -> Container:
    return make_container(url, webhook_poll_interval_s=0, **settings)


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    built = _container(database_url)
    yield built
    built.close()


@dataclass(frozen=True)
class Stored:
    position: int
    id: str
    order_id: str
    seq: int
    type: str


def outbox(container: Container) -> list[Stored]:
    with container.engine.connect() as connection:
        rows = connection.execute(sql_select(events).order_by(events.c.position)).mappings()
        return [Stored(r["position"], r["id"], r["order_id"], r["seq"], r["type"]) for r in rows]


def stored_cursor(container: Container) -> FanoutCursor | None:
    with container.uow(write=False) as uow:
        return uow.outbox.peek_cursor(CURSOR)


# --- relays -----------------------------------------------------------------------------------


class Died(Exception):
    """The relay's process ending abruptly: nothing after it runs, not even the cursor save."""


@dataclass
class Counting:
    """A publisher that counts what the broker acknowledged, optionally dying or slowing."""

    inner: JetStreamPublisher
    die_after: int | None = None
    delay_s: float = 0.0
    ids: list[str] = field(default_factory=list)
    duplicates: int = 0

    def publish(self, item: OutboxEvent) -> bool:
        if self.die_after is not None and len(self.ids) >= self.die_after:
            raise Died
        time.sleep(self.delay_s)
        duplicate = self.inner.publish(item)
        assert item.event.id is not None
        self.ids.append(item.event.id)
        self.duplicates += duplicate
        return duplicate


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def relay_of(container: Container, publisher: Any, owner: str, **options: Any) -> EventRelay:
    return EventRelay(container.uow_factory, publisher, reader=container.reader, owner=owner,
                      **options)


def drain(relay: EventRelay, rounds: int = 100) -> None:
    """Run passes until one has nothing to publish (bounded); a failed pass fails the test."""
    for _ in range(rounds):
        outcome = relay.run_once()
        assert outcome.error is None, outcome.error
        if not outcome.busy:
            return
    raise AssertionError(f"the relay was still busy after {rounds} passes")


def assert_exactly_once_in_order(stream: Stream, expected: list[Stored]) -> list[RawStreamMsg]:
    """The stream holds every event once, in outbox order, on its type's subject, with the
    body the webhooks send and the headers a consumer de-duplicates by."""
    messages = stream.messages()
    ids = [m.headers["Nats-Msg-Id"] if m.headers else None for m in messages]
    assert len(ids) == len(set(ids)), "the stream holds an event twice"
    assert ids == [e.id for e in expected], "an event is missing, extra or out of order"
    assert stream.count() == len(expected)
    for message, event in zip(messages, expected, strict=True):
        assert message.subject == f"{stream.config.subject_prefix}.{event.type}"
        body = json.loads(message.data or b"")
        assert (body["id"], body["order_id"], body["seq"], body["type"]) == \
            (event.id, event.order_id, event.seq, event.type)
        assert message.headers is not None
        assert message.headers["Dom-Order-Id"] == event.order_id
        assert message.headers["Dom-Seq"] == str(event.seq)
        assert message.headers["Dom-Position"] == str(event.position)
    by_order: dict[str, list[int]] = {}
    for message in messages:
        body = json.loads(message.data or b"")
        by_order.setdefault(body["order_id"], []).append(body["seq"])
    for order_id, seqs in by_order.items():
        assert seqs == list(range(1, len(seqs) + 1)), f"order {order_id} arrived as {seqs}"
    return messages


# --- the tests --------------------------------------------------------------------------------


def test_every_event_of_a_run_arrives_once_in_order_and_new_ones_follow(
        client: TestClient, container: Container, stream: Stream,
        publishers: Callable[[], JetStreamPublisher]) -> None:
    orders = [place(client, f"W-NATS-{n}") for n in range(4)]
    first = outbox(container)
    assert {e.order_id for e in first} >= set(orders) and len(first) > len(orders)
    publisher = Counting(publishers())
    relay = relay_of(container, publisher, "relay-1", batch=7)  # several passes

    drain(relay)
    assert_exactly_once_in_order(stream, first)
    cursor = stored_cursor(container)
    assert cursor is not None and cursor.position == first[-1].position and not cursor.gaps
    assert relay.run_once() == RelayPass(), "a pass with nothing new published something"

    place(client, "W-NATS-LATER")
    drain(relay)
    assert_exactly_once_in_order(stream, outbox(container))
    assert publisher.ids == [e.id for e in outbox(container)], "an event was published twice"
    assert publisher.duplicates == 0


def test_a_relay_that_dies_before_saving_is_taken_over_without_gaps_or_duplicates(
        client: TestClient, container: Container, stream: Stream,
        publishers: Callable[[], JetStreamPublisher]) -> None:
    for n in range(3):
        place(client, f"W-DIES-{n}")
    expected = outbox(container)
    clock = Clock()
    dying = Counting(publishers(), die_after=5)
    with pytest.raises(Died):
        relay_of(container, dying, "dying", clock=clock).run_once()
    assert stream.count() == 5
    cursor = stored_cursor(container)
    assert cursor is not None and cursor.position == 0, "the dead relay saved its progress"

    heir = Counting(publishers())
    successor = relay_of(container, heir, "heir", clock=clock)
    assert successor.run_once() == RelayPass(), "took the cursor while the lease was held"
    assert stream.count() == 5
    clock.advance(31)  # the dead relay's lease (30 s) runs out
    drain(successor)

    assert heir.ids == [e.id for e in expected], "the successor skipped an event"
    assert heir.duplicates == 5, "JetStream did not drop the events published twice"
    assert_exactly_once_in_order(stream, expected)


def test_a_relay_process_killed_mid_run_is_taken_over_without_gaps_or_duplicates(
        client: TestClient, container: Container, database_url: str, stream: Stream,
        publishers: Callable[[], JetStreamPublisher]) -> None:
    for n in range(3):
        place(client, f"W-KILL-{n}")
    expected = outbox(container)
    published_before_kill = 4
    process = subprocess.Popen(
        [sys.executable, "-c", DOOMED_RELAY, database_url, stream.config.url,
         stream.config.stream, stream.config.subject_prefix, str(published_before_kill)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "the relay process said nothing within 60 s"
        line = process.stdout.readline().strip()
        if line != "stalled":
            raise AssertionError(f"relay process said {line!r}: "
                                 f"{process.stderr.read() if process.stderr else ''}")
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert stream.count() == published_before_kill
    cursor = stored_cursor(container)
    assert cursor is not None and cursor.position == 0

    heir = Counting(publishers())
    clock = Clock()
    clock.advance(61)  # the killed relay's lease (60 s) has run out
    drain(relay_of(container, heir, "heir", clock=clock))
    assert heir.ids == [e.id for e in expected]
    assert heir.duplicates == published_before_kill
    assert_exactly_once_in_order(stream, expected)


DOOMED_RELAY = """
import sys, time
from datetime import timedelta
from broker.jetstream import JetStreamConfig, JetStreamPublisher
from lifecycle.event_relay import EventRelay
from storage import SqlUnitOfWork, make_engine

url, nats_url, stream, prefix, stall_after = sys.argv[1:6]
engine = make_engine(url)
inner = JetStreamPublisher(JetStreamConfig(url=nats_url, stream=stream, subject_prefix=prefix))

class Stalling:
    published = 0

    def publish(self, item):
        if self.published == int(stall_after):
            print("stalled", flush=True)
            time.sleep(600)  # killed here: published, cursor not saved
        duplicate = inner.publish(item)
        self.published += 1
        return duplicate

relay = EventRelay(lambda: SqlUnitOfWork(engine), Stalling(), owner="doomed",
                   lease=timedelta(seconds=60))
relay.run_once()
print("finished without stalling", flush=True)
"""


def test_two_relays_at_once_publish_each_event_once(
        client: TestClient, container: Container, stream: Stream,
        publishers: Callable[[], JetStreamPublisher]) -> None:
    for n in range(4):
        place(client, f"W-RACE-{n}")
    expected = outbox(container)
    counters = [Counting(publishers(), delay_s=0.002) for _ in range(2)]
    errors: list[BaseException] = []

    def work(counter: Counting, owner: str) -> None:
        relay = relay_of(container, counter, owner, batch=3)
        deadline = time.monotonic() + 30
        try:
            while sum(len(c.ids) for c in counters) < len(expected) and \
                    time.monotonic() < deadline:
                relay.run_once()
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(c, f"relay-{n}"))
               for n, c in enumerate(counters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors

    published = [i for c in counters for i in c.ids]
    assert sorted(published) == sorted(e.id for e in expected), \
        "an event was published by both relays, or by neither"
    assert sum(c.duplicates for c in counters) == 0
    assert_exactly_once_in_order(stream, expected)


def test_while_nats_is_down_the_cursor_waits_and_a_relay_catches_up_later(
        client: TestClient, container: Container, stream: Stream,
        publishers: Callable[[], JetStreamPublisher]) -> None:
    place(client, "W-DOWN")
    expected = outbox(container)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    dead = JetStreamPublisher(JetStreamConfig(url=f"nats://127.0.0.1:{dead_port}",
                                              stream=stream.config.stream,
                                              subject_prefix=stream.config.subject_prefix,
                                              connect_timeout_s=0.5, timeout_s=0.5))
    try:
        outcome = relay_of(container, dead, "cut-off").run_once()
        assert outcome.error and outcome.published == 0 and outcome.read == len(expected)
        cursor = stored_cursor(container)
        assert cursor is not None and cursor.position == 0

        stop = threading.Event()  # the loop keeps trying, never raises, stops when told
        looping = threading.Thread(target=run_until,
                                   args=(relay_of(container, dead, "cut-off"), stop),
                                   kwargs={"interval_s": 0.05, "max_backoff_s": 0.2})
        looping.start()
        time.sleep(1.5)
        stop.set()
        looping.join(timeout=10)
        assert not looping.is_alive()
    finally:
        dead.close()
    with pytest.raises(PublishError, match="closed"):
        dead.publish(OutboxEvent(1, Event(type="order.note", order_id="x", message="")))

    drain(relay_of(container, Counting(publishers()), "back"))
    assert_exactly_once_in_order(stream, expected)


def test_an_event_committed_after_a_later_position_is_still_published(
        client: TestClient, container: Container, database_url: str, stream: Stream,
        publishers: Callable[[], JetStreamPublisher]) -> None:
    """PostgreSQL numbers outbox rows when they are written, not when they commit."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: positions commit in order")
    slow_order, fast_order = place(client, "W-SLOW"), place(client, "W-FAST")
    relay = relay_of(container, Counting(publishers()), "relay")
    drain(relay)
    before = stream.count()

    with container.uow() as slow:
        slow.events.append(slow_order, [Event(type="order.note", order_id=slow_order,
                                              message="written first, committed last")])
        with container.uow() as fast:
            fast.events.append(fast_order, [Event(type="order.note", order_id=fast_order,
                                                  message="written last, committed first")])
            fast.commit()
        drain(relay)
        assert [json.loads(m.data or b"")["order_id"] for m in stream.messages()[before:]] == \
            [fast_order]
        cursor = stored_cursor(container)
        assert cursor is not None and len(cursor.gaps) == 1, "the open position is no gap"
        slow.commit()
    drain(relay)
    notes = [json.loads(m.data or b"") for m in stream.messages()[before:]]
    assert [n["order_id"] for n in notes] == [fast_order, slow_order]
    assert stream.count() == len(outbox(container))


def test_the_api_relays_while_it_runs_and_starts_while_nats_is_down(
        sqlite_url: str, stream: Stream) -> None:
    live = _container(sqlite_url, nats_url=stream.config.url, nats_stream=stream.config.stream,
                      nats_subject_prefix=stream.config.subject_prefix,
                      nats_poll_interval_s=0.05)
    try:
        with TestClient(create_app(live)) as client:
            seed(client)
            place(client, "W-API")
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and \
                    _count_or_zero(stream) < len(outbox(live)):
                time.sleep(0.1)
            assert_exactly_once_in_order(stream, outbox(live))
        assert not [t for t in threading.enumerate() if t.name == "dom-relay"], \
            "the relay outlived the app"
    finally:
        live.close()

    down = _container(sqlite_url, nats_url="nats://127.0.0.1:1",
                      nats_stream=stream.config.stream,
                      nats_subject_prefix=stream.config.subject_prefix)
    try:
        started = time.monotonic()
        with TestClient(create_app(down)) as client:
            assert client.get("/healthz").status_code == 200
        assert time.monotonic() - started < 20
    finally:
        down.close()


def _count_or_zero(stream: Stream) -> int:
    try:
        return stream.count()
    except NotFoundError:
        return 0  # the relay has not created it yet


def test_the_example_consumer_handles_every_event_once_even_when_one_is_stored_twice(
        sqlite_url: str, stream: Stream, publishers: Callable[[], JetStreamPublisher]) -> None:
    live = _container(sqlite_url)
    try:
        with TestClient(create_app(live)) as client:
            seed(client)
            for n in range(2):
                place(client, f"W-CONSUMER-{n}")
        expected = outbox(live)
        drain(relay_of(live, Counting(publishers()), "relay"))
    finally:
        live.close()
    # A relay down longer than the duplicate window publishes an event again, and JetStream
    # keeps it: the consumer has to drop it.
    again = stream.messages()[0]
    assert again.subject is not None
    stream.publish_raw(again.subject, again.data or b"", {"Nats-Msg-Id": "after-the-window"})
    assert stream.count() == len(expected) + 1

    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "nats_consumer.py"), "--url",
         stream.config.url, "--stream", stream.config.stream, "--prefix",
         stream.config.subject_prefix, "--durable", "test", "--exit-when-idle", "2"],
        capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    handled = [json.loads(line) for line in done.stdout.splitlines()]
    assert [h["id"] for h in handled] == [e.id for e in expected]
    assert "skipped 1 repeats" in done.stderr


# --- the cursor's arithmetic, without a broker ------------------------------------------------


@dataclass
class FakeOutbox:
    visible: list[int]

    def outbox_after(self, position: int, limit: int) -> list[OutboxEvent]:
        return [_item(p) for p in self.visible if p > position][:limit]

    def outbox_at(self, positions: Sequence[int]) -> list[OutboxEvent]:
        return [_item(p) for p in self.visible if p in positions]


def _item(position: int) -> OutboxEvent:
    return OutboxEvent(position, Event(id=f"evt_{position}", type="order.note", order_id="o",
                                     message=""))


def test_a_partly_published_batch_keeps_the_rest_for_the_next_pass() -> None:
    now = datetime.now(UTC)
    old = now - timedelta(seconds=10)
    cursor = FanoutCursor(10, {4: old, 9: old})
    batch = read_outbox(FakeOutbox([4, 11, 13, 14]), cursor, now, limit=100,
                        gap_timeout=timedelta(minutes=1))
    assert [e.position for e in batch.events] == [4, 11, 13, 14]
    assert batch.end == FanoutCursor(14, {9: old, 12: now})

    assert batch.cursor_after(0) == FanoutCursor(10, {4: old, 9: old}), \
        "an unpublished gap lost its age or the cursor moved"
    assert batch.cursor_after(1) == FanoutCursor(10, {9: old})
    assert batch.cursor_after(2) == FanoutCursor(12, {9: old, 12: now})
    assert batch.cursor_after(3) == FanoutCursor(13, {9: old, 12: now})
    assert batch.cursor_after(4) == batch.end

    still_open = read_outbox(FakeOutbox([]), FanoutCursor(10, {9: old}), now, limit=100,
                             gap_timeout=timedelta(minutes=1))
    assert still_open.events == [] and still_open.end == FanoutCursor(10, {9: old}), \
        "a gap below the cursor was forgotten before its time"
    timed_out = read_outbox(FakeOutbox([]), FanoutCursor(10, {9: now - timedelta(hours=1)}),
                            now, limit=100, gap_timeout=timedelta(minutes=1))
    assert timed_out.end == FanoutCursor(10, {})


def test_subjects_are_one_per_event_type_and_never_wildcards() -> None:
    assert subject_for("dom.events", "order.received") == "dom.events.order.received"
    assert subject_for("dom.events", "odd type.*.>") == "dom.events.odd_type._._"
    assert subject_for("p", "a..b") == "p.a._.b"
