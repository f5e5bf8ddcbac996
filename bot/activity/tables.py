"""The activity tables (SQLAlchemy Core). Alembic migrations create exactly these; a test compares them."""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, Integer, Table

from bot.platform.db.metadata import metadata
from bot.platform.db.types import Snowflake

# Messages and reactions per member, channel and UTC day: written behind the hot path in batches
# (bot.activity.service), so a crash loses at most the last second of counts.
activity_counters = Table(
    "activity_counters",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("channel_id", Snowflake, primary_key=True, autoincrement=False),
    Column("day", Date, primary_key=True),
    Column("messages", Integer, nullable=False, server_default="0"),
    Column("reactions", Integer, nullable=False, server_default="0"),
    Index(None, "guild_id", "day"),
)
