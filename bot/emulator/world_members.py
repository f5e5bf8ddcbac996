"""Members and roles in the world: what the bot may change (Manage Roles, Manage Nicknames, hierarchy)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.emulator import rules
from bot.emulator.rules import ApiError, unknown
from bot.emulator.state import Member, Role

if TYPE_CHECKING:
    from bot.emulator.server import Emulator


def sorted_roles(emu: Emulator, guild_id: int) -> list[Role]:
    return sorted(emu._guild(guild_id).roles.values(), key=lambda r: (r.position, r.id))


def _role_fields(emu: Emulator, body: dict[str, Any], role: Role) -> None:
    if "name" in body and body["name"] is not None:
        if len(str(body["name"])) > 100:
            raise ApiError(400, 50035, "Invalid Form Body", {"name": {"_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 100 or fewer in length."}]}})
        role.name = str(body["name"])
    if body.get("permissions") is not None:
        perms = int(body["permissions"])
        guild = emu._guild(role.guild_id)
        mine = rules.base_permissions(guild, guild.members[emu.bot_user_id])
        if perms & ~mine and not mine & rules.ADMINISTRATOR:
            raise rules.missing_permissions()  # cannot grant permissions it does not have
        role.permissions = perms
    if body.get("color") is not None:
        role.color = int(body["color"])
    if body.get("colors") and body["colors"].get("primary_color") is not None:
        role.color = int(body["colors"]["primary_color"])
    if body.get("hoist") is not None:
        role.hoist = bool(body["hoist"])
    if body.get("mentionable") is not None:
        role.mentionable = bool(body["mentionable"])


async def bot_create_role(emu: Emulator, guild_id: int, body: dict[str, Any]) -> Role:
    emu._require_guild(guild_id, rules.MANAGE_ROLES)
    guild = emu._guild(guild_id)
    role = Role(emu.ids.next(), guild_id, "new role", position=1)
    _role_fields(emu, body, role)
    guild.roles[role.id] = role
    await emu.gateway.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role.to_json()}, guild_id)
    return role


async def bot_edit_role(emu: Emulator, guild_id: int, role_id: int, body: dict[str, Any]) -> Role:
    role = emu._role(guild_id, role_id)
    emu._require_guild(guild_id, rules.MANAGE_ROLES)
    if role.id != guild_id:
        emu._require_below_bot(guild_id, role)
    _role_fields(emu, body, role)
    await emu.gateway.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild_id), "role": role.to_json()}, guild_id)
    return role


async def bot_delete_role(emu: Emulator, guild_id: int, role_id: int) -> None:
    guild = emu._guild(guild_id)
    role = emu._role(guild_id, role_id)
    emu._require_guild(guild_id, rules.MANAGE_ROLES)
    emu._require_below_bot(guild_id, role)
    del guild.roles[role.id]
    for member in guild.members.values():
        if role.id in member.roles:
            member.roles.remove(role.id)
    await emu.gateway.dispatch("GUILD_ROLE_DELETE", {"guild_id": str(guild_id), "role_id": str(role.id)}, guild_id)


def list_members(emu: Emulator, guild_id: int, query: dict[str, str]) -> list[Member]:
    """List Guild Members: by user id, after ``after``, ``limit`` 1-1000 (default 1)."""
    guild = emu._guild(guild_id)
    limit = min(int(query.get("limit", 1)), 1000)
    after = int(query.get("after", 0))
    members = sorted((m for m in guild.members.values() if m.user_id > after), key=lambda m: m.user_id)
    return members[:limit]


async def bot_edit_member(emu: Emulator, guild_id: int, user_id: int, body: dict[str, Any]) -> Member:
    guild = emu._guild(guild_id)
    member = emu._member(guild_id, user_id)
    if "roles" in body and body["roles"] is not None:
        emu._require_guild(guild_id, rules.MANAGE_ROLES)
        new = [int(r) for r in body["roles"]]
        for rid in new:
            if rid not in guild.roles:
                raise unknown("role")
        for rid in set(new) ^ set(member.roles):
            if rid in guild.roles:
                emu._require_below_bot(guild_id, guild.roles[rid])
        member.roles = list(dict.fromkeys(new))
    if "nick" in body:
        emu._require_guild(guild_id, rules.MANAGE_NICKNAMES)
        if guild.owner_id == member.user_id or (
                member.user_id != emu.bot_user_id
                and rules.top_role_position(guild, member) >= emu.bot_top_position(guild_id)):
            raise rules.missing_permissions()
        member.nick = body["nick"] or None
    await emu._dispatch_member_update(member)
    return member


async def bot_set_member_role(emu: Emulator, guild_id: int, user_id: int, role_id: int, add: bool) -> None:
    """Add/Remove Guild Member Role (a no-op when nothing changes: no GUILD_MEMBER_UPDATE then)."""
    member = emu._member(guild_id, user_id)
    role = emu._role(guild_id, role_id)
    emu._require_guild(guild_id, rules.MANAGE_ROLES)
    emu._require_below_bot(guild_id, role)
    changed = False
    if add and role.id not in member.roles:
        member.roles.append(role.id)
        changed = True
    elif not add and role.id in member.roles:
        member.roles.remove(role.id)
        changed = True
    if changed:
        await emu._dispatch_member_update(member)
