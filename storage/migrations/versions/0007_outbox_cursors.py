"""outbox cursors for the NATS relay

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbox_cursors',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('gaps', sa.JSON(), nullable=False),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_outbox_cursors'))
    )


def downgrade() -> None:
    op.drop_table('outbox_cursors')
