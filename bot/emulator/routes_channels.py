"""REST routes: channels, threads, messages, reactions (parse the request, call the world, serialize)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.emulator import world_channels as channels
from bot.emulator import world_messages as messages
from bot.emulator import world_reactions as reactions
from bot.emulator.gateway import MESSAGE_CONTENT, strip_message_content
from bot.emulator.routing import Request, Result, Router, RouteTable
from bot.emulator.serialize import channel_json, message_json
from bot.emulator.state import Message

# Re-exported for code outside the emulator that imported them from here (tests/hardening, bench).
from bot.emulator.world_messages import delete_message_model, post_message  # noqa: F401
from bot.emulator.world_reactions import reaction_payload  # noqa: F401

if TYPE_CHECKING:
    from bot.emulator.server import Emulator

ROUTES = RouteTable()
route = ROUTES.route


def register(router: Router) -> None:
    router.include(ROUTES)


# ---------------------------------------------------------------------------------------------- channels


@route("GET", "/channels/{channel_id}")
async def get_channel(emu: Emulator, req: Request) -> Result:
    return 200, channel_json(emu.state, channels.read_channel(emu, req.id("channel_id", "Channel")))


@route("PATCH", "/channels/{channel_id}")
async def edit_channel(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    await channels.edit_channel(emu, channel, req.body())
    return 200, channel_json(emu.state, channel)


@route("DELETE", "/channels/{channel_id}")
async def delete_channel(emu: Emulator, req: Request) -> Result:
    return 200, await channels.delete_channel(emu, emu._channel(req.id("channel_id", "Channel")))


# ---------------------------------------------------------------------------------------------- messages


def _as_read(emu: Emulator, msg: Message) -> dict[str, Any]:
    """A message read over REST: gateway.mdx, HTTP Restrictions: what the app may read depends on the
    privileged intents enabled for it (not on what it passed in IDENTIFY)."""
    data = message_json(emu.state, msg)
    return data if emu.privileged_intents & MESSAGE_CONTENT else strip_message_content(emu, data)


@route("GET", "/channels/{channel_id}/messages")
async def get_messages(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    return 200, [_as_read(emu, m) for m in messages.list_messages(emu, channel, req.query)]


@route("POST", "/channels/{channel_id}/messages")
async def create_message(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    msg = await messages.bot_create(emu, channel, req.body(), req.files)
    return 200, message_json(emu.state, msg)


@route("GET", "/channels/{channel_id}/messages/{message_id}")
async def get_message(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    return 200, _as_read(emu, messages.read_message(emu, channel, req.id("message_id", "Message")))


@route("PATCH", "/channels/{channel_id}/messages/{message_id}")
async def edit_message(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    msg = await messages.bot_edit(emu, channel, req.id("message_id", "Message"), req.body(), req.files)
    return 200, message_json(emu.state, msg)


@route("DELETE", "/channels/{channel_id}/messages/{message_id}")
async def delete_message(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    await messages.bot_delete(emu, channel, req.id("message_id", "Message"))
    return 204, None


# ---------------------------------------------------------------------------------------------- reactions

_OWN_REACTION = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me"


@route("PUT", _OWN_REACTION)
async def add_reaction(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    await reactions.bot_add(emu, channel, req.id("message_id", "Message"), req.params["emoji_name"])
    return 204, None


@route("GET", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}")
async def list_reactions(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    ids = reactions.users_of(emu, channel, req.id("message_id", "Message"), req.params["emoji_name"], req.query)
    return 200, [emu.state.users[u].to_json() for u in ids if u in emu.state.users]


@route("DELETE", _OWN_REACTION)
async def remove_reaction(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    await reactions.bot_remove(emu, channel, req.id("message_id", "Message"), req.params["emoji_name"])
    return 204, None


# ---------------------------------------------------------------------------------------------- threads


@route("POST", "/channels/{channel_id}/threads")
async def start_thread(emu: Emulator, req: Request) -> Result:
    parent = emu._channel(req.id("channel_id", "Channel"))
    thread, starter = await channels.bot_start_thread(emu, parent, req.body(), req.files)
    out = channel_json(emu.state, thread)
    if starter is not None:
        out["message"] = message_json(emu.state, starter)
    return 201, out


@route("POST", "/channels/{channel_id}/messages/{message_id}/threads")
async def start_thread_from_message(emu: Emulator, req: Request) -> Result:
    parent = emu._channel(req.id("channel_id", "Channel"))
    thread = await channels.bot_thread_from_message(emu, parent, req.id("message_id", "Message"), req.body())
    return 201, channel_json(emu.state, thread)


@route("PUT", "/channels/{channel_id}/thread-members/@me")
async def join_thread(emu: Emulator, req: Request) -> Result:
    channels.bot_join_thread(emu, emu._channel(req.id("channel_id", "Channel")))
    return 204, None


# ---------------------------------------------------------------------------------------------- overwrites


@route("PUT", "/channels/{channel_id}/permissions/{overwrite_id}")
async def put_overwrite(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    await channels.put_overwrite(emu, channel, req.id("overwrite_id", "Overwrite"), req.body())
    return 204, None


@route("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}")
async def delete_overwrite(emu: Emulator, req: Request) -> Result:
    channel = emu._channel(req.id("channel_id", "Channel"))
    await channels.delete_overwrite(emu, channel, req.id("overwrite_id", "Overwrite"))
    return 204, None
