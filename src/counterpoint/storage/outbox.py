"""Transactional outbox and notification deliveries."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from counterpoint.storage.schema import JSONDoc, UtcDateTime, metadata

# A domain event, written in the transaction that changed the resource.
outbox = Table(
    "outbox",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("api", String(32), nullable=False),
    Column("event_type", String(96), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("buyer_id", String(128), nullable=False),
    Column("seller_id", String(128), nullable=False),
    Column("resource_id", String(64), nullable=False),
    Column("item_id", String(64), nullable=True),
    Column("milestone", String(128), nullable=True),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("correlation_id", String(64), nullable=True),
    Column("dispatched_at", UtcDateTime, nullable=True),
    Index("ix_outbox_pending", "dispatched_at", "seq"),
)

# One event to one listener: retried with backoff until delivered or dead-lettered.
delivery = Table(
    "notification_delivery",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("event_id", String(64), nullable=False, index=True),
    Column("listener_id", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("body", JSONDoc, nullable=False),
    Column("state", String(16), nullable=False),  # pending | delivered | dead
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("delivered_at", UtcDateTime, nullable=True),
    Column("correlation_id", String(64), nullable=True),
    Index("ix_delivery_due", "state", "next_attempt_at"),
)

# A buyer's registration on an API's /hub.
hub_listener = Table(
    "hub_listener",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("api", String(32), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("buyer_id", String(128), nullable=False),
    Column("callback", Text, nullable=False),
    Column("query", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_hub_listener_match", "buyer_id", "api", "channel"),
)
