"""The dashboard tables (SQLAlchemy Core). Alembic migrations create exactly these; a test compares them."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table

from bot.platform.db.metadata import metadata
from bot.platform.db.types import Snowflake, UTCDateTime

# The staff dashboard (bot/web). A login link's nonce is recorded when the link is used, so it works once.
web_login_nonces = Table(
    "web_login_nonces",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("user_id", Snowflake, nullable=False),
    Column("used_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "expires_at"),
)

# Dashboard sessions: only a SHA-256 of the cookie value is stored; logout sets revoked_at.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("user_id", Snowflake, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Index(None, "guild_id", "user_id"),
    Index(None, "expires_at"),
)
