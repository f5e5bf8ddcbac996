"""REST routes: users, application, gateway, guilds, roles, members."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.emulator import rules
from bot.emulator.routing import Request, Result, route
from bot.emulator.rules import ApiError, FormErrors, unknown
from bot.emulator.serialize import channel_json, guild_json, member_json
from bot.emulator.state import CHANNEL_TYPES, Channel, Role

if TYPE_CHECKING:
    from bot.emulator.server import Emulator


@route("GET", "/users/@me")
async def get_me(emu: Emulator, req: Request) -> Result:
    return 200, emu.state.users[emu.bot_user_id].to_json() | {"verified": True, "mfa_enabled": False}


@route("GET", "/users/{user_id}")
async def get_user(emu: Emulator, req: Request) -> Result:
    user = emu.state.users.get(req.id("user_id", "User"))
    if user is None:
        raise unknown("user")
    return 200, user.to_json()


@route("GET", "/oauth2/applications/@me")
async def get_application(emu: Emulator, req: Request) -> Result:
    bot = emu.state.users[emu.bot_user_id]
    owner = {"id": str(emu.application_id + 1), "username": "developer", "discriminator": "0", "avatar": None,
             "global_name": "developer", "public_flags": 0, "flags": 0}
    return 200, {
        "id": str(emu.application_id),
        "name": bot.username,
        "icon": None,
        "description": "Kudos (emulated)",
        "summary": "",
        "type": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": owner,
        "team": None,
        "verify_key": "0" * 64,
        "flags": 0,
        "bot": bot.to_json(),
        "guild_id": None,
        "rpc_origins": [],
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": len(emu.state.guilds),
    }


@route("GET", "/gateway")
async def get_gateway(emu: Emulator, req: Request) -> Result:
    return 200, {"url": emu.gateway_url}


@route("GET", "/gateway/bot")
async def get_gateway_bot(emu: Emulator, req: Request) -> Result:
    return 200, {
        "url": emu.gateway_url,
        "shards": emu.shard_count,
        "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1},
    }


@route("POST", "/users/@me/channels")
async def open_dm(emu: Emulator, req: Request) -> Result:
    body = req.body()
    try:
        uid = int(body.get("recipient_id"))
    except (TypeError, ValueError):
        raise ApiError(400, 50035, "Invalid Form Body", {"recipient_id": {"_errors": [
            {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}}) from None
    if uid not in emu.state.users:
        raise unknown("user")
    cid = emu.state.dm_channels.get(uid)
    if cid is None:
        channel = Channel(emu.ids.next(), 1, None, None, recipient_id=uid)
        emu.state.channels[channel.id] = channel
        emu.state.messages[channel.id] = {}
        emu.state.dm_channels[uid] = channel.id
        cid = channel.id
    return 200, channel_json(emu.state, emu.state.channels[cid])


# ---------------------------------------------------------------------------------------------- guilds


@route("GET", "/guilds/{guild_id}")
async def get_guild(emu: Emulator, req: Request) -> Result:
    guild = emu._guild(req.id("guild_id", "Guild"))
    out = guild_json(emu.state, guild)
    if req.query.get("with_counts") in ("true", "1", "True"):
        out["approximate_member_count"] = len(guild.members)
        out["approximate_presence_count"] = 0
    return 200, out


@route("GET", "/guilds/{guild_id}/channels")
async def get_channels(emu: Emulator, req: Request) -> Result:
    gid = req.id("guild_id", "Guild")
    emu._guild(gid)
    return 200, [channel_json(emu.state, c) for c in emu.state.guild_channels(gid) if not c.is_thread]


@route("POST", "/guilds/{guild_id}/channels")
async def create_channel(emu: Emulator, req: Request) -> Result:
    gid = req.id("guild_id", "Guild")
    emu._require_guild(gid, rules.MANAGE_CHANNELS)
    body = req.body()
    errs = FormErrors()
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        errs.add(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    errs.raise_if_any()
    ctype = int(body.get("type") or 0)
    if ctype not in set(CHANNEL_TYPES.values()) - {1, 10, 11, 12}:
        raise ApiError(400, 50035, "Invalid Form Body", {"type": {"_errors": [
            {"code": "BASE_TYPE_CHOICES", "message": "Value must be one of a valid channel type."}]}})
    overwrites = [
        {"id": int(o["id"]), "type": int(o.get("type", 0)), "allow": int(o.get("allow") or 0),
         "deny": int(o.get("deny") or 0)}
        for o in body.get("permission_overwrites") or []
    ]
    channel = emu.create_channel(
        gid, name, ctype,  # type: ignore[arg-type]
        tags=[t for t in body.get("available_tags") or []],  # type: ignore[misc]
        parent_id=int(body["parent_id"]) if body.get("parent_id") else None,
        overwrites=overwrites, topic=body.get("topic"),
        position=body.get("position"),
    )
    return 201, channel_json(emu.state, channel)


@route("GET", "/guilds/{guild_id}/threads/active")
async def active_threads(emu: Emulator, req: Request) -> Result:
    gid = req.id("guild_id", "Guild")
    emu._guild(gid)
    threads = [c for c in emu.state.guild_channels(gid) if c.is_thread and not c.archived]
    members = [
        {"id": str(t.id), "user_id": str(emu.bot_user_id), "join_timestamp": t.created_at.isoformat(), "flags": 0}
        for t in threads if emu.bot_user_id in t.thread_member_ids
    ]
    return 200, {"threads": [channel_json(emu.state, t) for t in threads], "members": members}


# ---------------------------------------------------------------------------------------------- roles


@route("GET", "/guilds/{guild_id}/roles")
async def get_roles(emu: Emulator, req: Request) -> Result:
    guild = emu._guild(req.id("guild_id", "Guild"))
    return 200, [r.to_json() for r in sorted(guild.roles.values(), key=lambda r: (r.position, r.id))]


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


@route("POST", "/guilds/{guild_id}/roles")
async def create_role(emu: Emulator, req: Request) -> Result:
    gid = req.id("guild_id", "Guild")
    emu._require_guild(gid, rules.MANAGE_ROLES)
    guild = emu._guild(gid)
    role = Role(emu.ids.next(), gid, "new role", position=1)
    _role_fields(emu, req.body(), role)
    guild.roles[role.id] = role
    await emu.gateway.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(gid), "role": role.to_json()}, gid)
    return 200, role.to_json()


@route("PATCH", "/guilds/{guild_id}/roles/{role_id}")
async def edit_role(emu: Emulator, req: Request) -> Result:
    gid = req.id("guild_id", "Guild")
    role = emu._role(gid, req.id("role_id", "Role"))
    emu._require_guild(gid, rules.MANAGE_ROLES)
    emu._require_below_bot(gid, role) if role.id != gid else None
    _role_fields(emu, req.body(), role)
    await emu.gateway.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(gid), "role": role.to_json()}, gid)
    return 200, role.to_json()


@route("DELETE", "/guilds/{guild_id}/roles/{role_id}")
async def delete_role(emu: Emulator, req: Request) -> Result:
    gid = req.id("guild_id", "Guild")
    guild = emu._guild(gid)
    role = emu._role(gid, req.id("role_id", "Role"))
    emu._require_guild(gid, rules.MANAGE_ROLES)
    emu._require_below_bot(gid, role)
    del guild.roles[role.id]
    for member in guild.members.values():
        if role.id in member.roles:
            member.roles.remove(role.id)
    await emu.gateway.dispatch("GUILD_ROLE_DELETE", {"guild_id": str(gid), "role_id": str(role.id)}, gid)
    return 204, None


# ---------------------------------------------------------------------------------------------- members


@route("GET", "/guilds/{guild_id}/members")
async def list_members(emu: Emulator, req: Request) -> Result:
    guild = emu._guild(req.id("guild_id", "Guild"))
    limit = min(int(req.query.get("limit", 1)), 1000)
    after = int(req.query.get("after", 0))
    members = sorted((m for m in guild.members.values() if m.user_id > after), key=lambda m: m.user_id)
    return 200, [member_json(emu.state, m) for m in members[:limit]]


@route("GET", "/guilds/{guild_id}/members/{user_id}")
async def get_member(emu: Emulator, req: Request) -> Result:
    member = emu._member(req.id("guild_id", "Guild"), req.id("user_id", "Member"))
    return 200, member_json(emu.state, member)


@route("PATCH", "/guilds/{guild_id}/members/{user_id}")
async def edit_member(emu: Emulator, req: Request) -> Result:
    gid = req.id("guild_id", "Guild")
    guild = emu._guild(gid)
    member = emu._member(gid, req.id("user_id", "Member"))
    body = req.body()
    if "roles" in body and body["roles"] is not None:
        emu._require_guild(gid, rules.MANAGE_ROLES)
        new = [int(r) for r in body["roles"]]
        for rid in new:
            if rid not in guild.roles:
                raise unknown("role")
        for rid in set(new) ^ set(member.roles):
            emu._require_below_bot(gid, guild.roles[rid]) if rid in guild.roles else None
        member.roles = list(dict.fromkeys(new))
    if "nick" in body:
        emu._require_guild(gid, rules.MANAGE_NICKNAMES)
        if guild.owner_id == member.user_id or (
                member.user_id != emu.bot_user_id
                and rules.top_role_position(guild, member) >= emu.bot_top_position(gid)):
            raise rules.missing_permissions()
        member.nick = body["nick"] or None
    await emu._dispatch_member_update(member)
    return 200, member_json(emu.state, member)


async def _member_role(emu: Emulator, req: Request, add: bool) -> Result:
    gid = req.id("guild_id", "Guild")
    member = emu._member(gid, req.id("user_id", "Member"))
    role = emu._role(gid, req.id("role_id", "Role"))
    emu._require_guild(gid, rules.MANAGE_ROLES)
    emu._require_below_bot(gid, role)
    changed = False
    if add and role.id not in member.roles:
        member.roles.append(role.id)
        changed = True
    elif not add and role.id in member.roles:
        member.roles.remove(role.id)
        changed = True
    if changed:
        await emu._dispatch_member_update(member)
    return 204, None


@route("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
async def add_member_role(emu: Emulator, req: Request) -> Result:
    return await _member_role(emu, req, True)


@route("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
async def remove_member_role(emu: Emulator, req: Request) -> Result:
    return await _member_role(emu, req, False)
