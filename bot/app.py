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
from bot.github import GithubService
from bot.github.service import MERGE_NOTE_EVENT, SUMMARY_EVENT
from bot.giveback import GivebackService
from bot.insights import InsightsService
from bot.insights.renderer import ChartRenderer
from bot.ledger import ContributionEvent, LedgerPolicy, LedgerService
from bot.linkedroles.crypto import TokenBox
from bot.linkedroles.service import LinkedRolesService
from bot.platform.clock import Clock
from bot.platform.config import KudosConfig
from bot.platform.config.per_guild import GuildConfigs, PerGuild
from bot.platform.db import Database
from bot.platform.events import DomainEvent, EventBus, Outbound
from bot.platform.jobs.effects import JobKey
from bot.platform.jobs.scheduler import TimerScheduler
from bot.privacy import PrivacyService
from bot.privileges import PrivilegePolicy, PrivilegesService
from bot.privileges.staging import StagingGround
from bot.public.service import PublicPages
from bot.rewards import FactsProvider, RewardsService
from bot.rewards.marks import derive_key
from bot.schema import PERSONAL_DATA
from bot.search import SearchPolicy, SearchService
from bot.settings.service import SettingsService
from bot.webhooks import DELIVER_EVENT, WebhooksService
from bot.webhooks import sources as webhook_sources


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
    public: PublicPages
    privileges: PrivilegesService
    giveback: GivebackService
    staging: StagingGround
    web: WebService
    settings: SettingsService
    web_secret_ephemeral: bool
    linked_roles: LinkedRolesService
    webhooks: WebhooksService
    github: GithubService

    def ledger_policy(self, guild_id: int) -> LedgerPolicy:
        return self.ledger.policy_for(guild_id)  # built once per guild config (PerGuild)

    async def emit(self, conn: AsyncConnection, event: DomainEvent) -> None:
        """Publish a domain event inside the caller's transaction (rewards decide in it)."""
        await self.bus.publish(conn, event)

    async def close(self) -> None:
        await self.charts.close()
        await self.webhooks.close()


