"""escalations: dedupe_key unique among open escalations only

0004 made ``dedupe_key`` unique across every status, so once an escalation for a fulfillment
was resolved the same trouble could never be escalated again. The upgrade swaps that
constraint for a partial unique index (``WHERE status = 'open'``, on SQLite and PostgreSQL);
no data changes, since rows unique overall are unique among the open ones.

The downgrade restores the constraint. Keys that now repeat (an open escalation and resolved
ones before it, or several resolved ones) would violate it, so the non-open duplicates get
their id appended to their key first (at most 40 more characters of the 200); the open one
keeps its key, so deduplication goes on working against it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    # SQLite cannot drop a constraint in place: batch mode rebuilds the table (nothing refers
    # to escalations, so the copy is safe), keeping its two plain indexes.
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_constraint('uq_escalations_dedupe_key', type_='unique')
    op.create_index('uq_escalations_open_dedupe_key', 'escalations', ['dedupe_key'],
                    unique=True, sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    op.drop_index('uq_escalations_open_dedupe_key', table_name='escalations')
    op.execute(
        "UPDATE escalations SET dedupe_key = dedupe_key || ':' || id "
        "WHERE status <> 'open' AND dedupe_key IN ("
        "SELECT dedupe_key FROM escalations GROUP BY dedupe_key HAVING count(*) > 1)")
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_escalations_dedupe_key', ['dedupe_key'])
