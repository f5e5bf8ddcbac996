"""REST routes: users, application, gateway, guilds, roles, members (parse, call the world, serialize)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.emulator import rules
from bot.emulator import world_channels as channels
from bot.emulator import world_members as members
from bot.emulator.routing import Request, Result, Router, RouteTable
from bot.emulator.rules import ApiError, unknown
from bot.emulator.serialize import application_json, channel_json, guild_json, member_json

if TYPE_CHECKING:
    from bot.emulator.server import Emulator

ROUTES = RouteTable()
route = ROUTES.route


def register(router: Router) -> None:
    router.include(ROUTES)


@route("GET", "/users/@me")
async def get_me(emu: Emulator, req: Request) -> Result:
    me = emu.state.users[req.oauth_user or emu.bot_user_id].to_json()  # a bearer token: its user
    return 200, me | {"verified": True, "mfa_enabled": False, "locale": "en-US", "email": None}


@route("GET", "/users/@me/guilds")
async def list_my_guilds(emu: Emulator, req: Request) -> Result:
    """user.mdx "Get Current User Guilds": "Returns a list of partial guild objects the current user is a member
    of", sorted by id, paged by ``before``/``after``/``limit`` (1-200, default 200)."""
    try:
        limit = int(req.query.get("limit", 200))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 200:
        raise ApiError(400, 50035, "Invalid Form Body", {"limit": {"_errors": [
            {"code": "NUMBER_TYPE_MAX" if limit > 200 else "NUMBER_TYPE_MIN",
             "message": "int value should be between 1 and 200"}]}})
    after = int(req.query.get("after", 0) or 0)
    before = int(req.query["before"]) if req.query.get("before") else None
    with_counts = req.query.get("with_counts") in ("true", "1", "True")
    out = []
    for guild in sorted(emu.state.guilds.values(), key=lambda g: g.id):
        me = guild.members.get(emu.bot_user_id)
        if me is None or guild.id <= after or (before is not None and guild.id >= before):
            continue
        partial = {"id": str(guild.id), "name": guild.name, "icon": None, "banner": None,
                   "owner": guild.owner_id == emu.bot_user_id,
                   "permissions": str(rules.base_permissions(guild, me)), "features": []}
        if with_counts:
            partial |= {"approximate_member_count": len(guild.members), "approximate_presence_count": 0}
        out.append(partial)
    return 200, out[:limit] if before is None else out[-limit:]


@route("GET", "/users/{user_id}")
async def get_user(emu: Emulator, req: Request) -> Result:
    user = emu.state.users.get(req.id("user_id", "User"))
    if user is None:
        raise unknown("user")
    return 200, user.to_json()


# application.mdx "Application Flags": an app in under 100 servers has the *_LIMITED flag of each privileged
# intent enabled on its Bot page (GATEWAY_PRESENCE_LIMITED 1 << 13, GATEWAY_GUILD_MEMBERS_LIMITED 1 << 15,
# GATEWAY_MESSAGE_CONTENT_LIMITED 1 << 19).
_LIMITED_INTENT_FLAGS = ((1 << 8, 1 << 13), (1 << 1, 1 << 15), (1 << 15, 1 << 19))  # (intent, flag)


@route("GET", "/oauth2/applications/@me")
async def get_application(emu: Emulator, req: Request) -> Result:
    out = application_json(emu.state, emu.application_id, emu.bot_user_id)
    flags = out["flags"]
    for intent, flag in _LIMITED_INTENT_FLAGS:
        if emu.privileged_intents & intent:
            flags |= flag
    return 200, out | {"flags": flags, "flags_new": str(flags)}


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
    try:
        uid = int(req.body().get("recipient_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ApiError(400, 50035, "Invalid Form Body", {"recipient_id": {"_errors": [
            {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}}) from None
    return 200, channel_json(emu.state, channels.open_dm(emu, uid))


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
    channel = channels.create_guild_channel(emu, req.id("guild_id", "Guild"), req.body())
    return 201, channel_json(emu.state, channel)


@route("GET", "/guilds/{guild_id}/threads/active")
async def active_threads(emu: Emulator, req: Request) -> Result:
    threads, thread_members = channels.active_threads(emu, req.id("guild_id", "Guild"))
    return 200, {"threads": [channel_json(emu.state, t) for t in threads], "members": thread_members,
                 "has_more": False}


# ---------------------------------------------------------------------------------------------- roles


@route("GET", "/guilds/{guild_id}/roles")
async def get_roles(emu: Emulator, req: Request) -> Result:
    return 200, [r.to_json() for r in members.sorted_roles(emu, req.id("guild_id", "Guild"))]


@route("POST", "/guilds/{guild_id}/roles")
async def create_role(emu: Emulator, req: Request) -> Result:
    role = await members.bot_create_role(emu, req.id("guild_id", "Guild"), req.body())
    return 200, role.to_json()


@route("PATCH", "/guilds/{guild_id}/roles/{role_id}")
async def edit_role(emu: Emulator, req: Request) -> Result:
    role = await members.bot_edit_role(emu, req.id("guild_id", "Guild"), req.id("role_id", "Role"), req.body())
    return 200, role.to_json()


@route("DELETE", "/guilds/{guild_id}/roles/{role_id}")
async def delete_role(emu: Emulator, req: Request) -> Result:
    await members.bot_delete_role(emu, req.id("guild_id", "Guild"), req.id("role_id", "Role"))
    return 204, None


# ---------------------------------------------------------------------------------------------- members


@route("GET", "/guilds/{guild_id}/members")
async def list_members(emu: Emulator, req: Request) -> Result:
    found = members.list_members(emu, req.id("guild_id", "Guild"), req.query)
    return 200, [member_json(emu.state, m) for m in found]


@route("GET", "/guilds/{guild_id}/members/{user_id}")
async def get_member(emu: Emulator, req: Request) -> Result:
    return 200, member_json(emu.state, emu._member(req.id("guild_id", "Guild"), req.id("user_id", "Member")))


@route("PATCH", "/guilds/{guild_id}/members/{user_id}")
async def edit_member(emu: Emulator, req: Request) -> Result:
    member = await members.bot_edit_member(emu, req.id("guild_id", "Guild"), req.id("user_id", "Member"), req.body())
    return 200, member_json(emu.state, member)


_MEMBER_ROLE = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"


@route("PUT", _MEMBER_ROLE)
async def add_member_role(emu: Emulator, req: Request) -> Result:
    await members.bot_set_member_role(emu, req.id("guild_id", "Guild"), req.id("user_id", "Member"),
                                      req.id("role_id", "Role"), True)
    return 204, None


@route("DELETE", _MEMBER_ROLE)
async def remove_member_role(emu: Emulator, req: Request) -> Result:
    await members.bot_set_member_role(emu, req.id("guild_id", "Guild"), req.id("user_id", "Member"),
                                      req.id("role_id", "Role"), False)
    return 204, None