def build_app(config: KudosConfig, db: Database, clock: Clock, jobs: TimerScheduler, *,
              web_secret: tuple[bytes, bool], member_facts: FactsProvider | None = None) -> App:
    """Build the application: features get what they need as constructor arguments, and react to each other
    only through ``bus`` (in the cause's transaction). ``member_facts`` is what the Discord cache says of a
    member (for reward conditions), given by the client that holds the cache."""
    guild_config = GuildConfigs(config)
    bus = EventBus()

    # Each feature's rules, built from a guild's config once per config (its settings change: a new object).
    ledger_policy = PerGuild(guild_config, LedgerPolicy.from_config)
    feedback_policy = PerGuild(guild_config, FeedbackPolicy.from_config)

    async def emit_named(conn: AsyncConnection, name: str, guild_id: int, user_id: int,
                         data: dict[str, Any]) -> None:
        await bus.publish(conn, DomainEvent(guild_id, user_id, name, clock.now(), data))

    async def schedule_job(conn: AsyncConnection, key: JobKey, payload: dict[str, Any]) -> None:
        # A durable job in the caller's transaction (a feedback change's): its effect happens for every
        # committed change, once per key.
        await jobs.schedule(key.kind, payload, dedupe_key=key.dedupe(), conn=conn)

    secret, ephemeral = web_secret
    # Outbound webhooks hear of every Outbound event in its cause's transaction (a delivery job per endpoint),
    # and of the ledger's and the betas' existing events through bot.webhooks.sources.
    webhooks = WebhooksService(db, clock, guild_config=guild_config, configured_guilds=lambda: config.guild_ids,
                               allow_private=config.web.allow_private_webhooks, schedule=jobs.schedule)
    bus.subscribe(Outbound, webhooks.on_outbound)
    jobs.register(DELIVER_EVENT, webhooks.deliver)
    ledger = LedgerService(db, clock, ledger_policy, on_change=bus.publish, outbound=bus.publish)
    # Rewards decide inside the ledger's (and other features') transactions: grants are an outbox. Their marks
    # (what survives erasure: rules earned, codes held) are keyed with a key derived from the server secret.
    rewards = RewardsService(db, clock, policy_for=ledger_policy,
                             delivery_for=lambda guild_id: guild_config(guild_id).reward_delivery,
                             schedule=jobs.schedule, member_facts=member_facts, marks_key=derive_key(secret),
                             outbound=bus.publish)
    bus.subscribe(ContributionEvent, rewards.on_contribution)
    # Earned privileges are re-judged in the transaction of every change of a member's totals (a reversal: at once).
    privileges = PrivilegesService(
        db, clock, PerGuild(guild_config, lambda cfg: PrivilegePolicy.from_config(
            cfg, [s.name for s in LedgerPolicy.from_config(cfg).ladder])),
        schedule=jobs.schedule)
    bus.subscribe(ContributionEvent, privileges.on_contribution)
    # What the brand gives back, recorded where it happens: delivered rewards, beta access, shipped reports.
    giveback = GivebackService(db, clock, lambda guild_id: guild_config(guild_id).giveback)
    rewards.on_delivered = giveback.on_delivered
    bus.subscribe(DomainEvent, giveback.on_event)
    # First-post mentoring: reviewers of a staged post get curation credit when it is solved.
    staging = StagingGround(db, clock, lambda guild_id: guild_config(guild_id).privileges, ledger, jobs.schedule)
    bus.subscribe(DomainEvent, staging.on_event)
    bus.subscribe(DomainEvent, rewards.on_event)
    bus.subscribe(ContributionEvent, webhook_sources.contribution(bus.publish))
    contributions = ContributionsService(db, clock, ledger, jobs, emit_named,
                                         receipt_dms=lambda guild_id: guild_config(guild_id).ledger.receipts == "dm")
    feedback = FeedbackService(db, clock, ledger, feedback_policy, emit=bus.publish,
                               schedule_job=schedule_job, outbound=bus.publish)
    # GitHub Issues: a vote on a linked item edits the summary comment (a job in the vote's transaction).
    github = GithubService(db, clock, feedback, guild_config, schedule=jobs.schedule)
    bus.subscribe(Outbound, github.on_outbound)
    jobs.register(SUMMARY_EVENT, github.summary)
    jobs.register(MERGE_NOTE_EVENT, github.merge_note)
    betas = BetaService(db, clock, ledger, rewards, PerGuild(guild_config, BetaPolicy.from_config),
                        emit=emit_named, schedule=jobs.schedule, outbound=bus.publish)
    # Linked roles: a linked member's numbers are queued for publishing in the transaction that changed them.
    linked_roles = LinkedRolesService(db, clock, config.linked_roles, TokenBox(secret), jobs.schedule)
    if config.linked_roles.enabled:
        bus.subscribe(ContributionEvent, linked_roles.on_contribution)
        bus.subscribe(DomainEvent, linked_roles.on_event)
    # Messages and reactions: counted in memory on the hot path, written in batches (write-behind).
    activity = ActivityCounters(db, clock)
    privacy = PrivacyService(
        db, clock,
        retention_days=lambda guild_id: guild_config(guild_id).privacy.retention_days_after_leave,
        # Each feature declares its tables that hold member ids (bot/<feature>/personal.py).
        personal_data=PERSONAL_DATA,
        # Erasure and the opt-out: the member's buffered activity counts are written first, none after.
        settle_member=activity.member_settled, outbound=bus.publish)
    # The public pages (/p/<slug>/): public feedback items, supporters named only when they opted in. A change
    # they show (feedback's signal, an erasure's event) has the next requests re-read the cache's version.
    public = PublicPages(db, clock, public_settings=lambda guild_id: guild_config(guild_id).public,
                         public_names=privacy.public_names, names_version=privacy.public_names_version)
    for changed in (feedback.changed, betas.changed, privacy.public_changed):
        changed.connect(public.changed)
    bus.subscribe(Outbound, public.on_outbound)
    return App(
        config=config, db=db, clock=clock, jobs=jobs, guild_config=guild_config, bus=bus,
        ledger=ledger, rewards=rewards, contributions=contributions, feedback=feedback, betas=betas,
        search=SearchService(db, clock, ledger, PerGuild(guild_config, SearchPolicy.from_config),
                             schedule_job),
        # /announce posts, reply counts of discussion threads, "what we changed" posts: the betas' budget.
        announcements=AnnouncementsService(betas),
        activity=activity,
        catchup=CatchupMarks(db, clock),
        insights=InsightsService(db, clock, ledger_policy),
        # Charts are drawn in a child process (matplotlib would hold the GIL the event loop needs).
        charts=ChartRenderer(),
        privacy=privacy,
        public=public,
        # The staff dashboard (bot/web): login links, sessions, CSRF. The secret comes from KUDOS_WEB_SECRET.
        web=WebService(db, clock, secret),
        # A server's own settings over config.toml (/settings, the dashboard): laid over guild_config.
        settings=SettingsService(db, clock, guild_config),
        privileges=privileges,
        giveback=giveback,
        staging=staging,
        web_secret_ephemeral=ephemeral,
        linked_roles=linked_roles,
        webhooks=webhooks,
        # GitHub Issues → feedback statuses (the /hooks/github receiver of bot/web calls it).
        github=github,
    )
