"""Reciprocal rewards: rules, evaluation, the grant outbox and perk pools (see :mod:`.service`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platform.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.rewards._common import BONUS_SOURCE
    from bot.rewards._roles import HeldRoles, MemberLookup
    from bot.rewards.codes import CodeImport, parse_codes
    from bot.rewards.conditions import MemberFacts, account_created_at, check_conditions
    from bot.rewards.progress import NextReward, RewardProgress, nearest
    from bot.rewards.rules import Rule, definition_from_config, rule_from_definition
    from bot.rewards.safety import DANGEROUS_PERMISSIONS, RoleFacts, role_problems
    from bot.rewards.service import ACTIONS, FactsProvider, PreviewResult, RewardsService, render

# Loaded on first use (bot.platform.lazy).
_EXPORTS = {
    "BONUS_SOURCE": ("bot.rewards._common", "BONUS_SOURCE"),
    "HeldRoles": ("bot.rewards._roles", "HeldRoles"),
    "MemberLookup": ("bot.rewards._roles", "MemberLookup"),
    "CodeImport": ("bot.rewards.codes", "CodeImport"),
    "parse_codes": ("bot.rewards.codes", "parse_codes"),
    "MemberFacts": ("bot.rewards.conditions", "MemberFacts"),
    "account_created_at": ("bot.rewards.conditions", "account_created_at"),
    "check_conditions": ("bot.rewards.conditions", "check_conditions"),
    "NextReward": ("bot.rewards.progress", "NextReward"),
    "RewardProgress": ("bot.rewards.progress", "RewardProgress"),
    "nearest": ("bot.rewards.progress", "nearest"),
    "Rule": ("bot.rewards.rules", "Rule"),
    "definition_from_config": ("bot.rewards.rules", "definition_from_config"),
    "rule_from_definition": ("bot.rewards.rules", "rule_from_definition"),
    "DANGEROUS_PERMISSIONS": ("bot.rewards.safety", "DANGEROUS_PERMISSIONS"),
    "RoleFacts": ("bot.rewards.safety", "RoleFacts"),
    "role_problems": ("bot.rewards.safety", "role_problems"),
    "ACTIONS": ("bot.rewards.service", "ACTIONS"),
    "FactsProvider": ("bot.rewards.service", "FactsProvider"),
    "PreviewResult": ("bot.rewards.service", "PreviewResult"),
    "RewardsService": ("bot.rewards.service", "RewardsService"),
    "render": ("bot.rewards.service", "render"),
}
__all__ = [
    "ACTIONS",
    "BONUS_SOURCE",
    "CodeImport",
    "DANGEROUS_PERMISSIONS",
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
    "definition_from_config",
    "nearest",
    "parse_codes",
    "render",
    "role_problems",
    "rule_from_definition",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
