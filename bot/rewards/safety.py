"""Safety of reward roles: a rule may only hand out a role the bot can manage and that grants no powers."""

from __future__ import annotations

from dataclasses import dataclass

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


def role_problems(role: RoleFacts | None, *, bot_top_position: int, bot_can_manage_roles: bool = True) -> list[str]:
    """Why this role can't be a reward (empty when it can), in words staff can act on."""
    if role is None:
        return ["the role does not exist in this server"]
    problems: list[str] = []
    if role.is_default:
        problems.append("@everyone can't be given as a reward")
    if role.managed:
        problems.append(f"role {role.name} is managed by an integration or bot and can't be assigned")
    if role.position >= bot_top_position:
        problems.append(f"role {role.name} is above (or level with) my top role; drag my role above it in "
                        "Server Settings → Roles")
    dangerous = [name for name, bit in DANGEROUS_PERMISSIONS.items() if role.permissions & bit]
    if dangerous:
        problems.append(f"role {role.name} carries dangerous permissions ({', '.join(dangerous)}); "
                        "a reward must not hand out moderation powers")
    if not bot_can_manage_roles:
        problems.append("I'm missing the Manage Roles permission")
    return problems
