"""Running the outbox relay: beside the API (``relaying``) or on its own (``dom relay``).

Every API worker may run one; the cursor's lease lets one relay publish at a time, so N
workers on M hosts publish each event once (and JetStream drops what a dying relay's successor
publishes again). The relay runs in a thread of its own because both the database work and
the wait for each acknowledgement block.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from broker.jetstream import JetStreamConfig, JetStreamPublisher
from dom.bootstrap import Container
from dom.settings import Settings
from lifecycle.event_relay import EventRelay, run_until

log = logging.getLogger("dom.relay")


def config_of(settings: Settings) -> JetStreamConfig | None:
    """The JetStream settings, or None while DOM_NATS_URL is unset (the relay is off)."""
    if not settings.nats_url:
        return None
    return JetStreamConfig(url=settings.nats_url, stream=settings.nats_stream,
                           subject_prefix=settings.nats_subject_prefix,
                           duplicate_window_s=settings.nats_duplicate_window_s)


def relay_for(container: Container, publisher: JetStreamPublisher) -> EventRelay:
    return EventRelay(container.uow_factory, publisher, reader=container.reader)


class RelayThread:
    """The relay's loop in a daemon thread, stopped (and its connection closed) by ``stop``."""

    def __init__(self, container: Container, config: JetStreamConfig) -> None:
        self.publisher = JetStreamPublisher(config)
        self.relay = relay_for(container, self.publisher)
        self._stop = threading.Event()
        interval = container.settings.nats_poll_interval_s
        self._thread = threading.Thread(target=run_until, args=(self.relay, self._stop),
                                        kwargs={"interval_s": interval}, daemon=True,
                                        name="dom-relay")

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        self.relay.stop()
        self._thread.join(timeout=timeout_s)
        if self._thread.is_alive():
            log.warning("the relay did not stop within %.0f s", timeout_s)
        self.publisher.close()


@asynccontextmanager
async def relaying(container: Container) -> AsyncIterator[None]:
    """Publish the outbox to NATS while the app lives (off while DOM_NATS_URL is unset).

    Starting never waits for NATS: the relay connects on its first pass and retries with
    backoff, so a server whose broker is down still serves requests."""
    config = config_of(container.settings)
    if config is None:
        yield
        return
    runner = RelayThread(container, config)
    runner.start()
    log.info("relaying events to %s (stream %s)", config.url, config.stream)
    try:
        yield
    finally:
        await asyncio.to_thread(runner.stop)
