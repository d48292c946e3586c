"""The app factory: one FastAPI app per container, nothing created at import time."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import background, errors, observability
from api.auth import ApiKeyMiddleware
from api.limits import BodySizeLimitMiddleware
from api.routers import (
    allocation,
    channels,
    console,
    customers,
    fulfillments,
    health,
    inventory,
    locations,
    operations,
    orders,
    products,
    scenarios,
    stream,
    track,
    webhooks,
)
from api.text_guard import NulCharacterGuard
from broker.running import relaying
from dom.bootstrap import Container, bootstrap
from dom.settings import Settings
from optimizer.backends import warm_up

DESCRIPTION = """Distributed Order Management: every channel's orders in one repository,
stock across warehouses, stores and suppliers, sourcing by an exact optimizer.

Authenticate with `Authorization: Bearer <key>` (keys and roles from `DOM_API_KEYS`).
Errors are `application/problem+json` (RFC 9457)."""


def create_app(container: Container | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app around ``container`` (or bootstrap one from ``settings`` / the environment)."""
    owned = container is None
    live = container or bootstrap(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # solver libraries load in the background: the first allocate must not pay for them
        threading.Thread(target=warm_up, name="optimizer-warm-up", daemon=True).start()
        async with background.timer_loop(live), webhooks.dispatching(live), relaying(live):
            yield
        if owned:
            live.close()

    app = FastAPI(title="dom", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.container = live
    errors.install(app)
    for module in (health, locations, products, inventory, orders, channels, allocation,
                   fulfillments, operations, customers, track, console, webhooks, stream,
                   scenarios):
        app.include_router(module.router)
    app.add_middleware(NulCharacterGuard)  # inside auth: a request without a key gets 401
    app.add_middleware(ApiKeyMiddleware, keys=live.api_keys)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=live.settings.max_body_bytes)
    app.add_middleware(observability.RequestObservation)
    app.include_router(observability.router)
    observability.install_hooks()
    return app
