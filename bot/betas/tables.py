"""The betas tables (SQLAlchemy Core). Alembic migrations create exactly these; a test compares them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bot.platform.db.metadata import metadata
from bot.platform.db.types import Snowflake, SurrogateKey, UTCDateTime

betas = Table(
    "betas",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("name", String(100), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("incentive", String(300), nullable=False, server_default=""),
    Column("terms", Text, nullable=False, server_default=""),
    Column("capacity", Integer),
    Column("waitlist", Boolean, nullable=False, server_default="1"),
    Column("eligibility", JSON, nullable=False),
    Column("status", String(12), nullable=False, server_default="draft"),
    Column("starts_at", UTCDateTime),
    Column("ends_at", UTCDateTime),
    Column("announcement_channel_id", Snowflake),
    Column("announcement_message_id", Snowflake),
    Column("feedback_forum_id", Snowflake),
    Column("cohort_role_id", Snowflake),
    Column("created_by", Snowflake, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    # The discussion thread opened under the announcement.
    Column("thread_id", Snowflake),
    # A private channel the cohort role opens (an overwrite set by /beta create).
    Column("private_channel_id", Snowflake),
    CheckConstraint("status IN ('draft', 'scheduled', 'open', 'closed')", name="status"),
    CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity"),
    UniqueConstraint("guild_id", "name"),
)

beta_participants = Table(
    "beta_participants",
    metadata,
    Column("beta_id", SurrogateKey, ForeignKey("betas.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("status", String(12), nullable=False),  # joined, waitlisted, left, removed
    Column("terms_accepted_at", UTCDateTime),
    Column("joined_at", UTCDateTime, nullable=False),
    Column("left_at", UTCDateTime),
    # Order of (re)joining within the beta: the waitlist is promoted in this order (FIFO), and cohort-role
    # grants of each membership carry it in their dedupe key.
    Column("seq", Integer, nullable=False, server_default="0"),
    # False once the member muted the beta's reminders.
    Column("reminders", Boolean, nullable=False, server_default="1"),
    CheckConstraint("status IN ('joined', 'waitlisted', 'left', 'removed')", name="status"),
    Index(None, "beta_id", "status", "joined_at"),
)

# A native Discord poll staff posted in a beta's thread (``/beta poll``). Discord counts the answers; Kudos
# keeps its own tally from the gateway's vote events for the close summary.
beta_polls = Table(
    "beta_polls",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("beta_id", SurrogateKey, ForeignKey("betas.id", ondelete="CASCADE"), nullable=False),
    Column("guild_id", Snowflake, nullable=False),
    Column("channel_id", Snowflake, nullable=False),
    Column("message_id", Snowflake),
    Column("question", String(300), nullable=False),
    Column("answers", JSON, nullable=False),
    Column("hours", Integer, nullable=False),
    Column("status", String(12), nullable=False, server_default="pending"),
    Column("created_by", Snowflake, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('pending', 'posted', 'failed')", name="status"),
    Index(None, "message_id"),
)

# The answers each member currently picks (a removed vote deletes its row).
beta_poll_votes = Table(
    "beta_poll_votes",
    metadata,
    Column("poll_id", SurrogateKey, ForeignKey("beta_polls.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("answer_id", Integer, primary_key=True, autoincrement=False),
)

# Everyone who ever voted in a poll, once: participation counts these (a removed vote keeps its row, so
# vote, unvote, vote again is one). ``participant``: the member was in the beta when they first voted.
beta_poll_voters = Table(
    "beta_poll_voters",
    metadata,
    Column("poll_id", SurrogateKey, ForeignKey("beta_polls.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("first_voted_at", UTCDateTime, nullable=False),
    Column("participant", Boolean, nullable=False),
)
