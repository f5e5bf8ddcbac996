"""The give-back ledger's table (SQLAlchemy Core). Alembic migrations create exactly this; a test compares them."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, String, Table, UniqueConstraint

from bot.platform.db.metadata import metadata
from bot.platform.db.types import Snowflake, SurrogateKey, UTCDateTime

# What the brand gave each member, recorded where it happens (read-only: nobody edits it): a perk code or a
# role delivered, beta access, a report of theirs that shipped, a staff answer to their help post, thanks from
# staff. One row per (guild, kind, source): recording twice is a no-op.
giveback = Table(
    "giveback",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("user_id", Snowflake, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("source_key", String(200), nullable=False),
    Column("detail", String(200), nullable=False, server_default=""),
    Column("actor_id", Snowflake),
    Column("at", UTCDateTime, nullable=False),
    UniqueConstraint("guild_id", "kind", "source_key"),
    CheckConstraint("kind IN ('perk', 'role', 'beta', 'shipped', 'staff_answer', 'staff_thanks')", name="kind"),
    Index(None, "guild_id", "user_id", "at"),
    Index(None, "guild_id", "at"),
)
