"""The feedback tables (SQLAlchemy Core). Alembic migrations create exactly these; a test compares them."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text

from bot.platform.db.metadata import metadata
from bot.platform.db.types import Snowflake, SurrogateKey, UTCDateTime

feedback = Table(
    "feedback",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("beta_id", SurrogateKey, ForeignKey("betas.id", ondelete="SET NULL")),
    Column("reporter_id", Snowflake, nullable=False),
    Column("type", String(10), nullable=False),  # bug, idea, praise, question
    Column("title", String(100), nullable=False),
    Column("details", Text, nullable=False, server_default=""),
    Column("steps", Text),
    Column("version", String(50)),
    Column("status", String(15), nullable=False, server_default="new"),
    Column("status_note", String(500)),
    Column("duplicate_of", SurrogateKey, ForeignKey("feedback.id")),
    Column("forum_id", Snowflake),
    Column("thread_id", Snowflake, unique=True),
    Column("status_message_id", Snowflake),
    Column("vote_count", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("first_staff_response_at", UTCDateTime),
    # The staff review-queue message while the item is pending_review (then kept for the record).
    Column("review_channel_id", Snowflake),
    Column("review_message_id", Snowflake),
    # On the public pages ([guilds.<id>.public])? NULL: as its type's default (public_types); staff decide.
    Column("public", Boolean),
    CheckConstraint(
        "status IN ('pending_review', 'new', 'acknowledged', 'planned', 'in_progress', 'shipped', "
        "'declined', 'duplicate', 'rejected')",
        name="status",
    ),
    Index(None, "guild_id", "status", "vote_count"),
    Index(None, "guild_id", "reporter_id"),
)

feedback_votes = Table(
    "feedback_votes",
    metadata,
    Column("feedback_id", SurrogateKey, ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("created_at", UTCDateTime, nullable=False),
)

feedback_followers = Table(
    "feedback_followers",
    metadata,
    Column("feedback_id", SurrogateKey, ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Reporters of duplicates merged into an item: credited like the reporter when it is heard and shipped.
feedback_coreporters = Table(
    "feedback_coreporters",
    metadata,
    Column("feedback_id", SurrogateKey, ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("source_feedback_id", SurrogateKey, ForeignKey("feedback.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime, nullable=False),
)

# Members whose DMs were closed (50007) when a feedback notice was sent: until ``until`` their notices go
# straight to the thread fallback, without trying the DM again (see cogs/feedback/notices.py).
feedback_dms_closed = Table(
    "feedback_dms_closed",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("until", UTCDateTime, nullable=False),
)

# A report waiting on "Is it one of these?": the member's form as submitted, kept until they vote for one of
# the suggested items or post it anyway (so nothing is lost if they walk away or the bot restarts).
feedback_drafts = Table(
    "feedback_drafts",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("user_id", Snowflake, nullable=False),
    Column("beta_id", SurrogateKey, ForeignKey("betas.id", ondelete="SET NULL")),
    Column("type", String(10), nullable=False),
    Column("title", String(100), nullable=False),
    Column("details", Text, nullable=False, server_default=""),
    Column("steps", Text),
    Column("version", String(50)),
    Column("suggested", String(200), nullable=False, server_default=""),  # the item ids offered, "1,7,9"
    Column("state", String(10), nullable=False, server_default="open"),
    Column("result_id", SurrogateKey),  # the item it was posted as, or voted for
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The form's screenshots (JSON list of {url, filename, content_type, size}), carried to the item if posted.
    Column("screenshots", Text),
    CheckConstraint("state IN ('open', 'posted', 'voted')", name="state"),
    Index(None, "guild_id", "user_id"),
)

# A privilege holder's proposal that one report duplicates another (``/feedback propose-merge``): a staff card
# with Merge / Not a duplicate; a confirmed merge credits the proposer with curation (capped per day).
feedback_merge_proposals = Table(
    "feedback_merge_proposals",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("item_id", SurrogateKey, ForeignKey("feedback.id", ondelete="CASCADE"), nullable=False),
    Column("into_id", SurrogateKey, ForeignKey("feedback.id", ondelete="CASCADE"), nullable=False),
    Column("proposer_id", Snowflake, nullable=False),
    Column("state", String(10), nullable=False, server_default="open"),
    Column("decided_by", Snowflake),
    Column("decided_at", UTCDateTime),
    Column("credited", Boolean, nullable=False, server_default="0"),
    Column("card_channel_id", Snowflake),
    Column("card_message_id", Snowflake),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("state IN ('open', 'merged', 'declined')", name="state"),
    Index(None, "guild_id", "proposer_id"),
    Index(None, "item_id"),
)

# The images attached to a report's form (at most 3): Discord's attachment URL until the job that posts them in
# the report's thread (``feedback.screenshots``) has downloaded and re-uploaded them.
feedback_screenshots = Table(
    "feedback_screenshots",
    metadata,
    Column("feedback_id", SurrogateKey, ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("url", Text, nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100)),
    Column("size", Integer, nullable=False, server_default="0"),
)
