"""the webhook fan-out's cursor moves into outbox_cursors (name 'webhooks')

One table for every outbox reader: the webhook fan-out and the NATS relay keep the same kind of
cursor (position, gaps, lease), so they share one table and one repository.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO outbox_cursors (name, position, gaps, lease_owner, lease_expires_at) "
        "SELECT 'webhooks', position, gaps, lease_owner, lease_expires_at FROM webhook_cursor")
    op.drop_table('webhook_cursor')


def downgrade() -> None:
    op.create_table('webhook_cursor',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('gaps', sa.JSON(), nullable=False),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_cursor'))
    )
    op.execute(
        "INSERT INTO webhook_cursor (id, position, gaps, lease_owner, lease_expires_at) "
        "SELECT 1, position, gaps, lease_owner, lease_expires_at FROM outbox_cursors "
        "WHERE name = 'webhooks'")
    op.execute("DELETE FROM outbox_cursors WHERE name = 'webhooks'")
