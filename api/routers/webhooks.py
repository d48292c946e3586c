"""Webhooks: admins subscribe URLs to order events; a dispatcher in each worker delivers them.

Delivery runs beside the requests, as long as the app lives (``dispatching``); every dispatcher
claims its work in the database, so any number of workers and hosts can run one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from starlette.concurrency import run_in_threadpool

from api.auth import Admin
from api.deps import ContainerDep, Cursor, Limit, decode_cursor, encode_cursor, run
from api.loops import pause, stop_and_wait
from api.schemas.common import PROBLEM_RESPONSES, Page
from api.schemas.webhooks import WebhookCreated, WebhookIn, WebhookOut
from dom.bootstrap import Container
from lifecycle import webhooks
from lifecycle.webhook_dispatch import HttpSender, WebhookDispatcher
from lifecycle.webhook_guard import check_destination

log = logging.getLogger("dom.webhooks")

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], responses=PROBLEM_RESPONSES)

WebhookId = Annotated[str, Path(min_length=1, max_length=40)]


@router.post("", response_model=WebhookCreated, status_code=201,
             response_model_exclude_none=True)
def create_webhook(body: WebhookIn, _: Admin, container: ContainerDep,
                   response: Response) -> WebhookCreated:
    """Subscribe a URL to the events stored from now on (signed; the secret is not echoed)."""
    check_destination(body.url, allow_private=container.settings.webhook_allow_private)
    secret = body.secret or webhooks.new_secret()
    subscription = run(lambda: webhooks.subscribe(container.uow_factory, body.url, body.events,
                                                  secret, datetime.now(UTC)))
    response.headers["Location"] = f"/v1/webhooks/{subscription.id}"
    created = WebhookCreated(**WebhookOut.of(subscription).model_dump())
    if body.secret is None:
        created.secret = secret
    return created


@router.get("", response_model=Page[WebhookOut])
def list_webhooks(_: Admin, container: ContainerDep, limit: Limit = 50,
                  cursor: Cursor = None) -> Page[WebhookOut]:
    """Every subscription, oldest first."""
    with container.uow(write=False) as uow:
        found = uow.webhooks.page(after=decode_cursor(cursor), limit=limit + 1)
    items = found[:limit]
    return Page(items=[WebhookOut.of(s) for s in items],
                next_cursor=encode_cursor(items[-1].id) if len(found) > limit else None)


@router.get("/{webhook_id}", response_model=WebhookOut)
def get_webhook(webhook_id: WebhookId, _: Admin, container: ContainerDep) -> WebhookOut:
    """One subscription."""
    return WebhookOut.of(webhooks.get(container.reader, webhook_id))


@router.delete("/{webhook_id}", status_code=204, response_class=Response)
def delete_webhook(webhook_id: WebhookId, _: Admin, container: ContainerDep) -> Response:
    """Unsubscribe; deliveries still owed to it are dropped."""
    run(lambda: webhooks.unsubscribe(container.uow_factory, webhook_id))
    return Response(status_code=204)


# --- the dispatcher's loop ----------------------------------------------------------------------


async def _loop(dispatcher: WebhookDispatcher, interval_s: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            busy = (await run_in_threadpool(dispatcher.run_once)).busy
        except Exception:
            log.exception("webhook dispatch failed; trying again in %.1f s", interval_s)
            busy = False
        if not busy and not await pause(stop, interval_s):
            break


@asynccontextmanager
async def dispatching(container: Container) -> AsyncIterator[None]:
    """Deliver webhooks while the app lives (off when DOM_WEBHOOK_POLL_INTERVAL_S is 0)."""
    interval = container.settings.webhook_poll_interval_s
    if interval <= 0:
        yield
        return
    sender = HttpSender()
    dispatcher = WebhookDispatcher(container.uow_factory, reader=container.reader,
                                   sender=sender,
                                   allow_private=container.settings.webhook_allow_private)
    stop = asyncio.Event()
    task = asyncio.create_task(_loop(dispatcher, interval, stop))
    try:
        yield
    finally:
        dispatcher.stop()  # the delivery under way finishes, no new one starts
        await stop_and_wait(stop, task, "webhook dispatcher")
        sender.close()  # only once no send can still be using it
