"""initial schema: network, catalog, stock ledger, orders, events, idempotency

Revision ID: 0001
Revises: 
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('events',
    sa.Column('position', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=60), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('fulfillment_id', sa.String(length=40), nullable=True),
    sa.Column('location_id', sa.String(length=64), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('position', name=op.f('pk_events')),
    sa.UniqueConstraint('id', name=op.f('uq_events_id')),
    sa.UniqueConstraint('order_id', 'seq', name='uq_events_order_seq')
    )
    op.create_table('idempotency_keys',
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('response_headers', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('inventory_adjustments',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('on_hand_after', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_adjustments'))
    )
    with op.batch_alter_table('inventory_adjustments', schema=None) as batch_op:
        batch_op.create_index('ix_inventory_adjustments_position', ['location_id', 'sku'], unique=False)

    op.create_table('locations',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('capabilities', sa.JSON(), nullable=False),
    sa.Column('shipment_cost', sa.Float(), nullable=False),
    sa.Column('cost_per_km', sa.Float(), nullable=False),
    sa.Column('unit_cost', sa.Float(), nullable=False),
    sa.Column('unit_cost_per_km', sa.Float(), nullable=False),
    sa.Column('processing_days', sa.Integer(), nullable=False),
    sa.Column('km_per_day', sa.Float(), nullable=False),
    sa.Column('capacity_units_per_day', sa.Integer(), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations'))
    )
    op.create_table('orders',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('channel_order_id', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=50), nullable=True),
    sa.Column('customer_id', sa.String(length=100), nullable=False),
    sa.Column('customer', sa.JSON(), nullable=False),
    sa.Column('ship_to', sa.JSON(), nullable=True),
    sa.Column('delivery_method', sa.String(length=20), nullable=False),
    sa.Column('pickup_location_id', sa.String(length=64), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('payment_status', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('hold_reason', sa.String(length=100), nullable=True),
    sa.Column('tracking_token', sa.String(length=64), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('channel', 'channel_order_id', name='uq_orders_channel_order')
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_customer_id', ['customer_id'], unique=False)
        batch_op.create_index('ix_orders_status', ['status'], unique=False)

    op.create_table('products',
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('weight_kg', sa.Float(), nullable=True),
    sa.Column('service_type', sa.String(length=50), nullable=True),
    sa.Column('term_months', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sku', name=op.f('pk_products'))
    )
    op.create_table('reservations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('line_id', sa.String(length=64), nullable=False),
    sa.Column('location_id', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('qty', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('fulfillment_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('qty > 0', name=op.f('ck_reservations_qty_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservations'))
    )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index('ix_reservations_order', ['order_id'], unique=False)
        batch_op.create_index('ix_reservations_position', ['location_id', 'sku', 'status'], unique=False)

    op.create_table('inventory_positions',
    sa.Column('location_id', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('safety_stock', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_inventory_positions_on_hand_not_negative')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_inventory_positions_reserved_not_negative')),
    sa.CheckConstraint('safety_stock >= 0', name=op.f('ck_inventory_positions_safety_stock_not_negative')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_inventory_positions_location_id_locations')),
    sa.ForeignKeyConstraint(['sku'], ['products.sku'], name=op.f('fk_inventory_positions_sku_products')),
    sa.PrimaryKeyConstraint('location_id', 'sku', name=op.f('pk_inventory_positions'))
    )
    with op.batch_alter_table('inventory_positions', schema=None) as batch_op:
        batch_op.create_index('ix_inventory_positions_sku', ['sku'], unique=False)

    op.create_table('order_lines',
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('line_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('qty', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Float(), nullable=False),
    sa.Column('covers_line_id', sa.String(length=64), nullable=True),
    sa.Column('is_service', sa.Boolean(), nullable=False),
    sa.CheckConstraint('qty > 0', name=op.f('ck_order_lines_qty_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_lines_order_id_orders')),
    sa.ForeignKeyConstraint(['sku'], ['products.sku'], name=op.f('fk_order_lines_sku_products')),
    sa.PrimaryKeyConstraint('order_id', 'line_id', name=op.f('pk_order_lines'))
    )
    


def downgrade() -> None:
    
    op.drop_table('order_lines')
    with op.batch_alter_table('inventory_positions', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_positions_sku')

    op.drop_table('inventory_positions')
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index('ix_reservations_position')
        batch_op.drop_index('ix_reservations_order')

    op.drop_table('reservations')
    op.drop_table('products')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_status')
        batch_op.drop_index('ix_orders_customer_id')

    op.drop_table('orders')
    op.drop_table('locations')
    with op.batch_alter_table('inventory_adjustments', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_adjustments_position')

    op.drop_table('inventory_adjustments')
    op.drop_table('idempotency_keys')
    op.drop_table('events')
    
