"""The catchup tables (SQLAlchemy Core). Alembic migrations create exactly these; a test compares them."""

from __future__ import annotations

from sqlalchemy import Column, Table

from bot.platform.db.metadata import metadata
from bot.platform.db.types import Snowflake, UTCDateTime

# Catching up after the bot was away from the gateway (a full reconnect or a restart lost events): the newest
# message id seen live per guild. The starboard catch-up scans messages from a day before it, no further back.
catchup_marks = Table(
    "catchup_marks",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("last_message_id", Snowflake, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
