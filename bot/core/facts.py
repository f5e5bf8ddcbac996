"""Plain facts read off discord.py objects, for the services (which know no discord)."""

from __future__ import annotations

import discord

from bot.rewards import RoleFacts


def role_facts(role: discord.Role) -> RoleFacts:
    return RoleFacts(role.id, role.name, role.position, role.permissions.value, managed=role.managed,
                     is_default=role.is_default())
