"""Migrations on both backends: the schema they build is the one the code declares, and data
moved by a migration survives the round trip."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

from storage.tables import metadata
from tests.integration.storage.helpers import migrate


def test_the_migrated_schema_is_the_declared_one(empty_engine: Engine) -> None:
    migrate(empty_engine, "head")
    with empty_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_the_webhook_cursor_moves_into_outbox_cursors_and_back(empty_engine: Engine) -> None:
    migrate(empty_engine, "0007")
    with empty_engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO webhook_cursor (id, position, gaps, lease_owner) "
            "VALUES (1, 42, '{\"40\": \"2026-11-27T00:00:00+00:00\"}', 'host:1:ab')"))
    migrate(empty_engine, "head")
    with empty_engine.connect() as connection:
        moved = connection.execute(text(
            "SELECT name, position, lease_owner FROM outbox_cursors")).all()
    assert [tuple(row) for row in moved] == [("webhooks", 42, "host:1:ab")]

    migrate(empty_engine, "0007", down=True)
    with empty_engine.connect() as connection:
        back = connection.execute(text("SELECT id, position FROM webhook_cursor")).all()
        left = connection.execute(text("SELECT count(*) FROM outbox_cursors")).scalar_one()
    assert [tuple(row) for row in back] == [(1, 42)] and left == 0
