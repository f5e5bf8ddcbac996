"""The privacy tables (SQLAlchemy Core). Alembic migrations create exactly these; a test compares them."""

from __future__ import annotations

from sqlalchemy import Column, Table

from bot.platform.db.metadata import metadata
from bot.platform.db.types import Snowflake, UTCDateTime

# Members who turned contribution tracking off (/mydata tracking off). Only the id and the choice are kept:
# this row is what honours the request, so /mydata forget keeps it.
privacy_optouts = Table(
    "privacy_optouts",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("tracking_off_at", UTCDateTime, nullable=False),
)

# Members who let their name appear on the public pages (/mydata public-name on); otherwise they are counted,
# never named. Erasure deletes the row.
privacy_public_names = Table(
    "privacy_public_names",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("since", UTCDateTime, nullable=False),
)
