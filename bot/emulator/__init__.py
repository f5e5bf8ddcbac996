"""A loopback Discord API emulator (REST /api/v10 + gateway) for driving the unmodified discord.py client.

    async with Emulator() as emu:                  # 127.0.0.1, ephemeral port
        guild = emu.create_guild("Acme")           # @everyone, bot member + managed "Kudos" role, #general
        alice = emu.add_member(guild.id, "alice")
        emu.patch_discord()                        # Route.BASE + DiscordWebSocket.DEFAULT_GATEWAY
        task = asyncio.create_task(bot.start(emu.token))   # build the bot with guild_ready_timeout=0.05
        ...
        rec = await emu.run_slash(guild.id, channel.id, alice.id, "kudos give", {"user": bob})
        assert rec.response["content"] == "..."

Tips: override ``before_identify_hook`` in test bots (discord.py sleeps 5 s before every re-IDENTIFY and
before each non-first shard); stop the bot before the emulator.

It refuses what Discord refuses. Knobs: ``Emulator(ratelimits=RateLimitConfig.disabled())`` (rate limits are on
by default), ``strict=Strict(archived_threads=False, dm_mutual_guild=False, message_content_intent=False)``,
``privileged_intents=`` (what the Developer Portal enables; others close IDENTIFY with 4014),
``heartbeat_interval=`` (ms). ``await emu.advance(minutes=...)`` moves the emulator's clock (threads
auto-archive, interaction tokens expire). Layout: ``world_*.py`` hold the rules per resource, ``routes_*.py``
only parse, call the world and serialize.
"""

from __future__ import annotations

from bot.emulator.actors import InteractionRecord
from bot.emulator.faults import Fault, Faults
from bot.emulator.options import Strict
from bot.emulator.ratelimit import RateLimitConfig
from bot.emulator.rules import ApiError
from bot.emulator.server import Emulator, EmulatorError, RequestRecord
from bot.emulator.spec import SpecValidator
from bot.emulator.state import Channel, Guild, Member, Message, Role, State, User

__all__ = [
    "ApiError", "Channel", "Emulator", "EmulatorError", "Fault", "Faults", "Guild", "InteractionRecord",
    "Member", "Message", "RateLimitConfig", "RequestRecord", "Role", "SpecValidator", "State", "Strict", "User",
]
