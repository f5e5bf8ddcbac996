"""Messages in the world: building them from request bodies, posting, editing, deleting, listing.

Routes (REST and interaction webhooks) and actors (members writing) all go through these functions, so each
rule about messages lives here once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.emulator import rules, world_polls
from bot.emulator.rules import ApiError, check_message
from bot.emulator.serialize import message_json, normalize_embeds, number_components, parse_mentions
from bot.emulator.state import Channel, Message, now
from bot.emulator.world_threads import require_active, unarchive_for_message

if TYPE_CHECKING:
    from bot.emulator.server import Emulator

TEXT_LIKE = {0, 1, 2, 5, 10, 11, 12, 13}
Files = list[tuple[str, bytes, str]]


def build_message(emu: Emulator, channel: Channel, author_id: int, payload: dict[str, Any], files: Files, *,
                  embeds_allowed: bool = True) -> Message:
    """A Message from a create-message body (REST, webhook or interaction response)."""
    content = payload.get("content") or ""
    embeds = normalize_embeds(payload.get("embeds") or []) if embeds_allowed else []
    users, roles = parse_mentions(emu.state, content, channel.guild_id)
    msg = Message(
        emu.ids.next(), channel.id, author_id, guild_id=channel.guild_id, content=content, embeds=embeds,
        components=number_components(payload.get("components") or []),
        allowed_mentions=payload.get("allowed_mentions"),
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
    world_polls.attach(msg, payload)
    return msg


def set_attachments(emu: Emulator, msg: Message, payload: dict[str, Any], files: Files) -> None:
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
        attachment = {"id": str(aid), "filename": filename, "size": len(data), "url": url, "proxy_url": url,
                      "content_type": ctype}
        if info.get("description") is not None:
            attachment["description"] = info["description"]
        msg.attachments.append(attachment)
        msg.files.append((filename, data))


async def post_message(emu: Emulator, msg: Message) -> None:
    """Store ``msg`` and dispatch MESSAGE_CREATE."""
    emu._store_message(msg)
    await emu.gateway.dispatch("MESSAGE_CREATE", message_json(emu.state, msg), msg.guild_id)


async def publish(emu: Emulator, msg: Message) -> None:
    """Store ``msg``; dispatch MESSAGE_CREATE unless it is ephemeral (only its user sees it)."""
    if msg.ephemeral:
        emu._store_message(msg)
    else:
        await post_message(emu, msg)


def list_messages(emu: Emulator, channel: Channel, query: dict[str, str]) -> list[Message]:
    """Get Channel Messages: newest first, ``limit`` 1-100 (default 50), ``before``/``after``/``around``."""
    emu._require(channel, rules.READ_MESSAGE_HISTORY)
    limit = max(1, min(int(query.get("limit", 50)), 100))
    msgs = sorted(emu.messages(channel.id), key=lambda m: m.id, reverse=True)
    if "before" in query:
        msgs = [m for m in msgs if m.id < int(query["before"])]
    if "after" in query:
        msgs = [m for m in msgs if m.id > int(query["after"])][-limit:]
    if "around" in query:
        around = int(query["around"])
        older = [m for m in msgs if m.id <= around][: (limit + 1) // 2]
        newer = [m for m in msgs if m.id > around][-(limit // 2):] if limit > 1 else []
        msgs = newer + older
    return msgs[:limit]


def read_message(emu: Emulator, channel: Channel, message_id: int) -> Message:
    if channel.guild_id is not None:
        emu._require(channel, rules.READ_MESSAGE_HISTORY)
    return emu._message(channel.id, message_id)


def _require_unlocked(emu: Emulator, channel: Channel, perms: int) -> None:
    """threads.mdx, "Locked Threads": without MANAGE_THREADS, no creating or updating messages (160005)."""
    if channel.is_thread and channel.locked and not perms & rules.MANAGE_THREADS:
        raise rules.thread_locked() if emu.strict.archived_threads else rules.missing_permissions()


async def bot_create(emu: Emulator, channel: Channel, body: dict[str, Any], files: Files) -> Message:
    """Create Message by the bot, with Discord's permission checks."""
    if channel.type in (15, 16):  # a post is a thread: POST /channels/{forum}/threads
        raise ApiError(400, 40058, "Cannot send a message in a forum channel")
    if channel.type not in TEXT_LIKE:
        raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
    embeds_ok = True
    if channel.type == 1:
        emu._require_dm_target(channel)
    else:
        perms = emu._require(channel, rules.SEND_MESSAGES_IN_THREADS if channel.is_thread else rules.SEND_MESSAGES)
        if files and not perms & rules.ATTACH_FILES:
            raise rules.missing_permissions()
        if body.get("message_reference") and not perms & rules.READ_MESSAGE_HISTORY:
            raise rules.cannot_reply_without_history()
        embeds_ok = bool(perms & rules.EMBED_LINKS)
        if body.get("poll") is not None and not perms & rules.SEND_POLLS:
            raise rules.missing_permissions()  # permissions.mdx: SEND_POLLS
        _require_unlocked(emu, channel, perms)
    check_message(body, has_files=bool(files))
    world_polls.check(body)
    msg = build_message(emu, channel, emu.bot_user_id, body, files, embeds_allowed=embeds_ok)
    if channel.is_thread:
        await unarchive_for_message(emu, channel)
    await post_message(emu, msg)
    return msg


