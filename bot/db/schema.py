"""The whole domain schema, as SQLAlchemy Core tables.

Alembic migrations in ``migrations/`` create exactly this schema; a test compares the two.
Conventions: snowflakes are BIGINT, times are aware UTC (:class:`UTCDateTime`), JSON payloads use the
portable JSON type, and every name is given by the naming convention so migrations stay stable.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from bot.db.types import Snowflake, SurrogateKey, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

guilds = Table(
    "guilds",
    metadata,
    Column("id", Snowflake, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("joined_at", UTCDateTime, nullable=False),
    Column("left_at", UTCDateTime),
)

members = Table(
    "members",
    metadata,
    Column("guild_id", Snowflake, ForeignKey("guilds.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("display_name", String(100)),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("joined_at", UTCDateTime),
    Column("left_at", UTCDateTime),
    # Set by a data-erasure request: the row stays so aggregates stay consistent, the personal data goes.
    Column("erased_at", UTCDateTime),
)

# Append-only ledger. A reversal is a new row with negative points pointing at the original.
contributions = Table(
    "contributions",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("user_id", Snowflake, nullable=False),
    Column("kind", String(32), nullable=False),  # 20 before migration 0010 (then only widened on PostgreSQL)
    Column("points", Integer, nullable=False),
    # Idempotency: one credit per (guild, kind, source). E.g. "answer:<thread>:<message>".
    Column("source_key", String(200), nullable=False),
    Column("channel_id", Snowflake),
    Column("thread_id", Snowflake),
    Column("message_id", Snowflake),
    Column("actor_id", Snowflake),
    Column("reason", String(300), nullable=False, server_default=""),
    Column("season", String(20), nullable=False, server_default=""),
    Column("reverses_id", SurrogateKey, ForeignKey("contributions.id")),
    Column("created_at", UTCDateTime, nullable=False),
    # counted: in member_stats; pending: held (probation) until held_until, then counted by
    # release_pending; capped: recorded with 0 points because a daily cap was reached.
    Column("status", String(10), nullable=False, server_default="counted"),
    Column("held_until", UTCDateTime),
    # System note for receipts and explanations (e.g. "daily cap: 3 of 5 points counted").
    Column("note", String(300), nullable=False, server_default=""),
    UniqueConstraint("guild_id", "kind", "source_key"),
    CheckConstraint("status IN ('counted', 'pending', 'capped')", name="status"),
    Index(None, "guild_id", "user_id", "created_at"),
    Index(None, "guild_id", "kind", "created_at"),
    Index(None, "guild_id", "actor_id", "created_at"),
    Index(None, "status", "held_until"),
    # An entry is reversed at most once; also serves the "was this reversed?" lookups.
    Index(
        None, "reverses_id", unique=True,
        sqlite_where=text("reverses_id IS NOT NULL"), postgresql_where=text("reverses_id IS NOT NULL"),
    ),
)

# Per-member aggregates, updated in the same transaction as the ledger row.
# season '' holds the all-time totals; kind '*' holds the total over all kinds.
member_stats = Table(
    "member_stats",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("kind", String(32), primary_key=True),
    Column("season", String(20), primary_key=True),
    Column("points", Integer, nullable=False, server_default="0"),
    Column("count", Integer, nullable=False, server_default="0"),
    Index(None, "guild_id", "kind", "season", "points"),
)

# The engagement-ladder stage of every member with ledger totals (an index into the guild's ladder, lowest 0),
# kept in the same transaction as member_stats; ``since``: when the member reached (or fell back to) it.
member_stages = Table(
    "member_stages",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("stage", Integer, nullable=False),
    Column("since", UTCDateTime, nullable=False),
    Index(None, "guild_id", "stage"),
)

# Every change of a member's stage (up, or down after a reversal), in the order it happened: the conversion
# over a period is a range of ``at``. The time a member reached a stage is that of its move.
stage_moves = Table(
    "stage_moves",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("user_id", Snowflake, nullable=False),
    Column("from_stage", Integer, nullable=False),
    Column("to_stage", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index(None, "guild_id", "at"),
    Index(None, "guild_id", "user_id", "at"),
)

# Which ladder a guild's stages were computed with (a key of its rules): when the configured ladder changes,
# the stages and moves are rebuilt from the ledger before they are read.
stage_ladders = Table(
    "stage_ladders",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("ladder", String(40), nullable=False),
    Column("built_at", UTCDateTime, nullable=False),
)

reward_rules = Table(
    "reward_rules",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("name", String(100), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("origin", String(10), nullable=False, server_default="command"),
    Column("enabled", Boolean, nullable=False, server_default="1"),
    Column("created_by", Snowflake),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("guild_id", "name"),
)

perk_pools = Table(
    "perk_pools",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("name", String(64), nullable=False),
    Column("description", String(300), nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    # 0 = no limit: how many codes of this pool one member may hold.
    Column("per_member_limit", Integer, nullable=False, server_default="0"),
    Column("low_stock_warning", Integer, nullable=False, server_default="5"),
    Column("low_stock_alerted", Boolean, nullable=False, server_default="0"),
    # Codes handed out per budget_period_days above which staff must approve (NULL = no budget).
    Column("budget", Integer),
    Column("budget_period_days", Integer, nullable=False, server_default="30"),
    Column("origin", String(10), nullable=False, server_default="command"),
    UniqueConstraint("guild_id", "name"),
)

# Grants are the outbox: a decision to reward, written in the same transaction as its cause,
# delivered later by the dispatcher exactly once.
grants = Table(
    "grants",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("user_id", Snowflake, nullable=False),
    Column("rule_id", SurrogateKey, ForeignKey("reward_rules.id", ondelete="SET NULL")),
    Column("rule_name", String(100), nullable=False),
    Column("action", String(20), nullable=False),  # role_add, role_remove, perk, dm, points
    Column("payload", JSON, nullable=False),
    Column("status", String(12), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", String(500)),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Column("expires_at", UTCDateTime),
    # Dispatcher bookkeeping: when the current attempt was claimed, when the next may start.
    Column("claimed_at", UTCDateTime),
    Column("next_attempt_at", UTCDateTime),
    # The DM that delivered it (or the staff approval message while held).
    Column("message_id", Snowflake),
    # Not dispatched while set: 'approval' (waiting for staff), 'approval-posted'.
    Column("hold", String(20)),
    # What caused it, for staff: "contribution:42", "event:beta_joined", "sync", "command".
    Column("cause", String(200), nullable=False, server_default=""),
    # When the member was told in an ephemeral reply that a code waits in /perks mine (DMs closed).
    Column("notified_at", UTCDateTime),
    CheckConstraint("status IN ('pending', 'delivering', 'delivered', 'failed', 'revoked')", name="status"),
    Index(None, "status", "created_at"),
    Index(None, "guild_id", "user_id"),
)

perk_codes = Table(
    "perk_codes",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("pool_id", SurrogateKey, ForeignKey("perk_pools.id", ondelete="CASCADE"), nullable=False),
    Column("code", String(200), nullable=False),
    Column("assigned_to", Snowflake),
    Column("grant_id", SurrogateKey, ForeignKey("grants.id"), unique=True),
    Column("assigned_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("voided_at", UTCDateTime),
    Column("void_reason", String(200)),
    UniqueConstraint("pool_id", "code"),
    Index(None, "pool_id", "assigned_to"),
)

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

announcements = Table(
    "announcements",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("channel_id", Snowflake, nullable=False),
    Column("message_id", Snowflake),
    Column("subject", String(20), nullable=False),  # beta, news
    Column("subject_id", SurrogateKey),
    Column("status", String(12), nullable=False, server_default="scheduled"),
    Column("scheduled_for", UTCDateTime, nullable=False),
    Column("posted_at", UTCDateTime),
    Column("created_by", Snowflake, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # The discussion thread opened under the posted message.
    Column("thread_id", Snowflake),
    # What /announce posts (subject "news"): kept until it goes out, so a scheduled post is self-contained.
    Column("title", String(256), nullable=False, server_default=""),
    Column("body", Text, nullable=False, server_default=""),
    Column("image", LargeBinary),
    Column("image_name", String(200)),
    Column("ping_role_id", Snowflake),
    # Distinct members who wrote in the discussion thread, counted a while after posting.
    Column("replies", Integer),
    CheckConstraint("status IN ('scheduled', 'posted', 'cancelled', 'failed')", name="status"),
    Index(None, "channel_id", "posted_at"),
)

# Durable timers: the single source of truth for anything scheduled. APScheduler only mirrors them.
timers = Table(
    "timers",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("event", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("status", String(10), nullable=False, server_default="pending"),
    Column("claimed_by", String(64)),
    Column("claimed_at", UTCDateTime),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", String(500)),
    Column("dedupe_key", String(200), unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    CheckConstraint("status IN ('pending', 'running', 'done', 'failed', 'cancelled')", name="status"),
    Index(None, "status", "due_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake),
    Column("actor_id", Snowflake),
    Column("action", String(50), nullable=False),
    Column("target_id", Snowflake),
    Column("details", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "guild_id", "created_at"),
    Index(None, "guild_id", "action", "created_at"),
)

# Accepted solutions of help-forum posts (the Discord side of "answer" credits). One row per reply ever
# accepted; ``active`` is false once the solution moved elsewhere. ``contribution_id`` is the ledger entry
# (none when nothing was credited, e.g. the asker accepted their own reply).
solutions = Table(
    "solutions",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("thread_id", Snowflake, nullable=False),
    Column("message_id", Snowflake, nullable=False),
    Column("answerer_id", Snowflake, nullable=False),
    Column("accepted_by", Snowflake, nullable=False),
    Column("contribution_id", SurrogateKey),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    UniqueConstraint("thread_id", "message_id"),
    Index(None, "guild_id", "thread_id", "active"),
)

# Posts featured in the showcase, by a curator or by the starboard: at most once per message.
featured_posts = Table(
    "featured_posts",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("channel_id", Snowflake, nullable=False),
    Column("message_id", Snowflake, nullable=False),
    Column("author_id", Snowflake, nullable=False),
    Column("featured_by", Snowflake),
    Column("via", String(10), nullable=False),
    Column("showcase_message_id", Snowflake),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("guild_id", "message_id"),
    CheckConstraint("via IN ('curator', 'starboard')", name="via"),
)

# Members who turned contribution tracking off (/mydata tracking off). Only the id and the choice are kept:
# this row is what honours the request, so /mydata forget keeps it.
privacy_optouts = Table(
    "privacy_optouts",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("user_id", Snowflake, primary_key=True, autoincrement=False),
    Column("tracking_off_at", UTCDateTime, nullable=False),
)

# Posts opened in the help forums (the denominator of the help answer rate). No author: not personal data.
help_posts = Table(
    "help_posts",
    metadata,
    Column("thread_id", Snowflake, primary_key=True, autoincrement=False),
    Column("guild_id", Snowflake, nullable=False),
    Column("forum_id", Snowflake, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "guild_id", "created_at"),
)

# Messages and reactions per member, channel and UTC day: written behind the hot path in batches
# (bot.services.activity), so a crash loses at most the last second of counts.
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

# Catching up after the bot was away from the gateway (a full reconnect or a restart lost events): the newest
# message id seen live per guild. The starboard catch-up scans messages from a day before it, no further back.
catchup_marks = Table(
    "catchup_marks",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("last_message_id", Snowflake, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
