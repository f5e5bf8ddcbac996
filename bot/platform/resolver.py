"""Resolve the names in a guild's config (roles, channels) to ids, once the guild is known.

Pure logic: the caller passes the guild's roles and channels as ``(id, name)`` pairs.
An unknown or ambiguous name is a problem reported to the operator and the moderators; the rest of the
guild's settings keep working. A problem is a ``deferred.said`` message (``key: problem``): English in the bot's
log, the reader's language in ``/settings set`` and ``/kudos status``, the operator's in ``kudos doctor``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.platform.deferred import Said, said
from bot.platform.i18n import N_

Named = tuple[int, str]


@dataclass(slots=True)
class ResolvedGuild:
    guild_id: int
    staff_roles: frozenset[int] = frozenset()
    moderator_roles: frozenset[int] = frozenset()
    curator_roles: frozenset[int] = frozenset()
    helper_roles: frozenset[int] = frozenset()
    channels: dict[str, int | None] = field(default_factory=dict)
    help_forums: frozenset[int] = frozenset()
    problems: list[str] = field(default_factory=list)

    def channel(self, key: str) -> int | None:
        return self.channels.get(key)


_PROBLEMS = {  # (what, problem) -> message; whole sentences for the translators
    ("role", "id"): N_("no role with id {id} in this server"),
    ("channel", "id"): N_("no channel with id {id} in this server"),
    ("role", "none"): N_("no role named {name} in this server"),
    ("channel", "none"): N_("no channel named {name} in this server"),
    ("role", "many"): N_("{count} roles are named {name}; use the id instead"),
    ("channel", "many"): N_("{count} channels are named {name}; use the id instead"),
}


def _problem(key: str, what: str, problem: str, **values: Any) -> Said:
    """``key: problem`` (English for the bot's log and ``kudos doctor``); :func:`problem_text` is the part after
    the key, for a reader of another language."""
    return said(N_("{key}: {problem}"), key=key, problem=said(_PROBLEMS[(what, problem)], **values))


def problem_text(problem: str) -> str:
    """The problem without its key (``no role named 'Staff' in this server``), still a :class:`Said`."""
    if isinstance(problem, Said) and isinstance(problem.message.get("v", {}).get("problem"), Said):
        return problem.message["v"]["problem"]
    return problem.split(": ", 1)[1] if ": " in problem else problem


def _resolve_one(ref: str | int, items: Sequence[Named], *, what: str, key: str, problems: list[str]) -> int | None:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        wanted = int(ref)
        if any(item_id == wanted for item_id, _ in items):
            return wanted
        problems.append(_problem(key, what, "id", id=wanted))
        return None
    name = ref.lstrip("#@").strip()
    matches = [item_id for item_id, item_name in items if item_name == name]
    if not matches:
        folded = [item_id for item_id, item_name in items if item_name.casefold() == name.casefold()]
        matches = folded
    if len(matches) == 1:
        return matches[0]
    if not matches:
        problems.append(_problem(key, what, "none", name=repr(name)))
    else:
        problems.append(_problem(key, what, "many", count=len(matches), name=repr(name)))
    return None


def _resolve_many(refs: Iterable[str | int], items: Sequence[Named], *, what: str, key: str,
                  problems: list[str]) -> frozenset[int]:
    found = (_resolve_one(ref, items, what=what, key=key, problems=problems) for ref in refs)
    return frozenset(i for i in found if i is not None)


def resolve(
    guild_id: int,
    *,
    roles: Sequence[Named],
    channels: Sequence[Named],
    role_refs: dict[str, Sequence[str | int]],
    channel_refs: dict[str, str | int],
    help_forum_refs: Sequence[str | int],
) -> ResolvedGuild:
    """``role_refs`` maps e.g. ``"staff_roles"`` to its names or ids; ``channel_refs`` maps
    ``"announcements"`` etc. to one name or id."""
    problems: list[str] = []
    resolved_roles = {
        key: _resolve_many(refs, roles, what="role", key=key, problems=problems) for key, refs in role_refs.items()
    }
    resolved_channels = {
        key: _resolve_one(ref, channels, what="channel", key=f"channels.{key}", problems=problems)
        for key, ref in channel_refs.items()
    }
    return ResolvedGuild(
        guild_id=guild_id,
        staff_roles=resolved_roles.get("staff_roles", frozenset()),
        moderator_roles=resolved_roles.get("moderator_roles", frozenset()),
        curator_roles=resolved_roles.get("curator_roles", frozenset()),
        helper_roles=resolved_roles.get("helper_roles", frozenset()),
        channels=resolved_channels,
        help_forums=_resolve_many(help_forum_refs, channels, what="channel", key="channels.help_forums",
                                  problems=problems),
        problems=problems,
    )


def resolve_config(guild_id: int, cfg: Any, *, roles: Sequence[Named], channels: Sequence[Named]) -> ResolvedGuild:
    """:func:`resolve` for a guild's :class:`~bot.platform.config.GuildConfig` (the bot when a server becomes
    ready; ``kudos doctor`` from what Discord's REST API lists)."""
    names = cfg.channels
    return resolve(
        guild_id,
        roles=roles,
        channels=channels,
        role_refs={
            "staff_roles": cfg.staff_roles,
            "moderator_roles": cfg.moderator_roles,
            "curator_roles": cfg.curator_roles,
            "helper_roles": cfg.helper_roles,
        },
        channel_refs={
            "announcements": names.announcements,
            "feedback_forum": names.feedback_forum,
            "showcase": names.showcase,
            "staff_log": names.staff_log,
        },
        help_forum_refs=names.help_forums,
    )


def find(ref: str | int, items: Sequence[Named], *, what: str, key: str) -> tuple[int | None, list[str]]:
    """One name or id among ``items``: (its id or None, the problem in words)."""
    problems: list[str] = []
    return _resolve_one(ref, items, what=what, key=key, problems=problems), problems
