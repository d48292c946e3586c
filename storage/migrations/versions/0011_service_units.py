"""customer_services: registrations count units, one per delivered parcel

A service line was registered whole on the first delivery of its product, so two warranties
on two laptops both started with the first laptop, and a laptop cancelled afterwards kept its
warranty. Registrations now carry ``qty`` (the units they cover) and ``source`` (the delivered
fulfillment that registered them, ``paid`` for a standalone service), unique per order line
and source instead of per order line.

Rows from before were whole-line registrations: they get the line's quantity from
``order_lines`` and the source ``line`` (one such row per line, as the old constraint allowed).
The downgrade keeps one row per order line (the earliest id) and drops the two columns.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customer_services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qty', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=40), nullable=True))
    op.execute(
        "UPDATE customer_services SET source = 'line', qty = COALESCE(("
        "SELECT order_lines.qty FROM order_lines "
        "WHERE order_lines.order_id = customer_services.order_id "
        "AND order_lines.line_id = customer_services.line_id), 1)")
    with op.batch_alter_table('customer_services', schema=None) as batch_op:
        batch_op.alter_column('qty', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('source', existing_type=sa.String(length=40), nullable=False)
        batch_op.create_check_constraint(op.f('ck_customer_services_qty_positive'), 'qty > 0')
        batch_op.drop_constraint('uq_customer_services_order_line', type_='unique')
        batch_op.create_unique_constraint('uq_customer_services_order_line_source',
                                          ['order_id', 'line_id', 'source'])


def downgrade() -> None:
    op.execute(
        "DELETE FROM customer_services WHERE id NOT IN ("
        "SELECT min(id) FROM customer_services GROUP BY order_id, line_id)")
    with op.batch_alter_table('customer_services', schema=None) as batch_op:
        batch_op.drop_constraint('uq_customer_services_order_line_source', type_='unique')
        batch_op.drop_constraint(op.f('ck_customer_services_qty_positive'), type_='check')
        batch_op.create_unique_constraint('uq_customer_services_order_line',
                                          ['order_id', 'line_id'])
        batch_op.drop_column('source')
        batch_op.drop_column('qty')
