"""Reactions in the world: who reacted with what, the bot's own reactions and the gateway events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.emulator import rules
from bot.emulator.rules import ApiError
from bot.emulator.serialize import emoji_json
from bot.emulator.state import Channel, Message
from bot.emulator.world_threads import require_active

if TYPE_CHECKING:
    from bot.emulator.server import Emulator


def reaction_payload(emu: Emulator, msg: Message, user_id: int, emoji: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "user_id": str(user_id), "channel_id": str(msg.channel_id), "message_id": str(msg.id),
        "emoji": emoji_json(emoji), "type": 0, "burst": False,
        "message_author_id": str(msg.author_id),
    }
    if msg.guild_id:
        payload["guild_id"] = str(msg.guild_id)
        guild = emu.state.guilds[msg.guild_id]
        if user_id in guild.members:
            payload["member"] = guild.members[user_id].to_json(emu.state.users[user_id])
    return payload


async def add(emu: Emulator, msg: Message, user_id: int, emoji: str) -> None:
    """``user_id`` reacts with ``emoji`` (once; a repeat changes nothing) and MESSAGE_REACTION_ADD goes out."""
    users = msg.reactions.setdefault(emoji, set())
    if user_id not in users:
        users.add(user_id)
        if emu._limiter is not None:  # everyone's reactions count against the channel's shared limit
            emu._limiter.count_resource("channel reactions", str(msg.channel_id))
        await emu.gateway.dispatch("MESSAGE_REACTION_ADD", reaction_payload(emu, msg, user_id, emoji), msg.guild_id)


async def remove(emu: Emulator, msg: Message, user_id: int, emoji: str) -> None:
    if user_id in msg.reactions.get(emoji, set()):
        msg.reactions[emoji].discard(user_id)
        payload = reaction_payload(emu, msg, user_id, emoji)
        payload.pop("member", None)
        await emu.gateway.dispatch("MESSAGE_REACTION_REMOVE", payload, msg.guild_id)


async def bot_add(emu: Emulator, channel: Channel, message_id: int, emoji: str) -> None:
    """Create Reaction: Read Message History, and Add Reactions unless someone already reacted with it."""
    msg = emu._message(channel.id, message_id)
    require_active(emu, channel)
    if channel.guild_id is not None:
        perms = emu._require(channel, rules.READ_MESSAGE_HISTORY)
        if not msg.reactions.get(emoji) and not perms & rules.ADD_REACTIONS:
            raise rules.missing_permissions()
    await add(emu, msg, emu.bot_user_id, emoji)


async def bot_remove(emu: Emulator, channel: Channel, message_id: int, emoji: str) -> None:
    require_active(emu, channel)
    await remove(emu, emu._message(channel.id, message_id), emu.bot_user_id, emoji)


def users_of(emu: Emulator, channel: Channel, message_id: int, emoji: str, query: dict[str, str]) -> list[int]:
    """Get Reactions: the ids of users who reacted, paged with ``after`` and ``limit`` (1-100, default 25)."""
    if channel.guild_id is not None:
        emu._require(channel, rules.READ_MESSAGE_HISTORY)
    msg = emu._message(channel.id, message_id)
    users = msg.reactions.get(emoji)
    if not users:
        raise ApiError(404, 10014, "Unknown Emoji")
    after = int(query.get("after") or 0)
    limit = max(1, min(int(query.get("limit") or 25), 100))
    return sorted(u for u in users if u > after)[:limit]
