"""The privileges tables (SQLAlchemy Core). Alembic migrations create exactly these; a test compares them."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, Index, String, Table, UniqueConstraint

from bot.platform.db.metadata import metadata
from bot.platform.db.types import Snowflake, SurrogateKey, UTCDateTime

# Each member's state of each privilege they ever held or had pinned. ``held``: what Kudos checks when the
# power is used. ``pin``: '' (judged over the window), 'pinned' (held whatever the window says) or 'revoked'
# (never held until staff lift it), set by staff with a reason (also in the audit log).
member_privileges = Table(
    "member_privileges",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("privilege", String(32), primary_key=True),
    Column("held", Boolean, nullable=False),
    Column("pin", String(10), nullable=False, server_default=""),
    Column("pin_reason", String(300), nullable=False, server_default=""),
    Column("pinned_by", Snowflake),
    Column("since", UTCDateTime, nullable=False),
    CheckConstraint("pin IN ('', 'pinned', 'revoked')", name="pin"),
    Index(None, "guild_id", "privilege", "held"),
)

# Every gain and loss of a privilege, in order: the notices (DM jobs) are keyed by it, /stats counts them.
privilege_moves = Table(
    "privilege_moves",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("user_id", Snowflake, nullable=False),
    Column("privilege", String(32), nullable=False),
    Column("gained", Boolean, nullable=False),
    # window (judged: a credit, a reversal, the daily sweep), pin, revoke, unpin (staff)
    Column("cause", String(10), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index(None, "guild_id", "at"),
    Index(None, "guild_id", "user_id", "privilege"),
)

# First-post mentoring (the staging ground): a new member's first help post while reviewers see it first.
# ``state``: review (locked, offered to reviewers) or released (open to everyone).
staging_posts = Table(
    "staging_posts",
    metadata,
    Column("thread_id", Snowflake, primary_key=True, autoincrement=False),
    Column("guild_id", Snowflake, nullable=False),
    Column("author_id", Snowflake, nullable=False),
    Column("state", String(10), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("release_at", UTCDateTime, nullable=False),
    CheckConstraint("state IN ('review', 'released')", name="state"),
    Index(None, "guild_id", "author_id"),
)

# What reviewers did with a staged post: passed it through, or suggested an edit (a new title and a note) that
# the asker accepted or not. Each reviewer gets curation credit once when the post is solved.
staging_reviews = Table(
    "staging_reviews",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("thread_id", Snowflake, nullable=False),
    Column("reviewer_id", Snowflake, nullable=False),
    Column("action", String(10), nullable=False),
    Column("title", String(100), nullable=False, server_default=""),
    Column("note", String(500), nullable=False, server_default=""),
    Column("accepted", Boolean, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("action IN ('pass', 'suggest')", name="action"),
    UniqueConstraint("thread_id", "reviewer_id"),
)
