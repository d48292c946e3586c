"""An order's events as server-sent events: what happened so far, then each new one live.

New events are found by reading the events table (``seq`` after the last one sent) every
``DOM_STREAM_POLL_INTERVAL_S``, so a stream sees what any worker process commits. Each SSE
``id`` is the event's seq: a client that reconnects with ``Last-Event-ID`` gets exactly the
events after it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.auth import OrderReader
from api.deps import ContainerDep
from api.schemas.common import PROBLEM_RESPONSES
from api.schemas.orders import TimelineItem
from dom.bootstrap import Container
from models import Event, InvalidInput, NotFound
from models.events import MAX_SEQ

PING_S = 15.0
SEND_TIMEOUT_S = 30.0
BATCH = 200

router = APIRouter(prefix="/v1/orders", tags=["orders"], responses=PROBLEM_RESPONSES)

STREAM_RESPONSE: dict[int | str, dict[str, object]] = {200: {
    "description": "Server-sent events: `id` is the event's seq, `event` its type, `data` the "
                   "event as JSON (the timeline item's shape). A comment line keeps the "
                   "connection alive.",
    "content": {"text/event-stream": {"schema": {"type": "string"}}}}}


def _after(header: str | None, query: int | None) -> int:
    """The seq to resume after: the header (a reconnecting browser sends it) wins."""
    if header is None or not header.strip():
        return query or 0
    value = header.strip()
    if not (value.isascii() and value.isdigit()):  # "²" is a digit to isdigit, not to int
        raise InvalidInput("Last-Event-ID must be the seq of an event (a whole number)",
                           loc=("header", "Last-Event-ID"))
    if len(value) > len(str(MAX_SEQ)) or int(value) > MAX_SEQ:
        raise InvalidInput(f"Last-Event-ID must be at most {MAX_SEQ}",
                           loc=("header", "Last-Event-ID"))
    return int(value)


def _read(container: Container, order_id: str, after: int) -> list[Event]:
    with container.uow(write=False) as uow:
        return uow.events.for_order(order_id, after_seq=after, limit=BATCH)


def _check_order(container: Container, order_id: str) -> None:
    with container.uow(write=False) as uow:
        if uow.orders.get(order_id) is None:
            raise NotFound(f"order {order_id!r} does not exist")


def _sse(event: Event) -> ServerSentEvent:
    body = TimelineItem.of(event).model_dump(mode="json")
    return ServerSentEvent(data=json.dumps(body, separators=(",", ":")), id=str(event.seq),
                           event=event.type)


async def _follow(container: Container, order_id: str, after: int) -> AsyncIterator[
        ServerSentEvent]:
    interval = container.settings.stream_poll_interval_s
    last = after
    while True:
        batch = await run_in_threadpool(_read, container, order_id, last)
        for event in batch:
            yield _sse(event)
            last = event.seq or last
        if len(batch) < BATCH:
            await asyncio.sleep(interval)


@router.get("/{order_id}/stream", response_class=EventSourceResponse, responses=STREAM_RESPONSE)
async def stream_order(
    order_id: Annotated[str, Path(min_length=1, max_length=40)], _: OrderReader,
    container: ContainerDep,
    last_event_id: Annotated[int | None, Query(ge=0, le=MAX_SEQ, description=(
        "Resume after this seq (for clients that cannot send the Last-Event-ID header)."))] = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20,
                                                       description="Resume after this seq."
                                                       )] = None,
) -> EventSourceResponse:
    """The order's events so far (or after Last-Event-ID), then each new one as it happens."""
    after = _after(last_event_id_header, last_event_id)
    await run_in_threadpool(_check_order, container, order_id)
    return EventSourceResponse(_follow(container, order_id, after), ping=PING_S,
                               send_timeout=SEND_TIMEOUT_S)
