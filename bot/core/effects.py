"""The Discord side of each feature, as other features and the web dashboard may call it.

A feature's extension (``cogs/<feature>/__init__.py``, its ``setup``) puts its Discord-side object here when it
loads and takes it away when it unloads; callers name what they need by a typed protocol, never a cog by its
string name (``get_cog``), and never import another feature's cog module. A feature that is not loaded is
``None`` here, and :meth:`Effects.need` turns that into the member-facing "switched off" refusal.

A feature's own persistent buttons and forms reach their own cog the same way, by its class, not its name:
``setup`` calls ``bot.effects.attach(cog)``, ``teardown`` ``bot.effects.detach(Cog)``, and a view asks
``interaction.client.effects.own(Cog, "Betas")``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

import discord

from bot.betas import Beta, BetaDraft
from bot.feedback import StatusChange
from bot.platform.config import RewardConfig
from bot.platform.errors import NotAllowed
from bot.platform.i18n import N_

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BetaCreated:
    """What ``create_now`` made: the beta, its announcement channel, when the announcement goes out if later
    (``None``: posted now), why the post waits if Discord did not answer, and the cohort role and private
    channel it made or opened."""

    beta_id: int
    channel: discord.TextChannel
    scheduled_at: datetime | None
    waiting: str | None  # a bot.platform.deferred.Said: English text that keeps its message
    cohort_role: discord.Role | None
    private_channel: discord.TextChannel | None


class BetaEffects(Protocol):
    async def prepare_create(
        self, guild: discord.Guild, *, name: str, capacity: int | None = None, waitlist: bool = True,
        min_points: int = 0, role_id: int | None = None, stage: str | None = None, account_age_days: int = 0,
        incentive: str | None = None, starts: str | None = None, ends: str | None = None, channel: Any = None,
        feedback_forum_id: int | None = None, cohort_role_id: int | None = None, create_cohort_role: bool = False,
        terms: str | None = None, private_channel: Any = None, description: str = "",
    ) -> BetaDraft: ...

    async def create_now(self, guild: discord.Guild, draft: BetaDraft, *, actor_id: int, create_role: bool = False,
                         before_write: Callable[[], Awaitable[None]] | None = None) -> BetaCreated: ...

    async def announce_now(self, guild: discord.Guild, beta: Beta, *, actor_id: int,
                           channel: discord.TextChannel | None = None,
                           before_post: Callable[[], Awaitable[None]] | None = None) -> discord.TextChannel: ...

    async def close_now(self, guild: discord.Guild, beta: Beta, *, actor_id: int) -> Any: ...

    async def refresh(self, guild_id: int, beta_id: int) -> None: ...


class FeedbackEffects(Protocol):
    async def set_status(self, guild: discord.Guild, item_id: int, status: str, *, actor_id: int,
                         note: str | None = None, version: str | None = None, of: int | None = None,
                         before_write: Callable[[], Awaitable[None]] | None = None,
                         ) -> tuple[StatusChange, list[str]]: ...

    def who_is_told(self, guild: discord.Guild, change: StatusChange, tr: Any = None) -> str: ...

    async def open_form(self, interaction: discord.Interaction, *, beta_id: int | None = None,
                        type_: str | None = None) -> None: ...

    async def catch_up(self, guild: discord.Guild, since: int) -> int: ...


class RewardEffects(Protocol):
    def check_role(self, guild: discord.Guild, config: RewardConfig) -> None: ...


class CurationEffects(Protocol):
    def star_reaction(self, guild_id: int, post: discord.Message) -> discord.Reaction | None: ...

    async def consider(self, guild: discord.Guild, where: Any, post: discord.Message) -> bool: ...


class LinkedRolesEffects(Protocol):
    def authorize_url(self, state: str) -> str: ...

    async def complete(self, code: str) -> int: ...


@dataclass(slots=True)
class Effects:
    betas: BetaEffects | None = None
    feedback: FeedbackEffects | None = None
    curation: CurationEffects | None = None
    linked_roles: LinkedRolesEffects | None = None
    rewards: RewardEffects | None = None
    _own: dict[type, object] = field(default_factory=dict)

    def attach(self, obj: object) -> None:
        """Register a loaded extension's own Discord-side object (its cog) by its class."""
        self._own[type(obj)] = obj

    def detach(self, kind: type) -> None:
        self._own.pop(kind, None)

    def own(self, kind: type[T], what: str) -> T:
        """The loaded ``kind`` (a feature's views and forms reaching their own cog), or the "switched off"
        refusal when that extension is not loaded."""
        found = self._own.get(kind)
        return self.need(found if isinstance(found, kind) else None, what)

    @staticmethod
    def need(found: T | None, what: str) -> T:
        """``found``, or the refusal members see when that feature is switched off (not loaded)."""
        if found is None:
            raise NotAllowed(N_("{what} {value} switched off right now; try again later."),
                             what=what, value='are' if what.endswith('s') else 'is')
        return found
