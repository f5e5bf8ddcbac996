"""Every table of Kudos on one MetaData: each feature's ``tables`` module, imported in one place.

Alembic migrations in ``migrations/`` create exactly this schema; a test compares the two. Features import
their own tables module, never this one; the sandbox summary, the schema tests and the tools do.
"""

from __future__ import annotations

from bot.activity.tables import activity_counters
from bot.announcements.tables import announcements
from bot.betas.tables import beta_participants, betas
from bot.catchup.tables import catchup_marks
from bot.contributions.tables import featured_posts, help_posts, solutions
from bot.dashboard.tables import web_login_nonces, web_sessions
from bot.feedback.tables import feedback, feedback_coreporters, feedback_followers, feedback_votes
from bot.ledger.tables import contributions, member_stages, member_stats, stage_ladders, stage_moves
from bot.platform.db.metadata import metadata
from bot.platform.tables import audit_log, guilds, members, timers
from bot.privacy.tables import privacy_optouts
from bot.rewards.tables import grants, perk_codes, perk_pools, reward_rules

__all__ = [
    "activity_counters",
    "announcements",
    "audit_log",
    "beta_participants",
    "betas",
    "catchup_marks",
    "contributions",
    "featured_posts",
    "feedback",
    "feedback_coreporters",
    "feedback_followers",
    "feedback_votes",
    "grants",
    "guilds",
    "help_posts",
    "member_stages",
    "member_stats",
    "members",
    "metadata",
    "perk_codes",
    "perk_pools",
    "privacy_optouts",
    "reward_rules",
    "solutions",
    "stage_ladders",
    "stage_moves",
    "timers",
    "web_login_nonces",
    "web_sessions",
]
