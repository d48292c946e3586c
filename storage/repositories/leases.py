"""Leases: one holder at a time for a named piece of background work, decided in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, or_, update
from sqlalchemy.exc import IntegrityError

from storage.tables import leases


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
