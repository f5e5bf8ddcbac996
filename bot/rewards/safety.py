"""Safety of reward roles: a rule may only hand out a role the bot can manage and that grants no powers."""

from __future__ import annotations

from dataclasses import dataclass

from bot.platform.deferred import Said, said
from bot.platform.i18n import N_

# Discord permission bits a reward role must never carry.
DANGEROUS_PERMISSIONS: dict[str, int] = {
    "Administrator": 1 << 3,
    "Manage Server": 1 << 5,
    "Ban Members": 1 << 2,
    "Kick Members": 1 << 1,
    "Manage Roles": 1 << 28,
}


@dataclass(frozen=True, slots=True)
class RoleFacts:
    id: int
    name: str
    position: int
    permissions: int
    managed: bool = False
    is_default: bool = False


def role_problems(role: RoleFacts | None, *, bot_top_position: int, bot_can_manage_roles: bool = True) -> list[Said]:
    """Why this role can't be a reward (empty when it can), in words staff can act on: each an English text
    that keeps its message (:func:`bot.platform.deferred.said`), so it can be stored with a rule and shown in
    the reader's language."""
    if role is None:
        return [said(N_("the role does not exist in this server"))]
    problems: list[Said] = []
    if role.is_default:
        problems.append(said(N_("@everyone can't be given as a reward")))
    if role.managed:
        problems.append(said(N_("role {role} is managed by an integration or bot and can't be assigned"),
                             role=role.name))
    if role.position >= bot_top_position:
        problems.append(said(N_("role {role} is above (or level with) my top role; drag my role above it in "
                                "Server Settings → Roles"), role=role.name))
    dangerous = [name for name, bit in DANGEROUS_PERMISSIONS.items() if role.permissions & bit]
    if dangerous:
        problems.append(said(N_("role {role} carries dangerous permissions ({permissions}); a reward must not "
                                "hand out moderation powers"), role=role.name, permissions=", ".join(dangerous)))
    if not bot_can_manage_roles:
        problems.append(said(N_("I'm missing the Manage Roles permission")))
    return problems
