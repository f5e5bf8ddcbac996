"""The contributions tables (SQLAlchemy Core). Alembic migrations create exactly these; a test compares them."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, Index, String, Table, UniqueConstraint

from bot.platform.db.metadata import metadata
from bot.platform.db.types import Snowflake, SurrogateKey, UTCDateTime

# Accepted solutions of help-forum posts (the Discord side of "answer" credits). One row per reply ever
# accepted; ``active`` is false once the solution moved elsewhere. ``contribution_id`` is the ledger entry
# (none when nothing was credited, e.g. the asker accepted their own reply).
solutions = Table(
    "solutions",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("thread_id", Snowflake, nullable=False),
    Column("message_id", Snowflake, nullable=False),
    Column("answerer_id", Snowflake, nullable=False),
    Column("accepted_by", Snowflake, nullable=False),
    Column("contribution_id", SurrogateKey),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    UniqueConstraint("thread_id", "message_id"),
    Index(None, "guild_id", "thread_id", "active"),
)

# Posts featured in the showcase, by a curator or by the starboard: at most once per message.
featured_posts = Table(
    "featured_posts",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("channel_id", Snowflake, nullable=False),
    Column("message_id", Snowflake, nullable=False),
    Column("author_id", Snowflake, nullable=False),
    Column("featured_by", Snowflake),
    Column("via", String(10), nullable=False),
    Column("showcase_message_id", Snowflake),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("guild_id", "message_id"),
    CheckConstraint("via IN ('curator', 'starboard')", name="via"),
)

# Posts opened in the help forums (the denominator of the help answer rate). No author: not personal data.
help_posts = Table(
    "help_posts",
    metadata,
    Column("thread_id", Snowflake, primary_key=True, autoincrement=False),
    Column("guild_id", Snowflake, nullable=False),
    Column("forum_id", Snowflake, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "guild_id", "created_at"),
)
