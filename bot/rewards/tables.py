"""The rewards tables (SQLAlchemy Core). Alembic migrations create exactly these; a test compares them."""

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
    UniqueConstraint,
)

from bot.platform.db.metadata import metadata
from bot.platform.db.types import Snowflake, SurrogateKey, UTCDateTime

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
    # The "out of codes" alert of the current dip (its own flag: it follows the "running low" one). Last, where
    # migration 0013 added it: a database created from these tables has its columns in this order.
    Column("empty_alerted", Boolean, nullable=False, server_default="0"),
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

# Kept by erasure (bot/rewards/marks.py): per member *mark* (HMAC-SHA256 of guild and member id under a key
# derived from the server secret, 64 hex digits; no member id), the rules earned and the codes held, so an
# erased member can't earn a rule again or claim codes beyond a pool's per-member limit.
reward_earned = Table(
    "reward_earned",
    metadata,
    Column("guild_id", Snowflake, primary_key=True, autoincrement=False),
    Column("member_mark", String(64), primary_key=True),
    Column("rule_name", String(100), primary_key=True),
    # The UTC day (midnight) of the latest earning: the day only, so it dates no grant.
    Column("earned_on", UTCDateTime, nullable=False),
)

perk_holders = Table(
    "perk_holders",
    metadata,
    Column("pool_id", SurrogateKey, ForeignKey("perk_pools.id", ondelete="CASCADE"), primary_key=True,
           autoincrement=False),
    Column("member_mark", String(64), primary_key=True),
    # Codes of the pool claimed under this mark and not voided.
    Column("held", Integer, nullable=False, server_default="0"),
)
