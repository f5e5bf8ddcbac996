"""The announcements tables (SQLAlchemy Core). Alembic migrations create exactly these; a test compares them."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, Integer, LargeBinary, String, Table, Text

from bot.platform.db.metadata import metadata
from bot.platform.db.types import Snowflake, SurrogateKey, UTCDateTime

announcements = Table(
    "announcements",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("channel_id", Snowflake, nullable=False),
    Column("message_id", Snowflake),
    Column("subject", String(20), nullable=False),  # beta, news
    Column("subject_id", SurrogateKey),
    Column("status", String(12), nullable=False, server_default="scheduled"),
    Column("scheduled_for", UTCDateTime, nullable=False),
    Column("posted_at", UTCDateTime),
    Column("created_by", Snowflake, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # The discussion thread opened under the posted message.
    Column("thread_id", Snowflake),
    # What /announce posts (subject "news"): kept until it goes out, so a scheduled post is self-contained.
    Column("title", String(256), nullable=False, server_default=""),
    Column("body", Text, nullable=False, server_default=""),
    Column("image", LargeBinary),
    Column("image_name", String(200)),
    Column("ping_role_id", Snowflake),
    # Distinct members who wrote in the discussion thread, counted a while after posting.
    Column("replies", Integer),
    CheckConstraint("status IN ('scheduled', 'posted', 'cancelled', 'failed')", name="status"),
    Index(None, "channel_id", "posted_at"),
)
