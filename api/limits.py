"""Request bodies are capped: a client cannot make the server buffer an unbounded upload.

The body is read here (up to the cap) before the app sees it, so a chunked upload without a
Content-Length is refused with 413 as surely as one that declares its size.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from typing import Any

from api.auth import ASGIApp, Receive, Scope, Send
from api.errors import problem


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # every method: a GET with a body is read (by the NUL guard) as surely as a POST, and
        # /healthz, /metrics and /v1/track need no key, so the cap is all that bounds it
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        body, interrupted = await read_body(receive, self.max_bytes)
        if interrupted is not None:
            await self.app(scope, replay(b"", interrupted), send)
            return
        if body is None:
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, replay(body, None, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, f"the request body is over the limit of {self.max_bytes} bytes")
        await response(scope, receive, send)


async def read_body(receive: Receive, max_bytes: float = math.inf
                    ) -> tuple[bytes | None, MutableMapping[str, Any] | None]:
    """Read the whole request body: ``(body, None)``; ``(None, None)`` once it passes
    ``max_bytes`` (the rest is left unread); ``(None, message)`` when the client went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None, message
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return None, None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), None


def replay(body: bytes, final: MutableMapping[str, Any] | None,
           upstream: Receive | None = None) -> Receive:
    """A receive() that hands the app the buffered body (or ``final``, the message that came
    instead), then defers to the real one."""
    sent = False

    async def receive() -> MutableMapping[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            if final is not None:
                return final
            return {"type": "http.request", "body": body, "more_body": False}
        if upstream is not None:
            return await upstream()
        return {"type": "http.disconnect"}

    return receive
