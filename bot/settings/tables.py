"""The settings tables (SQLAlchemy Core). Alembic migrations create exactly these; a test compares them."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Text

from bot.platform.db.metadata import metadata
from bot.platform.db.types import Snowflake, UTCDateTime

# A server's own settings on top of config.toml: one row per key changed from Discord or the dashboard. The value
# is inline TOML text (``25``, ``"#showcase"``); NULL once reset (the row keeps its version, so a save based on the
# value before the reset is still seen as stale).
setting_overrides = Table(
    "setting_overrides",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("key", String(200), primary_key=True),
    Column("value", Text),
    Column("version", Integer, nullable=False),
    Column("updated_by", Snowflake),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Each server's settings version: raised by every change (in the change's transaction, which locks the row), so
# other bot processes see a change by polling this one small table.
setting_versions = Table(
    "setting_versions",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
)
