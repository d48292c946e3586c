"""Migration 0009 (orders.deliver_by) on both backends: up, with data, and back down."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from tests.integration.storage.helpers import migrate

ORDER = ("INSERT INTO orders (id, channel, channel_order_id, customer_id, customer, "
         "delivery_method, priority, currency, payment_status, status, tracking_token, total, "
         "attributes, created_at, updated_at, version, event_seq{extra}) VALUES ('{id}', 'web', "
         "'{id}', 'C-1', '{{}}', 'ship', 0, 'USD', 'authorized', 'received', 't', 1.0, '{{}}', "
         "'2026-11-27 00:00:00+00:00', '2026-11-27 00:00:00+00:00', 0, 0{value})")
PRODUCT = ("INSERT INTO products (sku, name, kind, created_at, updated_at) VALUES ('LAPTOP', "
           "'Laptop', 'product', '2026-11-27 00:00:00+00:00', '2026-11-27 00:00:00+00:00')")
LINE = ("INSERT INTO order_lines (order_id, line_id, position, sku, qty, unit_price, "
        "is_service) VALUES ('{id}', '1', 0, 'LAPTOP', 1, 1.0, false)")


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("orders")}


def _insert(engine: Engine, order_id: str, deliver_by: str | None = None) -> None:
    extra, value = ("", "") if deliver_by is None else (", deliver_by", f", '{deliver_by}'")
    with engine.begin() as connection:
        connection.execute(text(ORDER.format(id=order_id, extra=extra, value=value)))
        connection.execute(text(LINE.format(id=order_id)))


def test_deliver_by_is_added_empty_and_dropped_keeping_the_orders(empty_engine: Engine) -> None:
    migrate(empty_engine, "0008")
    with empty_engine.begin() as connection:
        connection.execute(text(PRODUCT))
    assert "deliver_by" not in _columns(empty_engine)
    _insert(empty_engine, "ord_old")

    migrate(empty_engine, "0009")
    assert "deliver_by" in _columns(empty_engine)
    _insert(empty_engine, "ord_new", "2026-12-03")
    with empty_engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT id, deliver_by FROM orders ORDER BY id")).all()
    assert [(row[0], str(row[1]) if row[1] else None) for row in rows] == \
        [("ord_new", "2026-12-03"), ("ord_old", None)]

    migrate(empty_engine, "0008", down=True)
    assert "deliver_by" not in _columns(empty_engine)
    with empty_engine.connect() as connection:
        orders = connection.execute(text("SELECT id FROM orders ORDER BY id")).scalars().all()
        lines = connection.execute(text("SELECT count(*) FROM order_lines")).scalar_one()
    assert orders == ["ord_new", "ord_old"] and lines == 2

    migrate(empty_engine, "head")
    assert "deliver_by" in _columns(empty_engine)
