"""Escalation deduplication on both backends: one open escalation per key, a new one after a
resolution, and migration 0010 (the partial unique index) up, with data, and back down."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from dom.bootstrap import Container
from models.exceptions import Escalation
from storage.repositories.exceptions import SqlEscalationRepository
from tests.integration.storage.helpers import migrate

KEY = "fulfillment_delayed:ord_1:ful_1"
ROW = ("INSERT INTO escalations (id, order_id, kind, severity, reason, status, opened_at, "
       "dedupe_key) VALUES ('{id}', 'ord_1', 'fulfillment_delayed', 'high', 'late', "
       "'{status}', '2026-11-27 00:00:00+00:00', '{key}')")


def _escalation(escalation_id: str) -> Escalation:
    return Escalation(id=escalation_id, order_id="ord_1", kind="fulfillment_delayed",
                      severity="high", reason="late", status="open",
                      opened_at=datetime.now(UTC), dedupe_key=KEY, fulfillment_id="ful_1")


def _open(engine: Engine, escalation_id: str) -> bool:
    with engine.begin() as connection:
        return SqlEscalationRepository(connection).open(_escalation(escalation_id))


def _resolve(engine: Engine, escalation_id: str) -> None:
    with engine.begin() as connection:
        repository = SqlEscalationRepository(connection)
        escalation = repository.get(escalation_id)
        assert escalation is not None
        escalation.status = "resolved"
        repository.save(escalation)


def test_one_open_escalation_per_key_and_a_new_one_after_resolving(
        container: Container) -> None:
    engine = container.engine
    assert _open(engine, "esc_1") and not _open(engine, "esc_2")
    _resolve(engine, "esc_1")
    assert _open(engine, "esc_3") and not _open(engine, "esc_4")
    _resolve(engine, "esc_3")
    assert _open(engine, "esc_5")
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT id, status FROM escalations ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("esc_1", "resolved"), ("esc_3", "resolved"),
                                        ("esc_5", "open")]


def test_racing_openers_open_one_escalation(container: Container) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        opened = list(pool.map(lambda n: _open(container.engine, f"esc_{n}"), range(8)))
    assert sum(opened) == 1


def _insert(engine: Engine, escalation_id: str, status: str, key: str = KEY) -> None:
    with engine.begin() as connection:
        connection.execute(text(ROW.format(id=escalation_id, status=status, key=key)))


def _keys(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT id, status, dedupe_key FROM escalations ORDER BY id")).all()
    return [(r[0], r[1], r[2]) for r in rows]


def test_migration_0010_dedupes_open_escalations_only_and_goes_back(
        empty_engine: Engine) -> None:
    migrate(empty_engine, "0009")
    _insert(empty_engine, "esc_1", "resolved")
    with pytest.raises(IntegrityError):
        _insert(empty_engine, "esc_2", "open")

    migrate(empty_engine, "0010")
    _insert(empty_engine, "esc_2", "resolved")
    _insert(empty_engine, "esc_3", "open")
    with pytest.raises(IntegrityError):
        _insert(empty_engine, "esc_4", "open")
    _insert(empty_engine, "esc_5", "open", key="other")

    migrate(empty_engine, "0009", down=True)
    assert _keys(empty_engine) == [
        ("esc_1", "resolved", f"{KEY}:esc_1"), ("esc_2", "resolved", f"{KEY}:esc_2"),
        ("esc_3", "open", KEY), ("esc_5", "open", "other")]
    with pytest.raises(IntegrityError):
        _insert(empty_engine, "esc_6", "resolved")

    migrate(empty_engine, "head")
    _resolve(empty_engine, "esc_3")
    _insert(empty_engine, "esc_6", "open")
    assert [k for k in _keys(empty_engine) if k[1] == "open"] == [
        ("esc_5", "open", "other"), ("esc_6", "open", KEY)]
