"""Reciprocal rewards: rules, evaluation, the grant outbox and perk pools (see :mod:`.service`)."""

from bot.services.rewards._common import BONUS_SOURCE
from bot.services.rewards._roles import HeldRoles, MemberLookup
from bot.services.rewards.codes import CodeImport, parse_codes
from bot.services.rewards.conditions import MemberFacts, account_created_at, check_conditions
from bot.services.rewards.progress import NextReward, RewardProgress, nearest
from bot.services.rewards.rules import Rule, definition_from_config, rule_from_definition
from bot.services.rewards.safety import DANGEROUS_PERMISSIONS, RoleFacts, role_problems
from bot.services.rewards.service import (
    ACTIONS,
    FactsProvider,
    PreviewResult,
    RewardsService,
    render,
)

__all__ = [
    "ACTIONS",
    "BONUS_SOURCE",
    "DANGEROUS_PERMISSIONS",
    "CodeImport",
    "FactsProvider",
    "HeldRoles",
    "MemberFacts",
    "MemberLookup",
    "NextReward",
    "PreviewResult",
    "RewardProgress",
    "RewardsService",
    "RoleFacts",
    "Rule",
    "account_created_at",
    "check_conditions",
    "nearest",
    "definition_from_config",
    "parse_codes",
    "render",
    "role_problems",
    "rule_from_definition",
]
