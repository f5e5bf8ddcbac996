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

from bot.activity.service import ActivityCounters
from bot.betas import BetaPolicy, BetaService, NewsService
from bot.catchup.service import CatchupMarks
from bot.contributions import ContributionsService
from bot.dashboard import WebService, secret_from_env
from bot.feedback import NOTIFY_EVENT, FeedbackPolicy, FeedbackService
from bot.insights import InsightsService
from bot.insights.renderer import ChartRenderer
from bot.ledger import ContributionEvent, LedgerPolicy, LedgerService, OnChange
from bot.privacy import PrivacyService
from bot.rewards import RewardsService
from bot.schema import PERSONAL_DATA

if TYPE_CHECKING:
    from bot.core.bot import KudosBot


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something a member did that rewards may react to, e.g. ``beta_joined``, ``first_feedback``,
    ``feedback_shipped``, ``answer_accepted``, ``post_featured`` (see ``bot.platform.config.REWARD_EVENTS``)."""

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
        # Rewards decide inside the ledger's (and other features') transactions: grants are an outbox.
        self.rewards = RewardsService(
            bot.db, bot.clock, policy_for=self.ledger_policy,
            delivery_for=lambda guild_id: bot.guild_config(guild_id).reward_delivery,
            schedule=bot.scheduler.schedule,
        )
        self.add_contribution_hook(self.rewards.on_contribution)
        self.add_event_hook(self.rewards.on_event)
        self.contributions = ContributionsService(bot.db, bot.clock, self.ledger, bot.scheduler,
                                                  self._emit_named)
        self.feedback = FeedbackService(
            bot.db, bot.clock, self.ledger, self.feedback_policy, emit=self.emit,
            schedule_notice=self._schedule_feedback_notice,
        )

        self.betas = BetaService(
            bot.db, bot.clock, self.ledger, self.rewards,
            lambda guild_id: BetaPolicy.from_config(bot.guild_config(guild_id)),
            emit=self._emit_named, schedule=bot.scheduler.schedule,
        )
        # /announce posts, reply counts of discussion threads, "what we changed" posts: the betas' budget.
        self.news = NewsService(self.betas)

        # Messages and reactions: counted in memory on the hot path, written in batches (write-behind).
        self.activity = ActivityCounters(bot.db, bot.clock)
        self.catchup = CatchupMarks(bot.db, bot.clock)
        self.insights = InsightsService(bot.db, bot.clock, self.ledger_policy)
        # Charts are drawn in a child process (matplotlib would hold the GIL the event loop needs).
        self.charts = ChartRenderer()
        self.privacy = PrivacyService(
            bot.db, bot.clock,
            retention_days=lambda guild_id: bot.guild_config(guild_id).privacy.retention_days_after_leave,
            personal_data=PERSONAL_DATA,
        )
        # The staff dashboard (bot/web): login links, sessions, CSRF. The secret comes from KUDOS_WEB_SECRET.
        web_secret, self.web_secret_ephemeral = secret_from_env()
        self.web = WebService(bot.db, bot.clock, web_secret)

    def ledger_policy(self, guild_id: int) -> LedgerPolicy:
        return LedgerPolicy.from_config(self._bot.guild_config(guild_id))

    def feedback_policy(self, guild_id: int) -> FeedbackPolicy:
        return FeedbackPolicy.from_config(self._bot.guild_config(guild_id))

    async def _schedule_feedback_notice(self, conn: AsyncConnection, payload: dict[str, Any]) -> None:
        # A durable timer in the status change's transaction: the notice goes out for every committed change.
        await self._bot.scheduler.schedule(NOTIFY_EVENT, payload, conn=conn)

    def add_contribution_hook(self, hook: OnChange) -> None:
        self.contribution_hooks.append(hook)

    async def _on_contribution(self, conn: AsyncConnection, event: ContributionEvent) -> None:
        for hook in self.contribution_hooks:
            await hook(conn, event)

    def add_event_hook(self, hook: EventHook) -> None:
        self.event_hooks.append(hook)

    async def _emit_named(self, conn: AsyncConnection, name: str, guild_id: int, user_id: int,
                          data: dict[str, Any]) -> None:
        await self.emit(conn, DomainEvent(guild_id, user_id, name, self._bot.clock.now(), data))

    async def emit(self, conn: AsyncConnection, event: DomainEvent) -> None:
        """Tell every event hook, inside the caller's transaction (so decisions commit with the cause)."""
        for hook in self.event_hooks:
            await hook(conn, event)
