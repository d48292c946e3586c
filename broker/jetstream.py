"""Publishing outbox events to NATS JetStream (nats-py), for ``lifecycle.event_relay``.

Each event goes to ``<prefix>.<type>`` (``dom.events.order.received``), its body the same
JSON the webhooks post, with ``Nats-Msg-Id`` set to the event id: JetStream drops a message
whose id it stored within the stream's duplicate window, which is what makes the relay's
"at least once" look like "once" on the stream. The stream is created when missing.

The relay is synchronous (it runs beside the database work, in a thread); nats-py is asyncio.
So the publisher owns a private event loop in a daemon thread and each ``publish`` waits
there for the broker's acknowledgement. It connects on first use, not in the constructor, so
a server whose NATS is down still starts; every failure becomes a ``PublishError``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import re
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from nats.aio.client import Client
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from lifecycle.event_relay import PublishError
from lifecycle.outbox import OutboxEvent
from lifecycle.webhooks import body_of

log = logging.getLogger("dom.relay")

T = TypeVar("T")
MSG_ID = "Nats-Msg-Id"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class JetStreamConfig:
    """Where the events go: the server, the stream and the subject prefix."""

    url: str
    stream: str = "DOM_EVENTS"
    subject_prefix: str = "dom.events"
    duplicate_window_s: float = 600.0
    timeout_s: float = 5.0
    connect_timeout_s: float = 2.0


def subject_for(prefix: str, event_type: str) -> str:
    """``<prefix>.<type>``; characters NATS gives a meaning to (space, ``*``, ``>``) become _."""
    tokens = [_UNSAFE.sub("_", token) or "_" for token in event_type.split(".")]
    return ".".join([prefix, *tokens])


def headers_for(item: OutboxEvent) -> dict[str, str]:
    """The de-duplication id, and what a consumer needs to order and de-duplicate per order
    without parsing the body."""
    event = item.event
    assert event.id is not None, "an outbox event always has an id"
    return {MSG_ID: event.id, "Dom-Order-Id": event.order_id, "Dom-Seq": str(event.seq),
            "Dom-Position": str(item.position), "Content-Type": "application/json"}


class JetStreamPublisher:
    """A ``lifecycle.event_relay.Publisher`` for one NATS server and stream (thread-safe)."""

    def __init__(self, config: JetStreamConfig) -> None:
        self.config = config
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="dom-nats")
        self._thread.start()
        self._client: Client | None = None
        self._js: JetStreamContext | None = None
        self._closed = False

    # --- the Publisher protocol ----------------------------------------------------------------

    def publish(self, item: OutboxEvent) -> bool:
        """Store the event on the stream; True when JetStream says it already had it."""
        return self._run(self._publish(item))

    # --- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        """Flush and close the connection, then stop the private loop."""
        if self._closed:
            return
        self._closed = True
        try:
            asyncio.run_coroutine_threadsafe(self._disconnect(), self._loop).result(
                timeout=self.config.timeout_s)
        except Exception as error:  # closing a dead connection must not fail a shutdown
            log.debug("closing the NATS connection: %s", error)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> JetStreamPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- on the private loop -------------------------------------------------------------------

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._closed:
            coroutine.close()
            raise PublishError("the publisher is closed")
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        limit = self.config.connect_timeout_s + 2 * self.config.timeout_s + 1
        try:
            return future.result(timeout=limit)
        except concurrent.futures.TimeoutError as error:
            future.cancel()
            raise PublishError(f"no answer from NATS within {limit:.0f} s") from error

    async def _publish(self, item: OutboxEvent) -> bool:
        js = await self._jetstream()
        subject = subject_for(self.config.subject_prefix, item.event.type)
        try:
            ack = await js.publish(subject, body_of(item.event).encode(),
                                   timeout=self.config.timeout_s, stream=self.config.stream,
                                   headers=headers_for(item))
        except Exception as error:
            await self._forget_if_closed()
            self._js = None  # look at the stream again next time (it may have been deleted)
            raise PublishError(f"publishing to {subject}: {_describe(error)}") from error
        return bool(ack.duplicate)

    async def _jetstream(self) -> JetStreamContext:
        """The JetStream context, connecting and making sure of the stream when needed."""
        if self._js is not None and self._client is not None and not self._client.is_closed:
            return self._js
        try:
            if self._client is None or self._client.is_closed:
                self._client = await self._connect()
            js = self._client.jetstream(timeout=self.config.timeout_s)
            await self._ensure_stream(js)
        except PublishError:
            raise
        except Exception as error:
            await self._forget_if_closed()
            raise PublishError(f"NATS at {self.config.url}: {_describe(error)}") from error
        self._js = js
        return js

    async def _connect(self) -> Client:
        """Connected, or an error within twice the connect timeout (once connected, the
        client reconnects on its own for as long as it takes)."""
        client = Client()
        try:
            await asyncio.wait_for(client.connect(
                self.config.url, name="dom-relay",
                connect_timeout=max(1, round(self.config.connect_timeout_s)),
                allow_reconnect=True, max_reconnect_attempts=-1, reconnect_time_wait=1,
                error_cb=self._on_error, disconnected_cb=self._on_disconnected,
                reconnected_cb=self._on_reconnected), self.config.connect_timeout_s * 2)
        except BaseException:
            with contextlib.suppress(Exception):
                await client.close()
            raise
        return client

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        wanted = f"{self.config.subject_prefix}.>"
        try:
            info = await js.stream_info(self.config.stream)
        except NotFoundError:
            await js.add_stream(StreamConfig(
                name=self.config.stream, subjects=[wanted], retention=RetentionPolicy.LIMITS,
                storage=StorageType.FILE, duplicate_window=self.config.duplicate_window_s))
            log.info("created JetStream stream %s for %s", self.config.stream, wanted)
            return
        subjects = info.config.subjects or []
        if wanted not in subjects:
            log.warning("JetStream stream %s takes %s, not %s: events it does not take are "
                        "refused", self.config.stream, subjects, wanted)

    async def _forget_if_closed(self) -> None:
        if self._client is not None and self._client.is_closed:
            self._client, self._js = None, None

    async def _on_error(self, error: Exception) -> None:
        log.debug("NATS: %s", _describe(error))

    async def _on_disconnected(self) -> None:
        if not self._closed:
            log.warning("NATS connection to %s lost; reconnecting", self.config.url)

    async def _on_reconnected(self) -> None:
        log.info("NATS connection to %s back", self.config.url)

    async def _disconnect(self) -> None:
        client, self._client, self._js = self._client, None, None
        if client is not None and not client.is_closed:
            await client.close()


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".rstrip(": ")
