"""Permission checks for slash commands: a runtime role check beside ``default_permissions``.

``default_permissions`` only hides a command in Discord's UI (server admins can change it), so every staff
command also checks the member's roles against the config at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.platform import i18n
from bot.platform.i18n import N_, Translator

T = TypeVar("T")

ROLE_GROUPS = {
    "staff": ("staff_roles",),
    "moderator": ("staff_roles", "moderator_roles"),
    "curator": ("staff_roles", "moderator_roles", "curator_roles"),
    "helper": ("staff_roles", "moderator_roles", "helper_roles"),
}


_ADMINISTRATOR = discord.Permissions.administrator.flag


def is_administrator(member: discord.Member) -> bool:
    """``member.guild_permissions.administrator`` without building, sorting and OR-ing every role the member
    holds (what ``guild_permissions`` does): the owner, or the default role or one of the member's roles has
    Administrator. For the hot path (a message in a feedback thread). ``_roles`` is the member's role-id list,
    what ``Member.get_role`` reads, and ``_permissions`` a role's permission bits, what ``Role.permissions``
    wraps in a new ``Permissions`` object on every call (discord.py is pinned exactly)."""
    guild = member.guild
    if guild.owner_id == member.id:
        return True
    get_role = guild.get_role
    everyone = get_role(guild.id)
    if everyone is not None and everyone._permissions & _ADMINISTRATOR:  # noqa: SLF001 - see the docstring
        return True
    for role_id in member._roles:  # noqa: SLF001 - see the docstring
        role = get_role(role_id)
        if role is not None and role._permissions & _ADMINISTRATOR:  # noqa: SLF001
            return True
    return False


def holds(client: Any, member: discord.Member, level: str) -> bool:
    """Whether ``member`` holds one of the roles configured for ``level`` in its guild (or administrator).
    Also used by the web dashboard on every request, with the member as the bot sees it now."""
    if member.guild_permissions.administrator:
        return True
    settings = client.settings(member.guild.id)
    allowed: set[int] = set()
    for attr in ROLE_GROUPS[level]:
        allowed |= getattr(settings, attr)
    return any(role.id in allowed for role in member.roles)


LEVEL_NAMES = {"staff": N_("staff"), "moderator": N_("moderator"), "curator": N_("curator"),
               "helper": N_("helper")}
USE_THIS = N_("use this")


def refusal(client: Any, member: discord.abc.User | None, level: str, action: str = USE_THIS,
            tr: Translator | None = None) -> str:
    """Why ``member`` may not do something that needs ``level``, worded for the role they do hold (a
    moderator refused a staff action is not told to ask a moderator), in ``tr``'s language. ``action`` is a
    message marked with ``N_``."""
    tr = tr or i18n.translator(None)
    head = tr("Only {level} members can {action}.", level=tr(LEVEL_NAMES[level]), action=tr(action))
    held = [name for name in ("moderator", "curator", "helper")
            if isinstance(member, discord.Member) and holds(client, member, name)]
    if "moderator" in held:  # only a staff action refuses a moderator
        return tr("{head} Moderators aren't staff here: ask a staff member or a server admin if you think you "
                  "should.", head=head)
    if held:
        return tr("{head} Your {role} role doesn't include it: ask a moderator if you think you should.",
                  head=head, role=tr(LEVEL_NAMES[held[0]]))
    return tr("{head} Ask a moderator if you think you should.", head=head)


def member_has(interaction: discord.Interaction, level: str) -> bool:
    """Whether the invoking member holds one of the roles configured for ``level`` (or administrator)."""
    member = interaction.user
    if interaction.guild is None or not isinstance(member, discord.Member):
        return False
    return holds(interaction.client, member, level)


def required_level(command: Any) -> str | None:
    """The ``require`` level a command (or context menu) enforces at run time, if any."""
    for check in getattr(command, "checks", []):
        level = getattr(check, "kudos_level", None)
        if level is not None:
            return str(level)
    return None


def ensure(interaction: discord.Interaction, level: str) -> None:
    """Raise (for the central error handler) unless the member holds ``level`` roles now. ``interaction.user``
    carries the member's roles as Discord sent them with this very interaction, so a form or button of a staff
    flow checks the role when it is submitted or pressed, not when the flow began."""
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    if not member_has(interaction, level):
        raise app_commands.CheckFailure(refusal(interaction.client, interaction.user, level,
                                                tr=i18n.translator(interaction.locale)))


def require(level: str) -> Callable[[T], T]:
    """Decorator: the member needs the ``level`` roles (staff, moderator, curator, helper)."""
    if level not in ROLE_GROUPS:
        raise ValueError(f"unknown level {level!r}")

    async def predicate(interaction: discord.Interaction) -> bool:
        ensure(interaction, level)
        return True

    # Marker for tools that enumerate the command tree (the permission-matrix test): which level a check
    # enforces. ``command.checks`` holds this predicate.
    predicate.kudos_level = level  # type: ignore[attr-defined]

    def decorator(func: Any) -> Any:
        func = app_commands.check(predicate)(func)
        return app_commands.default_permissions(manage_guild=True)(func) if level == "staff" else func

    return decorator
