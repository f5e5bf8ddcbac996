"""The composition root: :func:`build_app` builds every feature's service from config, database, clock and
jobs, and subscribes the features to each other on the event bus. Nothing here knows discord.

The Discord client (:class:`bot.core.bot.KudosBot`) holds the :class:`App`; cogs, views, timers and web routes
reach features through ``bot.app``. The app does not hold the bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.activity.service import ActivityCounters
from bot.announcements.service import AnnouncementsService
from bot.betas import BetaPolicy, BetaService
from bot.catchup.service import CatchupMarks
from bot.contributions import ContributionsService
from bot.dashboard import WebService
from bot.feedback import FeedbackPolicy, FeedbackService
from bot.insights import InsightsService
from bot.insights.renderer import ChartRenderer
from bot.ledger import ContributionEvent, LedgerPolicy, LedgerService
from bot.platform.clock import Clock
from bot.platform.config import KudosConfig
from bot.platform.config.per_guild import GuildConfigs
from bot.platform.db import Database
from bot.platform.events import DomainEvent, EventBus
from bot.platform.jobs.effects import JobKey
from bot.platform.jobs.scheduler import TimerScheduler
from bot.privacy import PrivacyService
from bot.rewards import FactsProvider, RewardsService
from bot.rewards.marks import derive_key
from bot.schema import PERSONAL_DATA
from bot.search import SearchPolicy, SearchService


@dataclass(slots=True)
class App:
    """Every feature's service, built once per process (see :func:`build_app`)."""

    config: KudosConfig
    db: Database
    clock: Clock
    jobs: TimerScheduler
    guild_config: GuildConfigs
    bus: EventBus
    ledger: LedgerService
    rewards: RewardsService
    contributions: ContributionsService
    feedback: FeedbackService
    search: SearchService
    betas: BetaService
    announcements: AnnouncementsService
    activity: ActivityCounters
    catchup: CatchupMarks
    insights: InsightsService
    charts: ChartRenderer
    privacy: PrivacyService
    web: WebService
    web_secret_ephemeral: bool

    def ledger_policy(self, guild_id: int) -> LedgerPolicy:
        return LedgerPolicy.from_config(self.guild_config(guild_id))

    async def emit(self, conn: AsyncConnection, event: DomainEvent) -> None:
        """Publish a domain event inside the caller's transaction (rewards decide in it)."""
        await self.bus.publish(conn, event)

    async def close(self) -> None:
        await self.charts.close()


def build_app(config: KudosConfig, db: Database, clock: Clock, jobs: TimerScheduler, *,
              web_secret: tuple[bytes, bool], member_facts: FactsProvider | None = None) -> App:
    """Build the application: features get what they need as constructor arguments, and react to each other
    only through ``bus`` (in the cause's transaction). ``member_facts`` is what the Discord cache says of a
    member (for reward conditions), given by the client that holds the cache."""
    guild_config = GuildConfigs(config)
    bus = EventBus()

    def ledger_policy(guild_id: int) -> LedgerPolicy:
        return LedgerPolicy.from_config(guild_config(guild_id))

    def feedback_policy(guild_id: int) -> FeedbackPolicy:
        return FeedbackPolicy.from_config(guild_config(guild_id))

    async def emit_named(conn: AsyncConnection, name: str, guild_id: int, user_id: int,
                         data: dict[str, Any]) -> None:
        await bus.publish(conn, DomainEvent(guild_id, user_id, name, clock.now(), data))

    async def schedule_job(conn: AsyncConnection, key: JobKey, payload: dict[str, Any]) -> None:
        # A durable job in the caller's transaction (a feedback change's): its effect happens for every
        # committed change, once per key.
        await jobs.schedule(key.kind, payload, dedupe_key=key.dedupe(), conn=conn)

    secret, ephemeral = web_secret
    ledger = LedgerService(db, clock, ledger_policy, on_change=bus.publish)
    # Rewards decide inside the ledger's (and other features') transactions: grants are an outbox. Their marks
    # (what survives erasure: rules earned, codes held) are keyed with a key derived from the server secret.
    rewards = RewardsService(db, clock, policy_for=ledger_policy,
                             delivery_for=lambda guild_id: guild_config(guild_id).reward_delivery,
                             schedule=jobs.schedule, member_facts=member_facts, marks_key=derive_key(secret))
    bus.subscribe(ContributionEvent, rewards.on_contribution)
    bus.subscribe(DomainEvent, rewards.on_event)
    contributions = ContributionsService(db, clock, ledger, jobs, emit_named,
                                         receipt_dms=lambda guild_id: guild_config(guild_id).ledger.receipts == "dm")
    feedback = FeedbackService(db, clock, ledger, feedback_policy, emit=bus.publish,
                               schedule_job=schedule_job)
    betas = BetaService(db, clock, ledger, rewards, lambda guild_id: BetaPolicy.from_config(guild_config(guild_id)),
                        emit=emit_named, schedule=jobs.schedule)
    # Messages and reactions: counted in memory on the hot path, written in batches (write-behind).
    activity = ActivityCounters(db, clock)
    return App(
        config=config, db=db, clock=clock, jobs=jobs, guild_config=guild_config, bus=bus,
        ledger=ledger, rewards=rewards, contributions=contributions, feedback=feedback, betas=betas,
        search=SearchService(db, clock, ledger, lambda guild_id: SearchPolicy.from_config(guild_config(guild_id)),
                             schedule_job),
        # /announce posts, reply counts of discussion threads, "what we changed" posts: the betas' budget.
        announcements=AnnouncementsService(betas),
        activity=activity,
        catchup=CatchupMarks(db, clock),
        insights=InsightsService(db, clock, ledger_policy),
        # Charts are drawn in a child process (matplotlib would hold the GIL the event loop needs).
        charts=ChartRenderer(),
        privacy=PrivacyService(
            db, clock,
            retention_days=lambda guild_id: guild_config(guild_id).privacy.retention_days_after_leave,
            # Each feature declares its tables that hold member ids (bot/<feature>/personal.py).
            personal_data=PERSONAL_DATA,
            # Erasure and the opt-out: the member's buffered activity counts are written first, none after.
            settle_member=activity.member_settled),
        # The staff dashboard (bot/web): login links, sessions, CSRF. The secret comes from KUDOS_WEB_SECRET.
        web=WebService(db, clock, secret),
        web_secret_ephemeral=ephemeral,
    )