async def apply_edit(emu: Emulator, msg: Message, body: dict[str, Any], files: Files) -> None:
    """Edit a message the Discord way and dispatch MESSAGE_UPDATE (unless ephemeral)."""
    check_message(body, has_files=bool(files), require_content=False)
    world_polls.refuse_edit(msg, body)
    rules.check_edit_v2(msg.flags, msg.content, msg.embeds, body)
    if "content" in body:
        msg.content = body["content"] or ""
        msg.mentions, msg.mention_roles = parse_mentions(emu.state, msg.content, msg.guild_id)
    if "embeds" in body:
        msg.embeds = normalize_embeds(body["embeds"] or [])
    if "components" in body:
        msg.components = number_components(body["components"] or [])
    if "allowed_mentions" in body:
        msg.allowed_mentions = body["allowed_mentions"]
    if body.get("flags") is not None:
        # EPHEMERAL stays as it was; IS_COMPONENTS_V2 "can only be set" (resources/message.mdx, Edit Message)
        msg.flags = (msg.flags & (64 | rules.IS_COMPONENTS_V2)) | (int(body["flags"]) & ~64 & ~128)
    msg.flags &= ~128  # an edit ends the "thinking" state of a deferred response
    if "attachments" in body or files:
        keep = {str(a.get("id")) for a in body.get("attachments") or [] if a.get("id") is not None}
        msg.attachments = [a for a in msg.attachments if a["id"] in keep]
        set_attachments(emu, msg, body, files)  # new files: attachments[{id: index, description, ...}]
    msg.edited_timestamp = now()
    if not msg.ephemeral:
        await emu.gateway.dispatch("MESSAGE_UPDATE", message_json(emu.state, msg), msg.guild_id)


async def bot_edit(emu: Emulator, channel: Channel, message_id: int, body: dict[str, Any], files: Files) -> Message:
    """Edit Message by the bot: its own messages; others' only their flags (suppress embeds, Manage Messages)."""
    msg = emu._message(channel.id, message_id)
    if channel.guild_id is not None:
        perms = emu._require(channel)
        require_active(emu, channel)
        _require_unlocked(emu, channel, perms)
        if msg.author_id != emu.bot_user_id and set(body) - {"flags"}:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        if msg.author_id != emu.bot_user_id and not perms & rules.MANAGE_MESSAGES:
            raise rules.missing_permissions()
    elif msg.author_id != emu.bot_user_id:
        raise ApiError(403, 50005, "Cannot edit a message authored by another user")
    await apply_edit(emu, msg, body, files)
    return msg


async def delete_message_model(emu: Emulator, msg: Message) -> None:
    """Remove ``msg`` and dispatch MESSAGE_DELETE (unless ephemeral)."""
    msg.deleted = True
    emu.state.messages.get(msg.channel_id, {}).pop(msg.id, None)
    if msg.ephemeral:
        return
    payload: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
    if msg.guild_id:
        payload["guild_id"] = str(msg.guild_id)
    await emu.gateway.dispatch("MESSAGE_DELETE", payload, msg.guild_id)


async def bot_delete(emu: Emulator, channel: Channel, message_id: int) -> None:
    msg = emu._message(channel.id, message_id)
    if channel.guild_id is not None:
        perms = emu._require(channel)
        if msg.author_id != emu.bot_user_id and not perms & rules.MANAGE_MESSAGES:
            raise rules.missing_permissions()
    elif msg.author_id != emu.bot_user_id:
        raise ApiError(403, 50003, "Cannot execute action on a DM channel")
    await delete_message_model(emu, msg)
