"""An order's events as server-sent events, read over a real socket from the app served by
uvicorn in a thread: what happened so far in seq order, resuming after Last-Event-ID with no gap
and no duplicate, new events live, keep-alive pings, and the end of polling on disconnect.

Every read is bounded: httpx's read timeout, and a deadline per wait.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn

from api import create_app
from api.routers import stream as stream_module
from dom.bootstrap import Container
from tests.api.conftest import ADMIN, CHANNEL, PLANNER, SUPPLIER, order_body, seed
from tests.api.helpers import assert_problem

READ_TIMEOUT = httpx.Timeout(5.0)


@pytest.fixture
def base_url(default_container: Container) -> Iterator[str]:
    """The app on a free loopback port, polling for new events every 20 ms."""
    settings = default_container.settings.model_copy(update={"stream_poll_interval_s": 0.02,
                                                            "webhook_poll_interval_s": 0})
    app = create_app(dataclasses.replace(default_container, settings=settings))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with httpx.Client(base_url=url, timeout=READ_TIMEOUT) as client:
        seed(client)  # type: ignore[arg-type]  # an httpx.Client, as TestClient is
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=READ_TIMEOUT) as client:
        yield client


@dataclass
class Sse:
    id: str | None = None
    event: str | None = None
    data: list[str] = field(default_factory=list)

    @property
    def seq(self) -> int:
        assert self.id is not None
        return int(self.id)

    @property
    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads("\n".join(self.data))
        return parsed


class Stream:
    """An open SSE response, read message by message (comments kept apart)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.iter_lines()
        self.comments: list[str] = []

    def next(self, within_s: float = 5.0) -> Sse:
        deadline = time.monotonic() + within_s
        message = Sse()
        for line in self.lines:  # each read is bounded by the client's read timeout
            assert time.monotonic() < deadline, "no event in time"
            if line.startswith(":"):
                self.comments.append(line)
            elif line == "":
                if message.data or message.id is not None:
                    return message
            else:
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "data":
                    message.data.append(value)
                elif name in ("id", "event"):
                    setattr(message, name, value)
        raise AssertionError("the stream ended")

    def take(self, count: int) -> list[Sse]:
        return [self.next() for _ in range(count)]


def open_stream(api: httpx.Client, order_id: str, headers: dict[str, str] | None = None,
                params: dict[str, Any] | None = None) -> Any:
    return api.stream("GET", f"/v1/orders/{order_id}/stream",
                      headers={**ADMIN, **(headers or {})}, params=params)


def place(api: httpx.Client, channel_order_id: str, **overrides: Any) -> str:
    answer = api.post("/v1/orders", json=order_body(channel_order_id, **overrides),
                      headers=CHANNEL)
    assert answer.status_code == 201, answer.text
    order_id: str = answer.json()["order_id"]
    return order_id


