"""Earned privileges (powers Kudos checks at run time, judged over a rolling window): see :mod:`.service`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platform.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.privileges.policy import PRIVILEGE_TEXT, PrivilegePolicy, Rule
    from bot.privileges.service import Listed, MemberPowers, PrivilegesService

_EXPORTS = {
    "PRIVILEGE_TEXT": ("bot.privileges.policy", "PRIVILEGE_TEXT"),
    "PrivilegePolicy": ("bot.privileges.policy", "PrivilegePolicy"),
    "Rule": ("bot.privileges.policy", "Rule"),
    "Listed": ("bot.privileges.service", "Listed"),
    "MemberPowers": ("bot.privileges.service", "MemberPowers"),
    "PrivilegesService": ("bot.privileges.service", "PrivilegesService"),
}
__all__ = ["PRIVILEGE_TEXT", "Listed", "MemberPowers", "PrivilegePolicy", "PrivilegesService", "Rule"]

__getattr__ = lazy_exports(__name__, _EXPORTS)
