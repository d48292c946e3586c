"""API keys and roles.

The key is checked in middleware, before routing and before any body is parsed, so a caller
without a valid key learns nothing (401) however malformed its request. Routes then declare
which roles may call them (403 for the others); suppliers and locations are further limited to
their own objects by the routers.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import problem
from dom.settings import ApiKey
from models import Forbidden

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PUBLIC_PREFIXES = ("/v1/track/",)


@dataclass(frozen=True)
class Principal:
    role: str
    subject: str | None
    scope: str  # a digest of the key: scopes idempotency keys without storing the secret

    def owns(self, location_id: str | None) -> bool:
        return self.subject is not None and location_id == self.subject

    @property
    def is_partner(self) -> bool:
        return self.role in ("supplier", "location")


def principal_for(key: ApiKey) -> Principal:
    digest = hashlib.sha256(key.key.encode()).hexdigest()[:32]
    return Principal(role=key.role, subject=key.subject, scope=digest)


def secret_digest(secret: str) -> bytes:
    """A secret's SHA-256: digests compare in constant time and equal length (no length leak)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).digest()


def bearer_token(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None for another scheme."""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


class ApiKeyMiddleware:
    """Rejects /v1 requests without a valid bearer key with 401, before anything else runs."""

    def __init__(self, app: ASGIApp, keys: dict[str, ApiKey]) -> None:
        self.app = app
        # (digest of the key, its principal): a lookup compares digests in constant time
        self.principals = [(secret_digest(k), principal_for(v))
                           for k, v in keys.items()]

    def find(self, token: str) -> Principal | None:
        """The key's principal, comparing with every configured key in constant time: no
        early exit on the first differing character, no hash-table probe keyed by the secret."""
        offered = secret_digest(token)
        found: Principal | None = None
        for digest, principal in self.principals:
            if hmac.compare_digest(offered, digest):
                found = principal
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/v1/") or \
                path.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        token = bearer_token(header)
        principal = self.find(token) if token is not None else None
        if principal is None:
            detail = ("missing API key: send Authorization: Bearer <key>" if not header
                      else "the API key is not valid")
            response = problem(401, detail, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


_bearer = HTTPBearer(auto_error=False, description="An API key from DOM_API_KEYS")


def current_principal(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    principal = getattr(request.state, "principal", None)
    assert isinstance(principal, Principal), "ApiKeyMiddleware must run before the routes"
    return principal


def allow(*roles: str) -> Callable[..., Principal]:
    """A dependency admitting only ``roles`` (admin always)."""
    permitted = frozenset(roles) | {"admin"}

    def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in permitted:
            raise Forbidden(f"the {principal.role} role may not do this; it needs one of: "
                            f"{', '.join(sorted(permitted))}")
        return principal

    return check


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
Admin = Annotated[Principal, Depends(allow())]
Reader = Annotated[Principal, Depends(allow("ops", "channel", "planner", "supplier",
                                            "location"))]
OrderWriter = Annotated[Principal, Depends(allow("ops", "channel"))]
OrderReader = Annotated[Principal, Depends(allow("ops", "channel", "planner"))]
StockWriter = Annotated[Principal, Depends(allow("supplier", "location"))]
Allocator = Annotated[Principal, Depends(allow("channel", "planner"))]
PolicyWriter = Annotated[Principal, Depends(allow("planner"))]
FulfillmentActor = Annotated[Principal, Depends(allow("ops", "supplier", "location"))]
Operator = Annotated[Principal, Depends(allow("ops"))]
