"""The schema as SQLAlchemy Core tables. The domain types in ``models`` know nothing of it;
repositories translate rows to domain objects and back."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from storage.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

locations = Table(
    "locations", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("type", String(20), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("postal_code", String(20)),
    Column("capabilities", JSON, nullable=False),
    Column("shipment_cost", Float, nullable=False, default=0.0),
    Column("cost_per_km", Float, nullable=False, default=0.0),
    Column("unit_cost", Float, nullable=False, default=0.0),
    Column("unit_cost_per_km", Float, nullable=False, default=0.0),
    Column("processing_days", Integer, nullable=False, default=0),
    Column("km_per_day", Float, nullable=False, default=800.0),
    Column("capacity_units_per_day", Integer),
    Column("priority", Integer, nullable=False, default=0),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

products = Table(
    "products", metadata,
    Column("sku", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("weight_kg", Float),
    Column("service_type", String(50)),
    Column("term_months", Integer),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

inventory_positions = Table(
    "inventory_positions", metadata,
    Column("location_id", String(64), ForeignKey("locations.id"), primary_key=True),
    Column("sku", String(64), ForeignKey("products.sku"), primary_key=True),
    Column("on_hand", Integer, nullable=False, default=0),
    Column("reserved", Integer, nullable=False, default=0),
    Column("safety_stock", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
    CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    CheckConstraint("safety_stock >= 0", name="safety_stock_not_negative"),
)
Index("ix_inventory_positions_sku", inventory_positions.c.sku)

inventory_adjustments = Table(
    "inventory_adjustments", metadata,
    Column("id", String(40), primary_key=True),
    Column("location_id", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("delta", Integer, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("on_hand_after", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
Index("ix_inventory_adjustments_position", inventory_adjustments.c.location_id,
      inventory_adjustments.c.sku)

orders = Table(
    "orders", metadata,
    Column("id", String(40), primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("channel_order_id", String(100), nullable=False),
    Column("source", String(50)),
    Column("customer_id", String(100), nullable=False),
    Column("customer", JSON, nullable=False),
    Column("ship_to", JSON),
    Column("delivery_method", String(20), nullable=False),
    Column("pickup_location_id", String(64)),
    Column("deliver_by", Date),  # the channel's delivery deadline (UTC day); NULL = none
    Column("priority", Integer, nullable=False, default=0),
    Column("currency", String(3), nullable=False),
    Column("payment_status", String(20), nullable=False),
    Column("status", String(30), nullable=False),
    Column("hold_reason", String(100)),
    Column("tracking_token", String(64), nullable=False),
    Column("total", Float, nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("placed_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False, default=0),
    Column("event_seq", Integer, nullable=False, default=0),
    UniqueConstraint("channel", "channel_order_id", name="uq_orders_channel_order"),
)
Index("ix_orders_status", orders.c.status)
Index("ix_orders_customer_id", orders.c.customer_id)

order_lines = Table(
    "order_lines", metadata,
    Column("order_id", String(40), ForeignKey("orders.id"), primary_key=True),
    Column("line_id", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("sku", String(64), ForeignKey("products.sku"), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("unit_price", Float, nullable=False),
    Column("covers_line_id", String(64)),
    Column("is_service", Boolean, nullable=False),
    # a service line's terms as sold (the catalog entry at intake)
    Column("service_name", String(200)),
    Column("service_type", String(50)),
    Column("term_months", Integer),
    CheckConstraint("qty > 0", name="qty_positive"),
)

reservations = Table(
    "reservations", metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), nullable=False),
    Column("line_id", String(64), nullable=False),
    Column("location_id", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("fulfillment_id", String(40)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    CheckConstraint("qty > 0", name="qty_positive"),
)
Index("ix_reservations_order", reservations.c.order_id)
Index("ix_reservations_position", reservations.c.location_id, reservations.c.sku,
      reservations.c.status)

events = Table(
    "events", metadata,
    # position: global append order, for the outbox relay; seq: per order, for the timeline.
    Column("position", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("order_id", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(60), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("message", Text, nullable=False),
    Column("fulfillment_id", String(40)),
    Column("location_id", String(64)),
    Column("data", JSON, nullable=False),
    UniqueConstraint("order_id", "seq", name="uq_events_order_seq"),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("scope", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("state", String(20), nullable=False),
    Column("status_code", Integer),
    Column("response_body", Text),
    Column("response_headers", JSON),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

fulfillments = Table(
    "fulfillments", metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), ForeignKey("orders.id"), nullable=False),
    Column("type", String(20), nullable=False),
    Column("location_id", String(64)),
    Column("status", String(30), nullable=False),
    Column("lines", JSON, nullable=False),
    Column("promised_date", String(10)),
    Column("delivery_days", Integer),
    Column("cost", Float),
    Column("release_at", UTCDateTime),
    Column("released_at", UTCDateTime),
    Column("attributes", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False, default=0),
)
Index("ix_fulfillments_order", fulfillments.c.order_id)
Index("ix_fulfillments_location_status", fulfillments.c.location_id, fulfillments.c.status)

policies = Table(
    "policies", metadata,
    Column("name", String(40), primary_key=True),
    Column("body", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

opportunity_costs = Table(
    "opportunity_costs", metadata,
    # Per-unit shadow prices of stock from the latest joint solve, read by lookahead sourcing.
    Column("location_id", String(64), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("value", Float, nullable=False),
    Column("computed_at", UTCDateTime, nullable=False),
)

customer_services = Table(
    "customer_services", metadata,
    # Services (warranties, protection plans) registered to a customer's account.
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(100), nullable=False),
    Column("order_id", String(40), nullable=False),
    Column("line_id", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("service_type", String(50)),
    Column("covers_line_id", String(64)),
    Column("covers_sku", String(64)),
    Column("starts", String(10), nullable=False),
    Column("ends", String(10)),
    Column("status", String(20), nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
    # units of the line this registration covers, and what registered them (the delivered
    # fulfillment's id, "paid" for a standalone service): one registration per source
    Column("qty", Integer, nullable=False),
    Column("source", String(40), nullable=False),
    CheckConstraint("qty > 0", name="qty_positive"),
    UniqueConstraint("order_id", "line_id", "source",
                     name="uq_customer_services_order_line_source"),
)
Index("ix_customer_services_customer", customer_services.c.customer_id)

escalations = Table(
    "escalations", metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), nullable=False),
    Column("fulfillment_id", String(40)),
    Column("kind", String(60), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("resolved_by", String(100)),
    Column("resolution", Text),
    # kind:order:fulfillment. Unique among open escalations only (the index below): a repeated
    # trigger does not pile up while staff work on one, and after they resolve it the same
    # trouble coming back opens a new one.
    Column("dedupe_key", String(200), nullable=False),
)
Index("ix_escalations_status", escalations.c.status)
Index("ix_escalations_order", escalations.c.order_id)
Index("uq_escalations_open_dedupe_key", escalations.c.dedupe_key, unique=True,
      sqlite_where=escalations.c.status == "open",
      postgresql_where=escalations.c.status == "open")

notifications = Table(
    "notifications", metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), nullable=False),
    Column("customer_id", String(100), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("recipient", String(254)),
    Column("template", String(60), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("event_id", String(40)),
    Column("sent_at", UTCDateTime, nullable=False),
)
Index("ix_notifications_order", notifications.c.order_id)

webhook_subscriptions = Table(
    "webhook_subscriptions", metadata,
    Column("id", String(40), primary_key=True),
    Column("url", Text, nullable=False),
    Column("events", JSON, nullable=False),
    Column("secret", String(256), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    # Only events with a larger outbox position are delivered: those after the subscription.
    Column("after_position", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    # One event for one subscription; a dispatcher sends it while it holds the lease.
    Column("id", String(40), primary_key=True),
    Column("subscription_id", String(40), ForeignKey("webhook_subscriptions.id"),
           nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("event_position", BigInteger, nullable=False),
    Column("order_id", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("lease_owner", String(64)),
    Column("lease_expires_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    UniqueConstraint("subscription_id", "event_position",
                     name="uq_webhook_deliveries_subscription_event"),
)
Index("ix_webhook_deliveries_due", webhook_deliveries.c.status,
      webhook_deliveries.c.next_attempt_at)
Index("ix_webhook_deliveries_order", webhook_deliveries.c.subscription_id,
      webhook_deliveries.c.order_id, webhook_deliveries.c.event_position)

outbox_cursors = Table(
    "outbox_cursors", metadata,
    # One row per named outbox reader (``webhooks``: the fan-out, ``nats``: the relay): how far
    # it has read, with the positions not yet visible, held by one reader at a time.
    Column("name", String(60), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("gaps", JSON, nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_expires_at", UTCDateTime),
)

scenarios = Table(
    "scenarios", metadata,
    # A planner's what-if run: what was asked, what came out. Never touches live data.
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("status", String(20), nullable=False),  # running | done | failed
    Column("request", JSON, nullable=False),
    Column("kpis", JSON),
    Column("solver", JSON),
    Column("error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
)

leases = Table(
    "leases", metadata,
    # Work that must run in one process at a time across workers and hosts (the timer loop):
    # whoever holds an unexpired lease does it; a dead holder's lease runs out.
    Column("name", String(60), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
