"""REST routes: channels, threads, messages, reactions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.emulator import rules
from bot.emulator.routing import Request, Result, route
from bot.emulator.rules import ApiError, FormErrors, check_message, check_thread_name
from bot.emulator.serialize import channel_json, message_json, parse_mentions
from bot.emulator.state import Channel, Message, now

if TYPE_CHECKING:
    from bot.emulator.server import Emulator

TEXT_LIKE = {0, 1, 2, 5, 10, 11, 12, 13}


def build_message(emu: Emulator, channel: Channel, author_id: int, payload: dict[str, Any],
                  files: list[tuple[str, bytes, str]], *, embeds_allowed: bool = True) -> Message:
    """A Message from a create-message body (REST, webhook or interaction response)."""
    content = payload.get("content") or ""
    embeds = list(payload.get("embeds") or []) if embeds_allowed else []
    users, roles = parse_mentions(emu.state, content, channel.guild_id)
    msg = Message(
        emu.ids.next(), channel.id, author_id, guild_id=channel.guild_id, content=content, embeds=embeds,
        components=list(payload.get("components") or []), allowed_mentions=payload.get("allowed_mentions"),
        flags=int(payload.get("flags") or 0), mentions=users, mention_roles=roles,
    )
    ref = payload.get("message_reference")
    if ref and ref.get("message_id"):
        target_channel = int(ref.get("channel_id") or channel.id)
        if int(ref["message_id"]) not in emu.state.messages.get(target_channel, {}):
            if ref.get("fail_if_not_exists", True):
                raise ApiError(400, 50035, "Invalid Form Body", {"message_reference": {"_errors": [
                    {"code": "REPLIES_UNKNOWN_MESSAGE", "message": "Unknown message"}]}})
        else:
            msg.type = 19
            msg.message_reference = {"type": 0, "message_id": str(ref["message_id"]),
                                     "channel_id": str(target_channel),
                                     **({"guild_id": str(channel.guild_id)} if channel.guild_id else {})}
    set_attachments(emu, msg, payload, files)
    return msg


def set_attachments(emu: Emulator, msg: Message, payload: dict[str, Any], files: list[tuple[str, bytes, str]]) -> None:
    if not files:
        if payload.get("attachments") == []:
            msg.attachments, msg.files = [], []
        return
    meta = {int(a.get("id", i)): a for i, a in enumerate(payload.get("attachments") or [])}
    for i, (name, data, ctype) in enumerate(files):
        aid = emu.ids.next()
        info = meta.get(i, {})
        filename = info.get("filename") or name
        url = f"https://cdn.discordapp.com/attachments/{msg.channel_id}/{aid}/{filename}"
        msg.attachments.append({"id": str(aid), "filename": filename, "size": len(data), "url": url,
                                "proxy_url": url, "content_type": ctype, "description": info.get("description")})
        msg.files.append((filename, data))


async def post_message(emu: Emulator, msg: Message) -> None:
    emu._store_message(msg)
    await emu.gateway.dispatch("MESSAGE_CREATE", message_json(emu.state, msg), msg.guild_id)


# ---------------------------------------------------------------------------------------------- channels


@route("GET", "/channels/{channel_id}")
async def get_channel(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    if channel.guild_id is not None:
        emu._require(channel)
    return 200, channel_json(emu.state, channel)


def _check_tags(emu: Emulator, channel: Channel, tags: list[Any]) -> list[int]:
    parent = emu._parent(channel) if channel.is_thread else channel
    available = {int(t["id"]) for t in (parent.available_tags if parent else [])}
    ids = [int(t) for t in tags]
    errs = FormErrors()
    if len(ids) > 5:
        errs.add(["applied_tags"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    for i, tid in enumerate(ids):
        if tid not in available:
            errs.add(["applied_tags", i], "THREAD_TAG_INVALID", "Unknown tag")
    errs.raise_if_any()
    return list(dict.fromkeys(ids))


@route("PATCH", "/channels/{channel_id}")
async def edit_channel(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    if channel.guild_id is None:
        raise ApiError(403, 50003, "Cannot execute action on a DM channel")
    body = req.body()
    perms = emu._require(channel)
    if channel.is_thread:
        own = channel.owner_id == emu.bot_user_id
        manage = bool(perms & rules.MANAGE_THREADS)
        if not manage and (not own or "locked" in body or channel.locked):
            raise rules.missing_permissions()
        check_thread_name(body.get("name"))
        if "applied_tags" in body and body["applied_tags"] is not None:
            channel.applied_tags = _check_tags(emu, channel, body["applied_tags"])
        if body.get("name"):
            channel.name = body["name"]
        if body.get("archived") is not None:
            channel.archived = bool(body["archived"])
        if body.get("locked") is not None:
            channel.locked = bool(body["locked"])
        if body.get("auto_archive_duration"):
            channel.auto_archive_duration = int(body["auto_archive_duration"])
        await emu.gateway.dispatch("THREAD_UPDATE", channel_json(emu.state, channel), channel.guild_id)
        return 200, channel_json(emu.state, channel)
    if not perms & rules.MANAGE_CHANNELS:
        raise rules.missing_permissions()
    errs = FormErrors()
    if "name" in body:
        if not isinstance(body["name"], str) or not 1 <= len(body["name"]) <= 100:
            errs.add(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    errs.too_long(["topic"], body.get("topic"), 4096 if channel.type in (15, 16) else 1024)
    errs.raise_if_any()
    if body.get("name"):
        channel.name = body["name"]
    if "topic" in body:
        channel.topic = body["topic"]
    if body.get("position") is not None:
        channel.position = int(body["position"])
    if "parent_id" in body:
        channel.parent_id = int(body["parent_id"]) if body["parent_id"] else None
    if body.get("available_tags") is not None:
        if len(body["available_tags"]) > 20:
            raise ApiError(400, 50035, "Invalid Form Body", {"available_tags": {"_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 20 or fewer in length."}]}})
        channel.available_tags = [emu._make_tag(t) for t in body["available_tags"]]
    if body.get("permission_overwrites") is not None:
        channel.overwrites = [
            {"id": int(o["id"]), "type": int(o.get("type", 0)), "allow": int(o.get("allow") or 0),
             "deny": int(o.get("deny") or 0)} for o in body["permission_overwrites"]
        ]
    if body.get("rate_limit_per_user") is not None:
        channel.rate_limit_per_user = int(body["rate_limit_per_user"])
    await emu.gateway.dispatch("CHANNEL_UPDATE", channel_json(emu.state, channel), channel.guild_id)
    return 200, channel_json(emu.state, channel)


@route("DELETE", "/channels/{channel_id}")
async def delete_channel(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    if channel.guild_id is None:
        return 200, channel_json(emu.state, channel)
    perms = emu._require(channel)
    if not perms & (rules.MANAGE_THREADS if channel.is_thread else rules.MANAGE_CHANNELS):
        raise rules.missing_permissions()
    data = channel_json(emu.state, channel)
    del emu.state.channels[channel.id]
    guild = emu._guild(channel.guild_id)
    if channel.id in guild.channel_ids:
        guild.channel_ids.remove(channel.id)
    if channel.is_thread:
        payload = {"id": str(channel.id), "guild_id": str(channel.guild_id), "parent_id": str(channel.parent_id),
                   "type": channel.type}
        await emu.gateway.dispatch("THREAD_DELETE", payload, channel.guild_id)
    else:
        await emu.gateway.dispatch("CHANNEL_DELETE", data, channel.guild_id)
    return 200, data


# ---------------------------------------------------------------------------------------------- messages


@route("GET", "/channels/{channel_id}/messages")
async def get_messages(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    emu._require(channel, rules.READ_MESSAGE_HISTORY)
    limit = max(1, min(int(req.query.get("limit", 50)), 100))
    msgs = sorted(emu.messages(channel.id), key=lambda m: m.id, reverse=True)
    if "before" in req.query:
        msgs = [m for m in msgs if m.id < int(req.query["before"])]
    if "after" in req.query:
        msgs = [m for m in msgs if m.id > int(req.query["after"])][-limit:]
    if "around" in req.query:
        around = int(req.query["around"])
        older = [m for m in msgs if m.id <= around][: (limit + 1) // 2]
        newer = [m for m in msgs if m.id > around][-(limit // 2):] if limit > 1 else []
        msgs = newer + older
    return 200, [message_json(emu.state, m) for m in msgs[:limit]]


@route("POST", "/channels/{channel_id}/messages")
async def create_message(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    body = req.body()
    if channel.type not in TEXT_LIKE:
        raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
    embeds_ok = True
    if channel.type == 1:
        emu._require_dm_target(channel)
    else:
        perms = emu._require(channel, rules.SEND_MESSAGES_IN_THREADS if channel.is_thread else rules.SEND_MESSAGES)
        if req.files and not perms & rules.ATTACH_FILES:
            raise rules.missing_permissions()
        if body.get("message_reference") and not perms & rules.READ_MESSAGE_HISTORY:
            raise rules.missing_permissions()
        embeds_ok = bool(perms & rules.EMBED_LINKS)
        if channel.is_thread and channel.locked and not perms & rules.MANAGE_THREADS:
            raise rules.missing_permissions()
    check_message(body, has_files=bool(req.files))
    msg = build_message(emu, channel, emu.bot_user_id, body, req.files, embeds_allowed=embeds_ok)
    if channel.is_thread and channel.archived:
        channel.archived = False
        await emu.gateway.dispatch("THREAD_UPDATE", channel_json(emu.state, channel), channel.guild_id)
    await post_message(emu, msg)
    return 200, message_json(emu.state, msg)


@route("GET", "/channels/{channel_id}/messages/{message_id}")
async def get_message(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    if channel.guild_id is not None:
        emu._require(channel, rules.READ_MESSAGE_HISTORY)
    return 200, message_json(emu.state, emu._message(channel.id, req.id("message_id", "Message")))


async def apply_edit(emu: Emulator, msg: Message, body: dict[str, Any], files: list[tuple[str, bytes, str]]) -> None:
    """Edit a message the Discord way and dispatch MESSAGE_UPDATE (unless ephemeral)."""
    check_message(body, has_files=bool(files), require_content=False)
    if "content" in body:
        msg.content = body["content"] or ""
        msg.mentions, msg.mention_roles = parse_mentions(emu.state, msg.content, msg.guild_id)
    if "embeds" in body:
        msg.embeds = list(body["embeds"] or [])
    if "components" in body:
        msg.components = list(body["components"] or [])
    if "allowed_mentions" in body:
        msg.allowed_mentions = body["allowed_mentions"]
    if body.get("flags") is not None:
        msg.flags = (msg.flags & 64) | (int(body["flags"]) & ~64 & ~128)
    msg.flags &= ~128  # an edit ends the "thinking" state of a deferred response
    if "attachments" in body or files:
        keep = {str(a.get("id")) for a in body.get("attachments") or [] if a.get("id") is not None}
        msg.attachments = [a for a in msg.attachments if a["id"] in keep]
        set_attachments(emu, msg, {}, files)
    msg.edited_timestamp = now()
    if not msg.ephemeral:
        await emu.gateway.dispatch("MESSAGE_UPDATE", message_json(emu.state, msg), msg.guild_id)


@route("PATCH", "/channels/{channel_id}/messages/{message_id}")
async def edit_message(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    msg = emu._message(channel.id, req.id("message_id", "Message"))
    if channel.guild_id is not None:
        perms = emu._require(channel)
        if msg.author_id != emu.bot_user_id and set(req.body()) - {"flags"}:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        if msg.author_id != emu.bot_user_id and not perms & rules.MANAGE_MESSAGES:
            raise rules.missing_permissions()
    elif msg.author_id != emu.bot_user_id:
        raise ApiError(403, 50005, "Cannot edit a message authored by another user")
    await apply_edit(emu, msg, req.body(), req.files)
    return 200, message_json(emu.state, msg)


async def delete_message_model(emu: Emulator, msg: Message) -> None:
    msg.deleted = True
    emu.state.messages.get(msg.channel_id, {}).pop(msg.id, None)
    if msg.ephemeral:
        return
    payload: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
    if msg.guild_id:
        payload["guild_id"] = str(msg.guild_id)
    await emu.gateway.dispatch("MESSAGE_DELETE", payload, msg.guild_id)


@route("DELETE", "/channels/{channel_id}/messages/{message_id}")
async def delete_message(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    msg = emu._message(channel.id, req.id("message_id", "Message"))
    if channel.guild_id is not None:
        perms = emu._require(channel)
        if msg.author_id != emu.bot_user_id and not perms & rules.MANAGE_MESSAGES:
            raise rules.missing_permissions()
    elif msg.author_id != emu.bot_user_id:
        raise ApiError(403, 50003, "Cannot execute action on a DM channel")
    await delete_message_model(emu, msg)
    return 204, None


# ---------------------------------------------------------------------------------------------- reactions


def reaction_payload(emu: Emulator, msg: Message, user_id: int, emoji: str) -> dict[str, Any]:
    name, _, eid = emoji.partition(":")
    payload: dict[str, Any] = {
        "user_id": str(user_id), "channel_id": str(msg.channel_id), "message_id": str(msg.id),
        "emoji": {"id": eid or None, "name": name}, "type": 0, "burst": False,
        "message_author_id": str(msg.author_id),
    }
    if msg.guild_id:
        payload["guild_id"] = str(msg.guild_id)
        guild = emu.state.guilds[msg.guild_id]
        if user_id in guild.members:
            payload["member"] = guild.members[user_id].to_json(emu.state.users[user_id])
    return payload


@route("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me")
async def add_reaction(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    msg = emu._message(channel.id, req.id("message_id", "Message"))
    emoji = req.params["emoji_name"]
    if channel.guild_id is not None:
        perms = emu._require(channel, rules.READ_MESSAGE_HISTORY)
        if not msg.reactions.get(emoji) and not perms & rules.ADD_REACTIONS:
            raise rules.missing_permissions()
    users = msg.reactions.setdefault(emoji, set())
    if emu.bot_user_id not in users:
        users.add(emu.bot_user_id)
        await emu.gateway.dispatch("MESSAGE_REACTION_ADD", reaction_payload(emu, msg, emu.bot_user_id, emoji),
                                   msg.guild_id)
    return 204, None


@route("GET", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}")
async def list_reactions(emu: Emulator, req: Request) -> Result:
    """The users who reacted with an emoji, by id, paged with ``after`` and ``limit`` (1-100, default 25)."""
    channel = emu._channel(req.id("channel_id", "Channel"))
    if channel.guild_id is not None:
        emu._require(channel, rules.READ_MESSAGE_HISTORY)
    msg = emu._message(channel.id, req.id("message_id", "Message"))
    users = msg.reactions.get(req.params["emoji_name"])
    if not users:
        raise ApiError(404, 10014, "Unknown Emoji")
    after = int(req.query.get("after") or 0)
    limit = max(1, min(int(req.query.get("limit") or 25), 100))
    ids = sorted(u for u in users if u > after)[:limit]
    return 200, [emu.state.users[u].to_json() for u in ids if u in emu.state.users]


@route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me")
async def remove_reaction(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    msg = emu._message(channel.id, req.id("message_id", "Message"))
    emoji = req.params["emoji_name"]
    users = msg.reactions.get(emoji, set())
    if emu.bot_user_id in users:
        users.discard(emu.bot_user_id)
        payload = reaction_payload(emu, msg, emu.bot_user_id, emoji)
        payload.pop("member", None)
        await emu.gateway.dispatch("MESSAGE_REACTION_REMOVE", payload, msg.guild_id)
    return 204, None


# ---------------------------------------------------------------------------------------------- threads


async def open_thread(emu: Emulator, parent: Channel, owner_id: int, name: str, *, thread_id: int | None = None,
                      applied_tags: list[int] | None = None, auto_archive: int = 4320, type_: int = 11) -> Channel:
    thread = Channel(thread_id or emu.ids.next(), type_, parent.guild_id, name, parent_id=parent.id,
                     owner_id=owner_id, applied_tags=list(applied_tags or []), auto_archive_duration=auto_archive)
    thread.thread_member_ids.add(owner_id)
    emu.state.channels[thread.id] = thread
    emu.state.messages.setdefault(thread.id, {})
    payload = channel_json(emu.state, thread) | {"newly_created": True}
    await emu.gateway.dispatch("THREAD_CREATE", payload, parent.guild_id)
    return thread


@route("POST", "/channels/{channel_id}/threads")
async def start_thread(emu: Emulator, req: Request) -> Result:
    parent = emu._channel(req.id("channel_id", "Channel"))
    body = req.body()
    check_thread_name(body.get("name") or "")
    if parent.type in (15, 16):
        emu._require(parent, rules.SEND_MESSAGES)
        message = body.get("message") or {}
        check_message(message, has_files=bool(req.files))
        tags = _check_tags(emu, parent, body.get("applied_tags") or [])
        thread_id = emu.ids.next()
        starter = build_message(emu, parent, emu.bot_user_id, message, req.files,
                                embeds_allowed=bool(emu.bot_permissions(parent.id) & rules.EMBED_LINKS))
        starter.id = thread_id
        thread = await open_thread(emu, parent, emu.bot_user_id, body["name"], thread_id=thread_id,
                                   applied_tags=tags, auto_archive=int(body.get("auto_archive_duration") or 4320))
        starter.channel_id = thread.id
        await post_message(emu, starter)
        return 201, channel_json(emu.state, thread) | {"message": message_json(emu.state, starter)}
    if parent.type not in (0, 5):
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    ttype = int(body.get("type") or 11)
    emu._require(parent, rules.CREATE_PRIVATE_THREADS if ttype == 12 else rules.CREATE_PUBLIC_THREADS)
    thread = await open_thread(emu, parent, emu.bot_user_id, body["name"], type_=ttype,
                               auto_archive=int(body.get("auto_archive_duration") or 4320))
    return 201, channel_json(emu.state, thread)


@route("POST", "/channels/{channel_id}/messages/{message_id}/threads")
async def start_thread_from_message(emu: Emulator, req: Request) -> Result:
    parent = emu._channel(req.id("channel_id", "Channel"))
    msg = emu._message(parent.id, req.id("message_id", "Message"))
    body = req.body()
    check_thread_name(body.get("name") or "")
    emu._require(parent, rules.CREATE_PUBLIC_THREADS)
    if msg.id in emu.state.channels:
        raise ApiError(400, 160004, "A thread has already been created for this message")
    thread = await open_thread(emu, parent, emu.bot_user_id, body["name"], thread_id=msg.id,
                               type_=10 if parent.type == 5 else 11,
                               auto_archive=int(body.get("auto_archive_duration") or 4320))
    return 201, channel_json(emu.state, thread)


@route("PUT", "/channels/{channel_id}/thread-members/@me")
async def join_thread(emu: Emulator, req: Request) -> Result:
    thread = emu._channel(req.id("channel_id", "Channel"))
    if not thread.is_thread:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    emu._require(thread)
    thread.thread_member_ids.add(emu.bot_user_id)
    return 204, None


@route("PUT", "/channels/{channel_id}/permissions/{overwrite_id}")
async def put_overwrite(emu: Emulator, req: Request) -> Result:
    """Edit Channel Permissions: needs Manage Roles in the channel; a bot can't allow what it lacks itself."""
    channel = emu._channel(req.id("channel_id", "Channel"))
    if channel.guild_id is None or channel.is_thread:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    perms = emu._require(channel)
    target = req.id("overwrite_id", "Overwrite")
    body = req.body()
    allow, deny = int(body.get("allow") or 0), int(body.get("deny") or 0)
    if not perms & rules.ADMINISTRATOR:
        if not perms & rules.MANAGE_ROLES or (allow | deny) & ~perms:
            raise rules.missing_permissions()
    kind = body.get("type", 0)
    kind = {"role": 0, "member": 1}.get(kind, kind) if isinstance(kind, str) else int(kind)
    rest = [o for o in channel.overwrites if int(o["id"]) != target]
    channel.overwrites = [*rest, {"id": target, "type": kind, "allow": allow, "deny": deny}]
    await emu.gateway.dispatch("CHANNEL_UPDATE", channel_json(emu.state, channel), channel.guild_id)
    return 204, None


@route("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}")
async def delete_overwrite(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    if channel.guild_id is None or channel.is_thread:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    perms = emu._require(channel)
    if not perms & (rules.ADMINISTRATOR | rules.MANAGE_ROLES):
        raise rules.missing_permissions()
    target = req.id("overwrite_id", "Overwrite")
    channel.overwrites = [o for o in channel.overwrites if int(o["id"]) != target]
    await emu.gateway.dispatch("CHANNEL_UPDATE", channel_json(emu.state, channel), channel.guild_id)
    return 204, None
