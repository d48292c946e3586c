"""The concrete unit of work: one database transaction and the repositories bound to it.

A handler opens it, works through the repositories, and commits once; nothing below it commits.
Leaving the block without ``commit()`` rolls everything back, so a failed plan writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy import Connection, Engine

from lifecycle.uow import UnitOfWork
from storage.engine import READ_ONLY
from storage.repositories.catalog import SqlProductRepository
from storage.repositories.events import SqlEventStore
from storage.repositories.exceptions import (
    SqlEscalationRepository,
    SqlNotificationLog,
    SqlServiceRegistry,
)
from storage.repositories.fulfillments import SqlFulfillmentRepository
from storage.repositories.idempotency import SqlIdempotencyStore
from storage.repositories.leases import SqlLeaseStore
from storage.repositories.ledger import SqlStockLedger
from storage.repositories.locations import SqlLocationRepository
from storage.repositories.orders import SqlOrderRepository
from storage.repositories.outbox import SqlOutboxRepository
from storage.repositories.policy import SqlPolicyStore
from storage.repositories.scenarios import SqlScenarioRepository
from storage.repositories.webhooks import SqlWebhookRepository


@contextmanager
def transaction(engine: Engine, *, write: bool = True) -> Iterator[Connection]:
    """A connection inside one transaction; committed when the block ends without error."""
    with engine.connect() as connection:
        if not write:
            connection = connection.execution_options(**{READ_ONLY: True})
        with connection.begin():
            yield connection


class SqlUnitOfWork(UnitOfWork):
    """Opens a transaction on enter; ``commit()`` makes it durable, leaving without it undoes it."""

    def __init__(self, engine: Engine, *, write: bool = True) -> None:
        self._engine = engine
        self._write = write
        self._connection: Connection | None = None

    def __enter__(self) -> SqlUnitOfWork:
        connection = self._engine.connect()
        if not self._write:
            connection = connection.execution_options(**{READ_ONLY: True})
        connection.begin()
        self._connection = connection
        self.locations = SqlLocationRepository(connection)
        self.products = SqlProductRepository(connection)
        self.ledger = SqlStockLedger(connection)
        self.events = SqlEventStore(connection)
        self.orders = SqlOrderRepository(connection, self.events)
        self.idempotency = SqlIdempotencyStore(connection)
        self.leases = SqlLeaseStore(connection)
        self.fulfillments = SqlFulfillmentRepository(connection)
        self.policy = SqlPolicyStore(connection)
        self.services = SqlServiceRegistry(connection)
        self.escalations = SqlEscalationRepository(connection)
        self.notifications = SqlNotificationLog(connection)
        self.webhooks = SqlWebhookRepository(connection)
        self.scenarios = SqlScenarioRepository(connection)
        self.outbox = SqlOutboxRepository(connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection = self._connection
        self._connection = None
        if connection is None:
            return
        try:
            if connection.in_transaction():
                connection.rollback()
        finally:
            connection.close()

    def commit(self) -> None:
        assert self._connection is not None, "commit() outside the unit of work"
        self._connection.commit()

    def rollback(self) -> None:
        assert self._connection is not None, "rollback() outside the unit of work"
        self._connection.rollback()
