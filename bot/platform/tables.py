"""Tables of the shared plumbing: known guilds and members, durable timers and jobs, the audit log."""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table

from bot.platform.db.metadata import metadata
from bot.platform.db.types import Snowflake, SurrogateKey, UTCDateTime

guilds = Table(
    "guilds",
    metadata,
    Column("id", Snowflake, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("joined_at", UTCDateTime, nullable=False),
    Column("left_at", UTCDateTime),
)

members = Table(
    "members",
    metadata,
    Column("guild_id", Snowflake, ForeignKey("guilds.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("display_name", String(100)),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("joined_at", UTCDateTime),
    Column("left_at", UTCDateTime),
    # Set by a data-erasure request: the row stays so aggregates stay consistent, the personal data goes.
    Column("erased_at", UTCDateTime),
)

# Durable timers: the single source of truth for anything scheduled. APScheduler only mirrors them.
timers = Table(
    "timers",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("event", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("status", String(10), nullable=False, server_default="pending"),
    Column("claimed_by", String(64)),
    Column("claimed_at", UTCDateTime),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", String(500)),
    Column("dedupe_key", String(200), unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    CheckConstraint("status IN ('pending', 'running', 'done', 'failed', 'cancelled')", name="status"),
    Index(None, "status", "due_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake),
    Column("actor_id", Snowflake),
    Column("action", String(50), nullable=False),
    Column("target_id", Snowflake),
    Column("details", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "guild_id", "created_at"),
    Index(None, "guild_id", "action", "created_at"),
)

# The locale of each member's last interaction (bot/platform/locales.py): their DMs speak it (docs/languages.md).
member_locales = Table(
    "member_locales",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("locale", String(16), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
