"""Idempotency keys (IETF httpapi draft): one record per (caller, key), claimed atomically.

The first request inserts the record as ``in_progress``; the primary key makes a concurrent
duplicate fail to insert, so exactly one request does the work and the others see 409 or,
once it finished, the stored response.

A claim still ``in_progress`` after ``ABANDONED_AFTER`` belongs to a request whose process died
(kill -9, OOM, a host lost) before it could complete or forget it; without a bound the client's
retry would be answered 409 for the 24 hours the key is kept. The next claim takes it over and
runs the request again, which is safe because every idempotent endpoint also deduplicates by a
natural key (the channel order id, the order id): work the dead request committed is found,
not repeated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage.clock import utcnow
from storage.tables import idempotency_keys as K

KEEP_FOR = timedelta(hours=24)
# Longer than any request runs (the solver's time limit is at most 10 minutes).
ABANDONED_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class StoredKey:
    request_hash: str
    state: str
    status_code: int | None
    response_body: str | None
    response_headers: dict[str, str] | None
    expires_at: datetime


class SqlIdempotencyStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def claim(self, scope: str, key: str, request_hash: str) -> StoredKey | None:
        """Insert an in-progress record; returns the existing record if the key is taken."""
        now = utcnow()
        abandoned = and_(K.c.state == "in_progress", K.c.created_at < now - ABANDONED_AFTER)
        self._c.execute(delete(K).where(K.c.scope == scope, K.c.key == key,
                                        or_(K.c.expires_at < now, abandoned)))
        try:
            with self._c.begin_nested():
                self._c.execute(insert(K).values(scope=scope, key=key, request_hash=request_hash,
                                                 state="in_progress", created_at=now,
                                                 expires_at=now + KEEP_FOR))
            return None
        except IntegrityError:
            row = self._c.execute(select(K).where(K.c.scope == scope, K.c.key == key)
                                  ).mappings().one()
            return StoredKey(row["request_hash"], row["state"], row["status_code"],
                             row["response_body"], row["response_headers"], row["expires_at"])

    def complete(self, scope: str, key: str, status_code: int, body: str,
                 headers: dict[str, Any]) -> None:
        self._c.execute(update(K).where(K.c.scope == scope, K.c.key == key).values(
            state="completed", status_code=status_code, response_body=body,
            response_headers=headers, expires_at=utcnow() + KEEP_FOR))

    def forget(self, scope: str, key: str) -> None:
        """Drop a claim whose request failed unexpectedly, so the client may retry."""
        self._c.execute(delete(K).where(K.c.scope == scope, K.c.key == key))

    def purge_expired(self) -> int:
        return self._c.execute(delete(K).where(K.c.expires_at < utcnow())).rowcount
