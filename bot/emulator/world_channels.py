"""Channels and threads in the world: editing, deleting, forum posts, threads, overwrites, DMs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.emulator import rules
from bot.emulator.rules import ApiError, FormErrors, check_message, check_thread_name
from bot.emulator.serialize import channel_json
from bot.emulator.state import CHANNEL_TYPES, Channel, Message
from bot.emulator.world_messages import Files, build_message, post_message
from bot.emulator.world_threads import require_active, set_archived

if TYPE_CHECKING:
    from bot.emulator.server import Emulator


def _overwrites(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": int(o["id"]), "type": int(o.get("type", 0)), "allow": int(o.get("allow") or 0),
             "deny": int(o.get("deny") or 0)} for o in raw]


def read_channel(emu: Emulator, channel_id: int) -> Channel:
    channel = emu._channel(channel_id)
    if channel.guild_id is not None:
        emu._require(channel)
    return channel


def check_tags(emu: Emulator, channel: Channel, tags: list[Any]) -> list[int]:
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


REQUIRE_TAG = 1 << 4  # channel.mdx, Channel Flags


def check_tag_rules(emu: Emulator, forum: Channel, old: list[int], new: list[int], may_moderate: bool) -> str | None:
    """What forbids changing a post's tags from ``old`` to ``new`` (None when allowed). channel.mdx: REQUIRE_TAG
    "whether a tag is required to be specified when creating a thread"; a ``moderated`` tag "can only be added
    to or removed from threads by a member with the `MANAGE_THREADS` permission"."""
    if not old and not new and forum.flags & REQUIRE_TAG:
        return "require_tag"
    moderated = {int(t["id"]) for t in forum.available_tags if t.get("moderated")}
    if moderated & (set(old) ^ set(new)) and not may_moderate:
        return "moderated"
    return None


async def edit_thread(emu: Emulator, thread: Channel, body: dict[str, Any], perms: int) -> None:
    if thread.archived and body.get("archived") is not False and emu.strict.archived_threads:
        raise rules.archived_thread()  # channel.mdx, Modify Channel: archived must be false or set to false
    own = thread.owner_id == emu.bot_user_id
    manage = bool(perms & rules.MANAGE_THREADS)
    if not manage and (not own or "locked" in body or thread.locked):
        raise rules.missing_permissions()
    check_thread_name(body.get("name"))
    if "applied_tags" in body and body["applied_tags"] is not None:
        tags = check_tags(emu, thread, body["applied_tags"])
        parent = emu._parent(thread)
        if parent is not None and check_tag_rules(emu, parent, thread.applied_tags, tags, manage) == "moderated":
            raise rules.missing_permissions()
        thread.applied_tags = tags
    if body.get("name"):
        thread.name = body["name"]
    if body.get("archived") is not None:
        set_archived(emu, thread, bool(body["archived"]))
    if body.get("locked") is not None:
        thread.locked = bool(body["locked"])
    if body.get("auto_archive_duration"):
        thread.auto_archive_duration = int(body["auto_archive_duration"])
        thread.archive_timestamp = thread.last_activity = emu.now()
    await emu.gateway.dispatch("THREAD_UPDATE", channel_json(emu.state, thread), thread.guild_id)


async def edit_channel(emu: Emulator, channel: Channel, body: dict[str, Any]) -> None:
    """Modify Channel (guild channel or thread)."""
    if channel.guild_id is None:
        raise ApiError(403, 50003, "Cannot execute action on a DM channel")
    perms = emu._require(channel)
    if channel.is_thread:
        await edit_thread(emu, channel, body, perms)
        return
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
        channel.overwrites = _overwrites(body["permission_overwrites"])
    if body.get("rate_limit_per_user") is not None:
        channel.rate_limit_per_user = int(body["rate_limit_per_user"])
    if body.get("flags") is not None:
        channel.flags = int(body["flags"])
    await emu.gateway.dispatch("CHANNEL_UPDATE", channel_json(emu.state, channel), channel.guild_id)


