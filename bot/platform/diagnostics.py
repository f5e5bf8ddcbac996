"""What the bot needs where, and a readable account of what is missing. Used by ``/kudos status``; a finding's
problem is a ``deferred.said`` message (English text, said in the reader's language there)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.platform.deferred import joined, said
from bot.platform.i18n import N_

# Permission names follow discord.Permissions attribute names.
REQUIRED: Mapping[str, tuple[str, ...]] = {
    "announcements": ("view_channel", "send_messages", "embed_links"),
    "showcase": ("view_channel", "send_messages", "embed_links"),
    "staff_log": ("view_channel", "send_messages", "embed_links"),
    "feedback_forum": ("view_channel", "send_messages", "create_public_threads", "manage_threads", "embed_links"),
    "help_forums": ("view_channel", "send_messages_in_threads", "manage_threads"),
}
GUILD_WIDE = ("manage_roles",)
PERMISSION_NAMES = frozenset(p for needed in REQUIRED.values() for p in needed) | frozenset(GUILD_WIDE)


# Each permission as Discord's client names it (its English names; the catalogues say them as the client does in
# each language).
LABELS: Mapping[str, str] = {
    "view_channel": N_("View Channel"),
    "send_messages": N_("Send Messages"),
    "embed_links": N_("Embed Links"),
    "create_public_threads": N_("Create Public Threads"),
    "manage_threads": N_("Manage Threads"),
    "send_messages_in_threads": N_("Send Messages in Threads"),
    "manage_roles": N_("Manage Roles"),
}


def pretty(permission: str) -> str:
    return LABELS.get(permission) or permission.replace("_", " ").replace("guild", "server").title()


@dataclass(frozen=True, slots=True)
class Finding:
    where: str
    problem: str


def missing_permissions(where: str, key: str, granted: set[str]) -> list[Finding]:
    needed = REQUIRED.get(key, ())
    missing = [p for p in needed if p not in granted]
    if not missing:
        return []
    names = joined(", ", [said(pretty(p)) for p in missing])
    return [Finding(where, said(N_("missing {permissions}"), permissions=names))]
