"""``Idempotency-Key`` (IETF httpapi draft) for POSTs that create things.

The same key and body return the first response; the same key with another body is 422; a
retry while the first request is still running is 409. Keys are scoped to the API key that
sent them and kept 24 hours. A request that failed unexpectedly (5xx) frees its key so the
client can retry it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.auth import Principal
from api.errors import domain_problem, problem
from dom.bootstrap import Container
from models import DomainError
from storage.repositories.idempotency import StoredKey

HEADER = "Idempotency-Key"
REPLAY_HEADERS = ("location", "content-type")


def fingerprint(method: str, path: str, body: bytes) -> str:
    """A digest of what was asked; JSON is canonicalised so key order and spaces do not count."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def _claim(container: Container, scope: str, key: str, digest: str) -> StoredKey | None:
    with container.uow() as uow:
        stored = uow.idempotency.claim(scope, key, digest)
        uow.commit()
    assert stored is None or isinstance(stored, StoredKey)
    return stored


def _complete(container: Container, scope: str, key: str, response: Response) -> None:
    headers = {k: v for k, v in response.headers.items() if k.lower() in REPLAY_HEADERS}
    with container.uow() as uow:
        uow.idempotency.complete(scope, key, response.status_code, bytes(response.body).decode(),
                                 headers)
        uow.commit()


def _forget(container: Container, scope: str, key: str) -> None:
    with container.uow() as uow:
        uow.idempotency.forget(scope, key)
        uow.commit()


async def idempotent(request: Request, principal: Principal, container: Container,
                     produce: Callable[[], Awaitable[Response]]) -> Response:
    key = request.headers.get(HEADER)
    if key is None:
        return await produce()
    if not 1 <= len(key) <= 255 or not key.isprintable():
        return problem(400, "Idempotency-Key must be 1 to 255 printable characters")
    digest = fingerprint(request.method, request.url.path, await request.body())
    stored = await run_in_threadpool(_claim, container, principal.scope, key, digest)
    if stored is not None:
        if stored.request_hash != digest:
            return problem(422, "this Idempotency-Key was already used with a different "
                                "request body; use a new key for a new request",
                           title="Idempotency-Key reused")
        if stored.state != "completed" or stored.status_code is None:
            return problem(409, "a request with this Idempotency-Key is still being processed; "
                                "retry later", headers={"Retry-After": "1"})
        headers = dict(stored.response_headers or {})
        headers["Idempotent-Replayed"] = "true"
        return Response(stored.response_body or "", status_code=stored.status_code,
                        headers=headers)
    try:
        response = await produce()
    except DomainError as error:
        response = domain_problem(error)
    except BaseException:
        await run_in_threadpool(_forget, container, principal.scope, key)
        raise
    if response.status_code >= 500:
        await run_in_threadpool(_forget, container, principal.scope, key)
    else:
        await run_in_threadpool(_complete, container, principal.scope, key, response)
    return response


def json_response(status: int, content: object, location: str | None = None) -> JSONResponse:
    headers = {"Location": location} if location else None
    return JSONResponse(content, status_code=status, headers=headers)
