"""The linked-roles table (SQLAlchemy Core). Alembic migrations create exactly this; a test compares them."""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, Index, String, Table, Text

from bot.platform.db.metadata import metadata
from bot.platform.db.types import Snowflake, UTCDateTime

# One row per Discord user who linked (a role connection belongs to the user and the application).
# The OAuth2 tokens are encrypted with a key derived from the server secret (bot.linkedroles.crypto).
# state: linked; clearing (unlinked or erased: the role connection is being deleted, then the row).
# dirty_since: the member's numbers changed since they were last published (the batch job's queue).
linked_role_links = Table(
    "linked_role_links",
    metadata,
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("guild_id", Snowflake, nullable=False),
    Column("access_enc", Text, nullable=False),
    Column("refresh_enc", Text, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("scope", String(200), nullable=False),
    Column("linked_at", UTCDateTime, nullable=False),
    Column("state", String(10), nullable=False, server_default="linked"),
    Column("dirty_since", UTCDateTime),
    Column("published", JSON),
    Column("published_at", UTCDateTime),
    CheckConstraint("state IN ('linked', 'clearing')", name="state"),
    Index(None, "state", "dirty_since"),
    Index(None, "guild_id", "state"),
)