async def delete_channel(emu: Emulator, channel: Channel) -> dict[str, Any]:
    """Delete Channel / Close DM; returns the channel as it was."""
    data = channel_json(emu.state, channel)
    if channel.guild_id is None:
        return data
    perms = emu._require(channel)
    if not perms & (rules.MANAGE_THREADS if channel.is_thread else rules.MANAGE_CHANNELS):
        raise rules.missing_permissions()
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
    return data


def create_guild_channel(emu: Emulator, guild_id: int, body: dict[str, Any]) -> Channel:
    """Create Guild Channel by the bot (Manage Channels)."""
    emu._require_guild(guild_id, rules.MANAGE_CHANNELS)
    errs = FormErrors()
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        errs.add(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    errs.raise_if_any()
    assert isinstance(name, str)
    ctype = int(body.get("type") or 0)
    if ctype not in set(CHANNEL_TYPES.values()) - {1, 10, 11, 12}:
        raise ApiError(400, 50035, "Invalid Form Body", {"type": {"_errors": [
            {"code": "BASE_TYPE_CHOICES", "message": "Value must be one of a valid channel type."}]}})
    return emu.create_channel(
        guild_id, name, ctype, tags=list(body.get("available_tags") or []),
        parent_id=int(body["parent_id"]) if body.get("parent_id") else None,
        overwrites=_overwrites(body.get("permission_overwrites") or []), topic=body.get("topic"),
        position=body.get("position"), flags=int(body.get("flags") or 0),
    )


def active_threads(emu: Emulator, guild_id: int) -> tuple[list[Channel], list[dict[str, Any]]]:
    """List Active Guild Threads: the threads and the bot's thread members."""
    emu._guild(guild_id)
    threads = [c for c in emu.state.guild_channels(guild_id) if c.is_thread and not c.archived]
    members = [
        {"id": str(t.id), "user_id": str(emu.bot_user_id), "join_timestamp": t.created_at.isoformat(), "flags": 0}
        for t in threads if emu.bot_user_id in t.thread_member_ids
    ]
    return threads, members


def open_dm(emu: Emulator, user_id: int) -> Channel:
    """The DM channel between the bot and ``user_id`` (created if needed)."""
    if user_id not in emu.state.users:
        raise rules.unknown("user")
    existing = emu.dm_channel(user_id)
    if existing is not None:
        return existing
    channel = Channel(emu.ids.next(), 1, None, None, recipient_id=user_id)
    emu.state.channels[channel.id] = channel
    emu.state.messages[channel.id] = {}
    emu.state.dm_channels[user_id] = channel.id
    return channel


# ---------------------------------------------------------------------------------------------- threads


async def open_thread(emu: Emulator, parent: Channel, owner_id: int, name: str, *, thread_id: int | None = None,
                      applied_tags: list[int] | None = None, auto_archive: int = 4320, type_: int = 11) -> Channel:
    thread = Channel(thread_id or emu.ids.next(), type_, parent.guild_id, name, parent_id=parent.id,
                     owner_id=owner_id, applied_tags=list(applied_tags or []), auto_archive_duration=auto_archive)
    thread.thread_member_ids.add(owner_id)
    thread.last_activity = emu.now()
    emu.state.channels[thread.id] = thread
    emu.state.messages.setdefault(thread.id, {})
    payload = channel_json(emu.state, thread) | {"newly_created": True}
    await emu.gateway.dispatch("THREAD_CREATE", payload, parent.guild_id)
    return thread


async def bot_forum_post(emu: Emulator, forum: Channel, body: dict[str, Any], files: Files) -> tuple[Channel, Message]:
    """Start Thread in Forum or Media Channel: the thread and its starter message (same id)."""
    emu._require(forum, rules.SEND_MESSAGES)
    message = body.get("message") or {}
    check_message(message, has_files=bool(files))
    tags = check_tags(emu, forum, body.get("applied_tags") or [])
    refused = check_tag_rules(emu, forum, [], tags, bool(emu.bot_permissions(forum.id) & rules.MANAGE_THREADS))
    if refused == "require_tag":
        raise ApiError(400, 40067, "A tag is required to create a forum post in this channel")
    if refused == "moderated":
        raise rules.missing_permissions()
    thread_id = emu.ids.next()
    starter = build_message(emu, forum, emu.bot_user_id, message, files,
                            embeds_allowed=bool(emu.bot_permissions(forum.id) & rules.EMBED_LINKS))
    starter.id = thread_id
    thread = await open_thread(emu, forum, emu.bot_user_id, body["name"], thread_id=thread_id,
                               applied_tags=tags, auto_archive=int(body.get("auto_archive_duration") or 4320))
    starter.channel_id = thread.id
    await post_message(emu, starter)
    return thread, starter


async def bot_start_thread(emu: Emulator, parent: Channel, body: dict[str, Any],
                           files: Files) -> tuple[Channel, Message | None]:
    """Start Thread without Message (text/announcement) or a forum post; the starter message for forums."""
    check_thread_name(body.get("name") or "")
    if parent.type in (15, 16):
        return await bot_forum_post(emu, parent, body, files)
    if parent.type not in (0, 5):
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    ttype = int(body.get("type") or 11)
    emu._require(parent, rules.CREATE_PRIVATE_THREADS if ttype == 12 else rules.CREATE_PUBLIC_THREADS)
    thread = await open_thread(emu, parent, emu.bot_user_id, body["name"], type_=ttype,
                               auto_archive=int(body.get("auto_archive_duration") or 4320))
    return thread, None


async def bot_thread_from_message(emu: Emulator, parent: Channel, message_id: int, body: dict[str, Any]) -> Channel:
    msg = emu._message(parent.id, message_id)
    check_thread_name(body.get("name") or "")
    emu._require(parent, rules.CREATE_PUBLIC_THREADS)
    if msg.id in emu.state.channels:
        raise ApiError(400, 160004, "A thread has already been created for this message")
    return await open_thread(emu, parent, emu.bot_user_id, body["name"], thread_id=msg.id,
                             type_=10 if parent.type == 5 else 11,
                             auto_archive=int(body.get("auto_archive_duration") or 4320))


def bot_join_thread(emu: Emulator, thread: Channel) -> None:
    if not thread.is_thread:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    emu._require(thread)
    require_active(emu, thread)
    thread.thread_member_ids.add(emu.bot_user_id)


# ---------------------------------------------------------------------------------------------- overwrites


async def put_overwrite(emu: Emulator, channel: Channel, target: int, body: dict[str, Any]) -> None:
    """Edit Channel Permissions: needs Manage Roles in the channel; a bot can't allow what it lacks itself."""
    if channel.guild_id is None or channel.is_thread:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    perms = emu._require(channel)
    allow, deny = int(body.get("allow") or 0), int(body.get("deny") or 0)
    if not perms & rules.ADMINISTRATOR:
        if not perms & rules.MANAGE_ROLES or (allow | deny) & ~perms:
            raise rules.missing_permissions()
    kind = body.get("type", 0)
    kind = {"role": 0, "member": 1}.get(kind, kind) if isinstance(kind, str) else int(kind)
    rest = [o for o in channel.overwrites if int(o["id"]) != target]
    channel.overwrites = [*rest, {"id": target, "type": kind, "allow": allow, "deny": deny}]
    await emu.gateway.dispatch("CHANNEL_UPDATE", channel_json(emu.state, channel), channel.guild_id)


async def delete_overwrite(emu: Emulator, channel: Channel, target: int) -> None:
    if channel.guild_id is None or channel.is_thread:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    perms = emu._require(channel)
    if not perms & (rules.ADMINISTRATOR | rules.MANAGE_ROLES):
        raise rules.missing_permissions()
    channel.overwrites = [o for o in channel.overwrites if int(o["id"]) != target]
    await emu.gateway.dispatch("CHANNEL_UPDATE", channel_json(emu.state, channel), channel.guild_id)
