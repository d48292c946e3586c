"""Migrations on both backends: the schema they build is the one the code declares, and data
moved by a migration survives the round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

from storage import make_engine
from storage.migrate import alembic_config
from storage.tables import metadata
from tests.conftest import PostgresDatabases


@pytest.fixture(params=["sqlite", "postgres"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/empty.db"
    else:
        databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
        url = databases.create(migrated=False)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_the_migrated_schema_is_the_declared_one(empty_engine: Engine) -> None:
    _migrate(empty_engine, "head")
    with empty_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_the_webhook_cursor_moves_into_outbox_cursors_and_back(empty_engine: Engine) -> None:
    _migrate(empty_engine, "0007")
    with empty_engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO webhook_cursor (id, position, gaps, lease_owner) "
            "VALUES (1, 42, '{\"40\": \"2026-11-27T00:00:00+00:00\"}', 'host:1:ab')"))
    _migrate(empty_engine, "head")
    with empty_engine.connect() as connection:
        moved = connection.execute(text(
            "SELECT name, position, lease_owner FROM outbox_cursors")).all()
    assert [tuple(row) for row in moved] == [("webhooks", 42, "host:1:ab")]

    _migrate(empty_engine, "0007", down=True)
    with empty_engine.connect() as connection:
        back = connection.execute(text("SELECT id, position FROM webhook_cursor")).all()
        left = connection.execute(text("SELECT count(*) FROM outbox_cursors")).scalar_one()
    assert [tuple(row) for row in back] == [(1, 42)] and left == 0
