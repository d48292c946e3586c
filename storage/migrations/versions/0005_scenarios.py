"""scenarios: planners' what-if runs (request, KPIs, solver answer)

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-29

History is one line: 0001 -> 0002 -> 0004 -> 0003 -> 0005 (0003, webhooks, was written on top
of 0004), so ``upgrade head`` keeps working.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scenarios',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('request', sa.JSON(), nullable=False),
    sa.Column('kpis', sa.JSON(), nullable=True),
    sa.Column('solver', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenarios'))
    )


def downgrade() -> None:
    op.drop_table('scenarios')
