"""The repository: SQLAlchemy 2 tables, the stock ledger's SQL, the concrete unit of work.

Nothing here runs at import time: engines are made by ``storage.engine.make_engine``.
"""

from storage.engine import make_engine
from storage.migrate import schema_is_current, upgrade
from storage.uow import SqlUnitOfWork, transaction

__all__ = ["SqlUnitOfWork", "make_engine", "schema_is_current", "transaction", "upgrade"]
