"""Leases: one holder at a time for a named piece of background work, decided in the database."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage.tables import leases, outbox_cursors, webhook_deliveries

log = logging.getLogger("dom.leases")

# Every lease background work holds in the database: (table, owner column, expiry column).
LEASED = ((leases, leases.c.owner, leases.c.expires_at),
          (outbox_cursors, outbox_cursors.c.lease_owner, outbox_cursors.c.lease_expires_at),
          (webhook_deliveries, webhook_deliveries.c.lease_owner,
           webhook_deliveries.c.lease_expires_at))


def end_leases_of_gone_holders(connection: Connection, gone: Callable[[str], bool],
                               now: datetime) -> int:
    """Expire every unexpired lease whose holder ``gone`` says no longer runs; rows freed."""
    freed = 0
    for table, owner, expires in LEASED:
        holders = connection.execute(select(owner).distinct()
                                     .where(owner.is_not(None), expires >= now)).scalars()
        dead = [holder for holder in holders if gone(holder)]
        if not dead:
            continue
        ended = connection.execute(update(table).where(owner.in_(dead), expires >= now)
                                   .values({expires: now})).rowcount
        if ended:
            log.warning("ended %d lease(s) in %s held by %s, no longer running", ended,
                        table.name, ", ".join(dead))
        freed += ended
    return freed


class SqlLeaseStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def claim(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        """Take or renew the lease; False while another owner holds an unexpired one."""
        taken = self._c.execute(
            update(leases).where(leases.c.name == name,
                                 or_(leases.c.owner == owner, leases.c.expires_at < now))
            .values(owner=owner, expires_at=until))
        if taken.rowcount:
            return True
        try:
            with self._c.begin_nested():
                self._c.execute(insert(leases).values(name=name, owner=owner, expires_at=until))
        except IntegrityError:
            return False
        return True
