"""A loopback Discord API emulator (REST /api/v10 + gateway) for driving the unmodified discord.py client."""

from __future__ import annotations

from bot.emulator.actors import InteractionRecord
from bot.emulator.faults import Fault, Faults
from bot.emulator.ratelimit import RateLimitConfig
from bot.emulator.rules import ApiError
from bot.emulator.server import Emulator, EmulatorError, RequestRecord
from bot.emulator.spec import SpecValidator
from bot.emulator.state import Channel, Guild, Member, Message, Role, State, User

__all__ = [
    "ApiError", "Channel", "Emulator", "EmulatorError", "Fault", "Faults", "Guild", "InteractionRecord",
    "Member", "Message", "RateLimitConfig", "RequestRecord", "Role", "SpecValidator", "State", "User",
]
