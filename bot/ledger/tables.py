"""The ledger tables (SQLAlchemy Core). Alembic migrations create exactly these; a test compares them."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)

from bot.platform.db.metadata import metadata, on_postgresql
from bot.platform.db.types import Snowflake, SurrogateKey, UTCDateTime

# Append-only ledger. A reversal is a new row with negative points pointing at the original.
contributions = Table(
    "contributions",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("user_id", Snowflake, nullable=False),
    Column("kind", String(32), nullable=False),  # 20 before migration 0010 (then only widened on PostgreSQL)
    Column("points", Integer, nullable=False),
    # Idempotency: one credit per (guild, kind, source). E.g. "answer:<thread>:<message>".
    Column("source_key", String(200), nullable=False),
    Column("channel_id", Snowflake),
    Column("thread_id", Snowflake),
    Column("message_id", Snowflake),
    Column("actor_id", Snowflake),
    Column("reason", String(300), nullable=False, server_default=""),
    Column("season", String(20), nullable=False, server_default=""),
    Column("reverses_id", SurrogateKey, ForeignKey("contributions.id")),
    Column("created_at", UTCDateTime, nullable=False),
    # counted: in member_stats; pending: held (probation) until held_until, then counted by
    # release_pending; capped: recorded with 0 points because a daily cap was reached.
    Column("status", String(10), nullable=False, server_default="counted"),
    Column("held_until", UTCDateTime),
    # System note for receipts and explanations (e.g. "daily cap: 3 of 5 points counted").
    Column("note", String(300), nullable=False, server_default=""),
    UniqueConstraint("guild_id", "kind", "source_key"),
    CheckConstraint("status IN ('counted', 'pending', 'capped')", name="status"),
    Index(None, "guild_id", "user_id", "created_at"),
    Index(None, "guild_id", "kind", "created_at"),
    Index(None, "guild_id", "actor_id", "created_at"),
    Index(None, "status", "held_until"),
    # An entry is reversed at most once; also serves the "was this reversed?" lookups.
    on_postgresql(Index(None, "reverses_id", unique=True, sqlite_where=text("reverses_id IS NOT NULL")),
                  where=text("reverses_id IS NOT NULL")),
)

# Per-member aggregates, updated in the same transaction as the ledger row.
# season '' holds the all-time totals; kind '*' holds the total over all kinds.
member_stats = Table(
    "member_stats",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("kind", String(32), primary_key=True),
    Column("season", String(20), primary_key=True),
    Column("points", Integer, nullable=False, server_default="0"),
    Column("count", Integer, nullable=False, server_default="0"),
    Index(None, "guild_id", "kind", "season", "points"),
)

# Ledger entries per UTC day (of ``created_at``) and kind, for /stats' contributions per day: +1 when an entry is
# written (counted, pending or capped alike), -1 on the original's day and kind when a reversal is written; so
# ``count`` = the entries of that day not reversed (since). Kept in the transaction of the ledger row; filled
# from the ledger by migration 0016.
contribution_days = Table(
    "contribution_days",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD (UTC)
    Column("kind", String(32), primary_key=True),
    Column("count", Integer, nullable=False, server_default="0"),
)

# The engagement-ladder stage of every member with ledger totals (an index into the guild's ladder, lowest 0),
# kept in the same transaction as member_stats; ``since``: when the member reached (or fell back to) it.
member_stages = Table(
    "member_stages",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("stage", Integer, nullable=False),
    Column("since", UTCDateTime, nullable=False),
    Index(None, "guild_id", "stage"),
)

# Every change of a member's stage (up, or down after a reversal), in the order it happened: the conversion
# over a period is a range of ``at``. The time a member reached a stage is that of its move.
stage_moves = Table(
    "stage_moves",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("user_id", Snowflake, nullable=False),
    Column("from_stage", Integer, nullable=False),
    Column("to_stage", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index(None, "guild_id", "at"),
    Index(None, "guild_id", "user_id", "at"),
)

# Which ladder a guild's stages were computed with (a key of its rules): when the configured ladder changes,
# the stages and moves are rebuilt from the ledger before they are read.
stage_ladders = Table(
    "stage_ladders",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("ladder", String(40), nullable=False),
    Column("built_at", UTCDateTime, nullable=False),
)
