"""Migration 0011 (customer_services.qty and source) on both backends: up, with data, and down."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from tests.integration.storage.helpers import migrate
from tests.integration.storage.test_migration_deliver_by import ORDER, PRODUCT

WARRANTY = ("INSERT INTO products (sku, name, kind, created_at, updated_at) VALUES ('CARE', "
            "'Care', 'service', '2026-11-27 00:00:00+00:00', '2026-11-27 00:00:00+00:00')")
LINES = ("INSERT INTO order_lines (order_id, line_id, position, sku, qty, unit_price, "
         "covers_line_id, is_service) VALUES ('ord_1', '1', 0, 'LAPTOP', 3, 1.0, NULL, false), "
         "('ord_1', '2', 1, 'CARE', 3, 1.0, '1', true)")
SERVICE = ("INSERT INTO customer_services (id, customer_id, order_id, line_id, sku, name, "
           "starts, status, registered_at{extra}) VALUES ('{id}', 'C-1', 'ord_1', '2', 'CARE', "
           "'Care', '2026-11-27', 'active', '2026-11-27 00:00:00+00:00'{value})")


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("customer_services")}


def test_old_whole_line_registrations_get_the_line_s_units_and_new_ones_count_units(
        empty_engine: Engine) -> None:
    migrate(empty_engine, "0010")
    with empty_engine.begin() as connection:
        connection.execute(text(PRODUCT))
        connection.execute(text(WARRANTY))
        connection.execute(text(ORDER.format(id="ord_1", extra="", value="")))
        connection.execute(text(LINES))
        connection.execute(text(SERVICE.format(id="svc_old", extra="", value="")))

    migrate(empty_engine, "0011")
    assert {"qty", "source"} <= _columns(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(text(SERVICE.format(id="svc_new", extra=", qty, source",
                                               value=", 1, 'ful_2'")))
        rows = connection.execute(text(
            "SELECT id, qty, source FROM customer_services ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [("svc_new", 1, "ful_2"), ("svc_old", 3, "line")]
    with pytest.raises(IntegrityError), empty_engine.begin() as connection:  # once per source
        connection.execute(text(SERVICE.format(id="svc_again", extra=", qty, source",
                                               value=", 1, 'ful_2'")))

    migrate(empty_engine, "0010", down=True)
    assert not {"qty", "source"} & _columns(empty_engine)
    with empty_engine.connect() as connection:
        kept = connection.execute(text("SELECT id FROM customer_services")).scalars().all()
    assert kept == ["svc_new"]  # one row per order line, the earliest id

    migrate(empty_engine, "head")
    assert {"qty", "source"} <= _columns(empty_engine)
