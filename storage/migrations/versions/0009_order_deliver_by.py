"""orders.deliver_by: the channel's optional delivery deadline

A calendar day (UTC); NULL for every existing order and for orders without a deadline, so the
upgrade needs no backfill and the downgrade only drops the column (the deadlines are lost).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('orders', sa.Column('deliver_by', sa.Date(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite (3.35+) drops a plain column in place. Batch mode would copy the table and
        # drop the old one, which order_lines, fulfillments and the rest refer to.
        op.execute('ALTER TABLE orders DROP COLUMN deliver_by')
    else:
        op.drop_column('orders', 'deliver_by')
