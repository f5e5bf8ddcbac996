"""The services the cogs share, built once per bot from its config, database and clock.

Services take plain ids and values and know nothing of discord. Cross-service reactions go through hooks:
every ledger change (credit, reversal, release) runs each contribution hook *inside the same
transaction*, which is how the rewards engine writes its grant rows as an outbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.services.ledger import ContributionEvent, LedgerPolicy, LedgerService, OnChange

if TYPE_CHECKING:
    from bot.core.bot import KudosBot


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something a member did that rewards may react to, e.g. ``beta_joined``, ``first_feedback``,
    ``feedback_shipped``, ``answer_accepted``, ``post_featured`` (see ``bot.config.REWARD_EVENTS``)."""

    guild_id: int
    user_id: int
    name: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)


EventHook = Callable[[AsyncConnection, DomainEvent], Awaitable[None]]


class Services:
    def __init__(self, bot: KudosBot) -> None:
        self._bot = bot
        self.contribution_hooks: list[OnChange] = []
        self.event_hooks: list[EventHook] = []
        self.ledger = LedgerService(bot.db, bot.clock, self.ledger_policy, on_change=self._on_contribution)

    def ledger_policy(self, guild_id: int) -> LedgerPolicy:
        return LedgerPolicy.from_config(self._bot.guild_config(guild_id))

    def add_contribution_hook(self, hook: OnChange) -> None:
        self.contribution_hooks.append(hook)

    async def _on_contribution(self, conn: AsyncConnection, event: ContributionEvent) -> None:
        for hook in self.contribution_hooks:
            await hook(conn, event)

    def add_event_hook(self, hook: EventHook) -> None:
        self.event_hooks.append(hook)

    async def emit(self, conn: AsyncConnection, event: DomainEvent) -> None:
        """Tell every event hook, inside the caller's transaction (so decisions commit with the cause)."""
        for hook in self.event_hooks:
            await hook(conn, event)
