"""order_lines: a service line keeps the terms it was sold with

A warranty's name, type and term were read from the catalog when the product arrived, so a
catalog edit in between (a 3-year warranty renamed and shortened to 2 years) changed what a
customer who had bought the 3-year one got registered. Service lines now keep the catalog's
``name``, ``service_type`` and ``term_months`` as of intake (``service_name`` NULL: a product
line).

Existing service lines take the catalog's current values: the best record of what was sold.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('service_type', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('term_months', sa.Integer(), nullable=True))
    for column, source in (("service_name", "name"), ("service_type", "service_type"),
                           ("term_months", "term_months")):
        op.execute(
            f"UPDATE order_lines SET {column} = (SELECT products.{source} FROM products "
            "WHERE products.sku = order_lines.sku) WHERE order_lines.is_service")


def downgrade() -> None:
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_column('term_months')
        batch_op.drop_column('service_type')
        batch_op.drop_column('service_name')