def timeline(api: httpx.Client, order_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(f"/v1/orders/{order_id}/timeline",
                                          headers=ADMIN).json()["items"]
    return items


def test_the_events_so_far_arrive_in_seq_order_as_the_timeline_shows_them(
        api: httpx.Client) -> None:
    order_id = place(api, "W-SSE-1")
    expected = timeline(api, order_id)
    assert len(expected) >= 3
    with open_stream(api, order_id) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        got = Stream(response).take(len(expected))
    assert [m.seq for m in got] == [item["seq"] for item in expected]
    assert [m.event for m in got] == [item["type"] for item in expected]
    assert [m.json for m in got] == expected
    assert all(m.json["order_id"] == order_id and m.json["id"] for m in got)


def test_a_client_that_reconnects_with_last_event_id_gets_exactly_the_rest(
        api: httpx.Client) -> None:
    order_id = place(api, "W-SSE-2")
    total = len(timeline(api, order_id))
    with open_stream(api, order_id) as response:
        first = Stream(response).take(2)
    assert [m.seq for m in first] == [1, 2]

    with open_stream(api, order_id, headers={"Last-Event-ID": "2"}) as response:
        stream = Stream(response)
        rest = stream.take(total - 2)
        cancelled = api.post(f"/v1/orders/{order_id}/cancel", headers=CHANNEL)
        assert cancelled.status_code == 200, cancelled.text
        added = len(timeline(api, order_id)) - total
        live = stream.take(added)
    seqs = [m.seq for m in first + rest + live]
    assert seqs == list(range(1, total + added + 1)), "a gap or a duplicate"
    assert "order.cancelled" in [m.event for m in live]


def test_the_query_parameter_resumes_too_and_the_header_wins(api: httpx.Client) -> None:
    order_id = place(api, "W-SSE-3")
    with open_stream(api, order_id, params={"last_event_id": 3}) as response:
        assert Stream(response).next().seq == 4
    with open_stream(api, order_id, headers={"Last-Event-ID": "2"},
                     params={"last_event_id": 1}) as response:
        assert Stream(response).next().seq == 3


def test_an_event_committed_while_connected_arrives_live(api: httpx.Client) -> None:
    order_id = place(api, "W-SSE-4", payment={"status": "pending"})
    with open_stream(api, order_id, headers=PLANNER) as response:
        stream = Stream(response)
        assert [m.event for m in stream.take(1)] == ["order.received"]
        paid = api.post(f"/v1/orders/{order_id}/payment", json={"status": "confirmed"},
                        headers=CHANNEL)
        assert paid.status_code == 200, paid.text
        after = timeline(api, order_id)[1:]
        live = stream.take(len(after))
    assert [m.seq for m in live] == [item["seq"] for item in after]
    assert live[0].event == "payment.confirmed"


def test_the_stream_sends_keep_alive_pings(api: httpx.Client,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_module, "PING_S", 0.05)
    order_id = place(api, "W-SSE-5", payment={"status": "pending"})
    with open_stream(api, order_id) as response:
        stream = Stream(response)
        stream.next()
        deadline = time.monotonic() + 3
        for line in stream.lines:
            if line.startswith(":") or time.monotonic() > deadline:
                break
    assert line.startswith(": ping"), line


def test_polling_stops_when_the_client_goes_away(api: httpx.Client,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    real_read = stream_module._read

    def counting(container: Container, order_id: str, after: int) -> Any:
        reads.append(order_id)
        return real_read(container, order_id, after)

    monkeypatch.setattr(stream_module, "_read", counting)
    order_id = place(api, "W-SSE-6")
    with open_stream(api, order_id) as response:
        stream = Stream(response)  # keep it: a dropped line iterator closes the response
        stream.next()
        time.sleep(0.2)
    assert len(reads) > 1, "the stream did not keep polling while connected"
    time.sleep(0.3)
    settled = len(reads)
    time.sleep(0.3)
    assert len(reads) == settled, "the server kept polling after the client left"


def test_an_unknown_order_is_404_before_any_streaming(api: httpx.Client) -> None:
    assert_problem(api.get("/v1/orders/ord_nope/stream", headers=ADMIN), 404)


def test_a_malformed_last_event_id_is_422(api: httpx.Client) -> None:
    order_id = place(api, "W-SSE-7")
    assert_problem(api.get(f"/v1/orders/{order_id}/stream",
                           headers={**ADMIN, "Last-Event-ID": "abc"}), 422)
    assert_problem(api.get(f"/v1/orders/{order_id}/stream?last_event_id=-1",
                           headers=ADMIN), 422)
    # "²" (one latin-1 byte) passes str.isdigit() but not int(): a 422, not a 500
    assert_problem(api.get(f"/v1/orders/{order_id}/stream",
                           headers={**ADMIN, "Last-Event-ID": b"\xb2"}), 422)


def test_partners_may_not_stream_orders(api: httpx.Client) -> None:
    order_id = place(api, "W-SSE-8")
    assert_problem(api.get(f"/v1/orders/{order_id}/stream", headers=SUPPLIER), 403)
    assert_problem(api.get(f"/v1/orders/{order_id}/stream"), 401)
