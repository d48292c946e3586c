"""Migration 0012 (order_lines keep a service's terms as sold) on both backends: up, with data,
and down."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from tests.integration.storage.helpers import migrate
from tests.integration.storage.test_migration_deliver_by import ORDER, PRODUCT
from tests.integration.storage.test_migration_service_units import LINES

TERMS = {"service_name", "service_type", "term_months"}
WARRANTY = ("INSERT INTO products (sku, name, kind, service_type, term_months, created_at, "
            "updated_at) VALUES ('CARE', 'Care 3y', 'service', 'warranty', 36, "
            "'2026-11-27 00:00:00+00:00', '2026-11-27 00:00:00+00:00')")


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("order_lines")}


def test_existing_service_lines_take_the_catalog_s_terms_and_product_lines_none(
        empty_engine: Engine) -> None:
    migrate(empty_engine, "0011")
    with empty_engine.begin() as connection:
        connection.execute(text(PRODUCT))
        connection.execute(text(WARRANTY))
        connection.execute(text(ORDER.format(id="ord_1", extra="", value="")))
        connection.execute(text(LINES))

    migrate(empty_engine, "0012")
    assert _columns(empty_engine) >= TERMS
    with empty_engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT line_id, service_name, service_type, term_months FROM order_lines "
            "ORDER BY line_id")).all()
    assert [tuple(row) for row in rows] == [("1", None, None, None),
                                            ("2", "Care 3y", "warranty", 36)]

    migrate(empty_engine, "0011", down=True)
    assert not TERMS & _columns(empty_engine)
    migrate(empty_engine, "head")
    assert _columns(empty_engine) >= TERMS
