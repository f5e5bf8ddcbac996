"""Every table of Kudos on one MetaData: each feature's ``tables`` module, imported in one place; and every
feature's personal-data declarations (its ``personal`` module), collected in :data:`PERSONAL_DATA`.

Alembic migrations in ``migrations/`` create exactly this schema; a test compares the two. Features import
their own tables module, never this one; the sandbox summary, the schema tests and the tools do. The bot's
services hand :data:`PERSONAL_DATA` to ``PrivacyService``, which exports and erases a member's data from it
(``/mydata``, retention) without importing the features; a test checks that every column of this schema that
can hold a member's id is declared.
"""

from __future__ import annotations

from bot.activity import personal as activity_personal
from bot.activity.tables import activity_counters
from bot.announcements import personal as announcements_personal
from bot.announcements.tables import announcements
from bot.betas import personal as betas_personal
from bot.betas.tables import beta_participants, betas
from bot.catchup.tables import catchup_marks
from bot.contributions import personal as contributions_personal
from bot.contributions.tables import featured_posts, help_posts, solutions
from bot.dashboard import personal as dashboard_personal
from bot.dashboard.tables import web_login_nonces, web_sessions
from bot.feedback import personal as feedback_personal
from bot.feedback.tables import (
    feedback,
    feedback_coreporters,
    feedback_dms_closed,
    feedback_drafts,
    feedback_followers,
    feedback_merge_proposals,
    feedback_screenshots,
    feedback_votes,
)
from bot.github.tables import github_deliveries, github_links
from bot.giveback import personal as giveback_personal
from bot.giveback.tables import giveback
from bot.ledger import personal as ledger_personal
from bot.ledger.tables import (
    contribution_days,
    contributions,
    member_stages,
    member_stats,
    stage_ladders,
    stage_moves,
)
from bot.linkedroles import personal as linkedroles_personal
from bot.linkedroles.tables import linked_role_links
from bot.platform.db.metadata import metadata
from bot.platform.personal import NoMemberIds, PersonalData, check_registry
from bot.platform.personal_data import AUDIT_LOG, MEMBER_LOCALES, MEMBERS
from bot.platform.tables import audit_log, guilds, member_locales, members, timers
from bot.privacy import personal as privacy_personal
from bot.privacy.tables import privacy_optouts, privacy_public_names
from bot.privileges import personal as privileges_personal
from bot.privileges.tables import member_privileges, privilege_moves, staging_posts, staging_reviews
from bot.rewards import personal as rewards_personal
from bot.rewards.tables import grants, perk_codes, perk_holders, perk_pools, reward_earned, reward_rules
from bot.search import personal as search_personal
from bot.search.tables import search_docs, search_helped
from bot.settings import personal as settings_personal
from bot.settings.tables import setting_overrides, setting_versions
from bot.webhooks import personal as webhooks_personal
from bot.webhooks.tables import webhook_deliveries, webhook_endpoints, webhook_events

__all__ = [
    "NO_MEMBER_IDS",
    "PERSONAL_DATA",
    "activity_counters",
    "announcements",
    "audit_log",
    "beta_participants",
    "betas",
    "catchup_marks",
    "contribution_days",
    "contributions",
    "featured_posts",
    "feedback",
    "feedback_coreporters",
    "feedback_dms_closed",
    "feedback_drafts",
    "feedback_followers",
    "feedback_merge_proposals",
    "feedback_screenshots",
    "feedback_votes",
    "github_deliveries",
    "github_links",
    "giveback",
    "grants",
    "guilds",
    "help_posts",
    "member_privileges",
    "member_locales",
    "member_stages",
    "member_stats",
    "linked_role_links",
    "members",
    "metadata",
    "perk_codes",
    "perk_holders",
    "perk_pools",
    "privacy_optouts",
    "privacy_public_names",
    "privilege_moves",
    "reward_earned",
    "reward_rules",
    "setting_overrides",
    "setting_versions",
    "search_docs",
    "search_helped",
    "solutions",
    "staging_posts",
    "staging_reviews",
    "stage_ladders",
    "stage_moves",
    "timers",
    "web_login_nonces",
    "web_sessions",
    "webhook_deliveries",
    "webhook_endpoints",
    "webhook_events",
]

# In the order of the /mydata export's sections.
PERSONAL_DATA: tuple[PersonalData, ...] = check_registry((
    MEMBERS,
    *privacy_personal.PERSONAL_DATA,
    *ledger_personal.PERSONAL_DATA,
    *privileges_personal.PERSONAL_DATA,
    *giveback_personal.PERSONAL_DATA,
    *rewards_personal.PERSONAL_DATA,
    *betas_personal.PERSONAL_DATA,
    *feedback_personal.PERSONAL_DATA,
    *search_personal.PERSONAL_DATA,
    *contributions_personal.PERSONAL_DATA,
    *announcements_personal.PERSONAL_DATA,
    *activity_personal.PERSONAL_DATA,
    AUDIT_LOG,
    MEMBER_LOCALES,
    *dashboard_personal.PERSONAL_DATA,
    *settings_personal.PERSONAL_DATA,
    *linkedroles_personal.PERSONAL_DATA,
    *webhooks_personal.PERSONAL_DATA,
))

# Tables that hold no member id but a value derived from one (kept by erasure on purpose, with the reason).
NO_MEMBER_IDS: tuple[NoMemberIds, ...] = (*rewards_personal.NO_MEMBER_IDS,)
