"""Engines for SQLite (the embedded default) and PostgreSQL, made on demand, never at import.

SQLite: WAL so readers never block the writer, a busy timeout so writers queue instead of
failing, and ``BEGIN IMMEDIATE`` for write transactions so two writers cannot both read and
then collide on upgrade (SQLite ignores ``SELECT ... FOR UPDATE``; the ledger relies on
conditional updates instead).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "dom_read_only"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> Engine:
    """Create an engine for ``url`` with the settings dom's transactions rely on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "pool_size": pool_size, "max_overflow": 10}
    return create_engine(url, echo=echo, **kwargs)


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine
