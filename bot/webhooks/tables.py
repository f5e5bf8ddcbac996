"""The outbound webhooks' tables (SQLAlchemy Core). Alembic migrations create exactly these; a test compares them.

- ``webhook_endpoints``: a guild's endpoints (from ``[guilds.<id>.webhooks]``, ``source = 'config'``, synced at
  start; or registered by staff, ``source = 'staff'``, with a generated secret).
- ``webhook_events``: each event once (``event_id`` is derived from its cause, so a replayed cause adds none),
  its JSON document as sent.
- ``webhook_deliveries``: one per endpoint and event: the per-endpoint delivery log (status, attempts, the
  last answer's HTTP status and latency).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from bot.platform.db.metadata import metadata
from bot.platform.db.types import Snowflake, SurrogateKey, UTCDateTime

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("name", String(40), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("events", JSON, nullable=False),
    Column("source", String(10), nullable=False),
    # config endpoints: the environment variable holding the secret; staff endpoints: the secret itself.
    Column("secret_env", String(100)),
    Column("secret", String(100)),
    Column("enabled", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("guild_id", "name"),
    CheckConstraint("source IN ('config', 'staff')", name="source"),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("type", String(40), nullable=False),
    Column("member_id", Snowflake),
    Column("body", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "guild_id", "member_id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("endpoint_id", SurrogateKey, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False),
    Column("event_pk", SurrogateKey, ForeignKey("webhook_events.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(10), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_status", Integer),
    Column("last_latency_ms", Integer),
    Column("last_error", String(500)),
    Column("last_attempt_at", UTCDateTime),
    Column("next_attempt_at", UTCDateTime),
    Column("delivered_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("endpoint_id", "event_pk"),
    CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
    Index(None, "endpoint_id", "created_at"),
)
