"""The Kudos bot: a ``commands.Bot`` (or ``AutoShardedBot``) built from the config object."""

from __future__ import annotations

import asyncio
import gc
import logging
import pkgutil
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands
from sqlalchemy.exc import DBAPIError

from bot import schema
from bot.app import App, build_app
from bot.core import i18n, interactions
from bot.core.effects import Effects
from bot.core.errors import KudosTree
from bot.core.flood import InteractionGate
from bot.core.message_cache import KudosConnectionState, ShardedKudosConnectionState
from bot.core.pacing import Pacer
from bot.core.tasks import BackgroundTasks
from bot.dashboard import secret_from_env
from bot.ledger import stages as ladder_stages
from bot.platform import guilds as guild_repo
from bot.platform import resolver as guild_settings
from bot.platform.clock import Clock, SystemClock
from bot.platform.db import migrate
from bot.platform.db.engine import Database
from bot.platform.jobs.scheduler import CronJob, SchedulerSettings, TimerScheduler
from bot.platform.locales import MemberLocales
from bot.platform.resolver import ResolvedGuild
from bot.rewards import MemberFacts

if TYPE_CHECKING:
    from bot.core.observability import Observability
    from bot.platform.config import GuildConfig, KudosConfig
    from bot.web import WebServer

log = logging.getLogger(__name__)

FlushHook = Callable[[], Awaitable[None]]
# How often a process looks for settings another process changed (one small query): a change shows everywhere
# within about this long.
SETTINGS_POLL_SECONDS = 0.5
_INTERACTION_TASKS = ("CommandTree-invoker", "discord-ui-view-dispatch-", "discord-ui-dynamic-item-",
                      "discord-ui-modal-dispatch-")


def default_intents() -> discord.Intents:
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    return intents


def scheduler_settings(config: KudosConfig) -> SchedulerSettings:
    sched = config.scheduler
    return SchedulerSettings(
        timezone=sched.timezone,
        max_attempts=sched.max_attempts,
        retry_base_seconds=float(sched.retry_base_seconds),
        claim_timeout_seconds=float(sched.claim_timeout_seconds),
        cron=tuple(CronJob(name=c.name, event=c.event, cron=c.cron, payload=dict(c.payload)) for c in sched.cron),
    )


class KudosBot(commands.Bot):
    """Holds the config, clock, database, timer scheduler and background tasks, and wires them up."""

    def __init__(
        self,
        config: KudosConfig,
        *,
        clock: Clock | None = None,
        database: Database | None = None,
        guild_ready_timeout: float | None = None,
        worker_id: str | None = None,
        identify_delay: bool = True,
        **options: Any,
    ) -> None:
        self.config = config
        self._identify_delay = identify_delay
        self.clock: Clock = clock or SystemClock()
        self.db = database or Database(config.bot.database_url)
        self.scheduler = TimerScheduler(self.db, self.clock, scheduler_settings(config), worker_id=worker_id)
        self.tasks = BackgroundTasks()
        self.effects = Effects()  # each feature's Discord side, for the others and the dashboard
        self.app: App = build_app(config, self.db, self.clock, self.scheduler, web_secret=secret_from_env(),
                                  member_facts=self.member_facts)
        self.resolved: dict[int, ResolvedGuild] = {}
        self._flush_hooks: list[FlushHook] = []
        # One command sync per guild (and one global), shared by whoever needs it done: the guild's
        # GUILD_CREATE handler and on_ready, which says "ready" only once every guild's commands are registered.
        self._command_syncs: dict[int, asyncio.Future[Any]] = {}
        self._closing = False
        self._event_tasks: set[asyncio.Task[Any]] = set()
        self._sync_listeners: dict[str, tuple[Callable[..., None], ...]] = {}
        # The events with an ``on_<event>`` coroutine of this class or a cog listener (Bot.on_message only
        # runs prefix commands, which Kudos has none of). Any other event, unless a wait_for waits for it,
        # costs discord.py's dispatch nothing but two set lookups. (A removed listener's name stays: its
        # event then goes through discord.py's dispatch as before, which finds nothing to run.)
        self._async_events = {name[3:] for name in dir(type(self)) if name.startswith("on_")
                              and getattr(type(self), name) is not commands.Bot.on_message}
        self._gc_frozen = False
        self._gc_ready = False  # on_ready froze the member cache too
        self._settings_watch: asyncio.Task[None] | None = None
        self.web: WebServer | None = None  # the staff dashboard, when [web] enabled
        self.pacer = Pacer()  # bulk requests pace themselves from the rate-limit headers (bot.core.pacing)
        options.setdefault("http_trace", self.pacer.trace)
        # Before any command, view or modal task runs: defer in time when the handler is slow (3-second rule).
        self.add_sync_listener("interaction", lambda i: interactions.install(i, self.tasks.spawn))
        self.locales = MemberLocales(self.db, self.clock)  # each member's last locale: their DMs speak it
        self.add_flush_hook(self.locales.flush)  # changes not written yet go before the database closes
        self.add_sync_listener("interaction", lambda i: i18n.note_locale(self, i))
        self.observability: Observability | None = None  # /metrics, /healthz, /readyz when [metrics] enabled
        if config.metrics.enabled:
            from bot.core.observability import Observability

            self.observability = Observability(self)
            self.observability.install()  # before login: the REST session freezes the trace config
        member_cache = config.bot.member_cache
        options.setdefault("intents", default_intents())
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        options.setdefault("member_cache_flags", discord.MemberCacheFlags.all() if member_cache
                           else discord.MemberCacheFlags.none())
        options.setdefault("chunk_guilds_at_startup", member_cache)
        options.setdefault("max_messages", 1000)
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            tree_cls=KudosTree,
            guild_ready_timeout=guild_ready_timeout if guild_ready_timeout is not None
            else config.bot.guild_ready_timeout,
            **options,
        )
        # Per-member limit in front of every interaction (bot.core.flood): a flood is answered "slow down"
        # before discord.py makes a command, view or modal task of it.
        self.gate = InteractionGate(self.clock, self.tasks.spawn, burst=config.bot.interaction_burst,
                                    per_second=config.bot.interaction_refill_per_second)
        self.gate.install(self._connection)

    def member_facts(self, guild_id: int, user_id: int) -> MemberFacts | None:
        """What the cache says of a member, for reward conditions (None: the guild is not cached)."""
        guild = self.get_guild(guild_id)
        if guild is None:
            return None
        member = guild.get_member(user_id)
        if member is None:
            return MemberFacts(user_id, present=False, role_ids=frozenset())
        return MemberFacts(user_id, joined_at=member.joined_at, role_ids=frozenset(r.id for r in member.roles),
                           pending=member.pending)

    # -- settings -----------------------------------------------------------------------------------
    def guild_config(self, guild_id: int) -> GuildConfig:
        return self.app.guild_config(guild_id)

    def settings(self, guild_id: int) -> ResolvedGuild:
        """The guild's config with names resolved to ids (resolved when the guild became ready)."""
        resolved = self.resolved.get(guild_id)
        if resolved is None:
            guild = self.get_guild(guild_id)
            resolved = self.resolve_guild(guild) if guild else ResolvedGuild(guild_id=guild_id)
        return resolved

    def resolve_guild(self, guild: discord.Guild) -> ResolvedGuild:
        resolved = guild_settings.resolve_config(guild.id, self.guild_config(guild.id),
                                                 roles=[(r.id, r.name) for r in guild.roles],
                                                 channels=[(c.id, c.name) for c in guild.channels])
        self.resolved[guild.id] = resolved
        for problem in resolved.problems:
            log.error("config problem in guild %s (%s): %s", guild.id, guild.name, problem)
        return resolved

    def _settings_changed(self, guild_id: int) -> None:
        """A server's settings changed (here or in another process): names are resolved again, the ladder
        stages follow a changed ladder, and cogs hear of it (``on_kudos_settings_changed``)."""
        guild = self.get_guild(guild_id)
        if guild is not None:
            self.resolve_guild(guild)
        if self.is_ready() and not self._closing:
            ladder = self.app.ledger_policy(guild_id).ladder
            self.tasks.spawn(ladder_stages.ensure_current(self.db, guild_id, ladder, self.clock.now()),
                             name=f"settings-ladder-{guild_id}")
        self.dispatch("kudos_settings_changed", guild_id)

    async def _watch_settings(self) -> None:
        """Other processes' settings changes, seen within :data:`SETTINGS_POLL_SECONDS`. Not one of
        ``self.tasks`` (it never ends, and those are what "the bot is busy" waits for)."""
        while True:
            await asyncio.sleep(SETTINGS_POLL_SECONDS)
            try:
                await self.app.settings.poll()
            except (DBAPIError, OSError) as exc:
                log.warning("could not look for settings changes: %s", exc)

    # -- lifecycle ----------------------------------------------------------------------------------
    def _schedule_event(self, coro: Any, event_name: str, *args: Any, **kwargs: Any) -> asyncio.Task[Any]:
        # discord.py keeps no reference to event tasks; keep one so none is garbage-collected mid-flight,
        # so shutdown can finish them, and so tests can wait until the bot has finished reacting.
        if event_name == "on_message" and getattr(coro, "__func__", None) is commands.Bot.on_message:
            # Kudos has no prefix commands: skip process_commands, and the task per message it would cost
            # (reached only while a wait_for("message") is pending; see dispatch).
            return None  # type: ignore[return-value]
        task = super()._schedule_event(coro, event_name, *args, **kwargs)
        self._event_tasks.add(task)
        task.add_done_callback(self._event_tasks.discard)
        return task

    def add_sync_listener(self, event: str, listener: Callable[..., None]) -> None:
        """Call ``listener(*args)`` synchronously for ``event`` (e.g. ``"message"``), before the usual async
        listeners: for O(1) hot-path work that must not cost a task per gateway event. A listener that has
        real work to do hands it to ``bot.tasks.spawn`` only when the event concerns it."""
        self._sync_listeners[event] = (*self._sync_listeners.get(event, ()), listener)

    def remove_sync_listener(self, event: str, listener: Callable[..., None]) -> None:
        listeners = self._sync_listeners.get(event, ())
        if listener in listeners:
            rest = list(listeners)
            rest.remove(listener)
            self._sync_listeners[event] = tuple(rest)

    def event(self, coro: Any, /) -> Any:
        self._async_events.add(coro.__name__.removeprefix("on_"))
        return super().event(coro)

    def add_listener(self, func: Any, /, name: str = discord.utils.MISSING) -> None:
        super().add_listener(func, name)
        self._async_events.add((func.__name__ if name is discord.utils.MISSING else name).removeprefix("on_"))

    def _get_state(self, **options: Any) -> Any:
        """discord.py's connection state, with its message cache indexed by id (:mod:`bot.core.message_cache`)."""
        return KudosConnectionState(dispatch=self.dispatch, handlers=self._handlers, hooks=self._hooks,
                                    http=self.http, **options)

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        sync = self._sync_listeners.get(event_name)
        if sync:
            for listener in sync:
                try:
                    listener(*args, **kwargs)
                except Exception:  # noqa: BLE001 - a hot-path filter must never stop the event
                    log.exception("sync listener %r for %s failed", listener, event_name)
        if event_name in self._async_events or event_name in self._listeners:
            super().dispatch(event_name, *args, **kwargs)

    def _interaction_tasks(self) -> set[asyncio.Task[Any]]:
        """discord.py runs commands, view items, dynamic items and modals in tasks of its own, which it keeps no
        reference to (their names are discord.py 2.7.1's; the pin keeps them): one of them may be waiting out a
        rate-limit bucket locally, with no request in flight."""
        return {t for t in asyncio.all_tasks() if t.get_name().startswith(_INTERACTION_TASKS)}

    def busy(self) -> bool:
        """Whether event handlers, interaction handlers or background tasks are still running."""
        current = asyncio.current_task()
        running = self._event_tasks | self.tasks.running() | self._interaction_tasks()
        return any(t is not current and not t.done() for t in running)

    async def wait_for_events(self, timeout: float = 5.0, *, include_background: bool = True) -> None:
        """Wait until the event handlers running now (and those they start) have finished; with
        ``include_background=False``, leave out the background tasks of ``bot.tasks``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        current = asyncio.current_task()
        while True:
            running = self._event_tasks | self._interaction_tasks()
            if include_background:
                running |= self.tasks.running()
            pending = {t for t in running if t is not current and not t.done()}
            if not pending or loop.time() >= deadline:
                return
            await asyncio.wait(pending, timeout=deadline - loop.time())

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # Discord limits IDENTIFY to one per 5 s; the emulator (tests, sandbox) has no such limit.
        if self._identify_delay:
            await super().before_identify_hook(shard_id, initial=initial)

    def add_flush_hook(self, hook: FlushHook) -> None:
        """Register a coroutine that writes buffered state; run on shutdown before the database closes."""
        self._flush_hooks.append(hook)

    async def setup_hook(self) -> None:
        await self.db.start_checkpoints()  # WAL checkpoints of a SQLite file off the members' commits
        await self.db.check()
        if self.config.bot.auto_migrate:
            await migrate.upgrade(self.db, metadata=schema.metadata)  # a fresh database is created, not replayed
        # The servers' own settings (bot.settings) over the file's, before anything reads a guild's config.
        await self.app.settings.load()
        self.app.settings.subscribe(self._settings_changed)
        self._settings_watch = asyncio.get_running_loop().create_task(self._watch_settings(),
                                                                      name="settings-watch")
        # Ladder stages computed with another ladder (the config changed) are rebuilt before any write.
        try:
            rebuilt = await ladder_stages.ensure_all_current(
                self.db, lambda guild_id: self.app.ledger_policy(guild_id).ladder, self.clock.now())
        except DBAPIError:
            log.exception("could not rebuild the ladder stages at start; /stats rebuilds them when it next runs")
        else:
            if rebuilt:
                log.info("ladder stages rebuilt for %d guild(s) after a ladder change", len(rebuilt))
        # The file's webhook endpoints ([guilds.<id>.webhooks]) into the database before any event is sent.
        await self.app.webhooks.sync_config()
        await self.tree.set_translator(i18n.CommandTranslator())
        await self.load_cogs()
        await self.scheduler.start()
        if self.observability is not None:
            await self.observability.start()
        if self.config.web.enabled:
            from bot.web import WebServer

            self.web = WebServer(self)
            await self.web.start()
        if self.config.bot.gc_freeze:  # what start-up loaded (modules, config, cogs) before the members arrive:
            self._freeze_gc()  # the full passes while the member chunks load no longer scan it either

    def _freeze_gc(self) -> None:
        """Move every object alive now out of the collector's full passes (``bot.gc_freeze``; undone at close).
        Only the young generations are collected first: start-up leaves no cyclic garbage worth a full pass (0
        objects found, measured), and a full pass over a 1M-member cache cost 1.1 s of the ready time."""
        self._gc_frozen = True
        gc.collect(1)
        gc.freeze()

    async def load_cogs(self) -> None:
        import cogs

        for module in sorted(pkgutil.iter_modules(cogs.__path__), key=lambda m: m.name):
            if module.name.startswith("_"):
                continue
            await self.load_extension(f"cogs.{module.name}")
            log.debug("loaded extension cogs.%s", module.name)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self._guild_ready(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._guild_ready(guild)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        async with self.db.begin() as conn:
            await guild_repo.left_guild(conn, guild.id, now=self.clock.now())

    async def _guild_ready(self, guild: discord.Guild) -> None:
        self.resolve_guild(guild)
        async with self.db.begin() as conn:
            await guild_repo.seen_guild(conn, guild.id, guild.name, now=self.clock.now())
        if self.config.bot.command_sync == "guild":
            await self._sync_commands(guild)
        self.dispatch("kudos_guild_ready", guild)

    def _sync_commands(self, guild: discord.Guild | None) -> asyncio.Future[Any]:
        """The one sync of ``guild``'s commands (None: the global ones), started on first need."""
        key = guild.id if guild is not None else 0
        sync = self._command_syncs.get(key)
        if sync is None:
            if guild is not None:
                self.tree.copy_global_to(guild=guild)
            sync = self._command_syncs[key] = asyncio.ensure_future(self.tree.sync(guild=guild))
        return sync

    async def on_ready(self) -> None:
        if self.config.bot.gc_freeze and not self._gc_ready:
            # Modules, config, caches (a 100k-member guild is millions of objects) live as long as the process:
            # a full GC pass over them stalls the loop for 100+ ms, every interaction waiting behind it.
            # Frozen objects are still freed by reference counting when dropped (a member who leaves).
            self._gc_ready = True
            self._freeze_gc()
            log.info("%d objects moved out of full GC passes", gc.get_freeze_count())
        # GUILD_CREATE and READY handlers run concurrently: "ready" (which scripts and the tests wait for) is said
        # only once every guild's slash commands are registered, so a member's first command always finds them.
        if self.config.bot.command_sync == "global":
            await self._sync_commands(None)
        elif self.config.bot.command_sync == "guild":
            # A guild whose sync failed was reported by its own GUILD_CREATE handler; the others are still ready.
            await asyncio.gather(*(self._sync_commands(guild) for guild in self.guilds), return_exceptions=True)
        log.info("ready as %s in %d guild(s)", self.user, len(self.guilds))

    async def close(self) -> None:
        if self._closing:
            return await super().close()
        self._closing = True
        loop = asyncio.get_running_loop()
        grace = self.config.bot.shutdown_grace_seconds
        deadline = loop.time() + grace
        log.info("shutting down (in-flight work gets up to %.0f s)", grace)
        # Interactions and event handlers running now finish first, while the gateway and HTTP still work (a
        # member's command gets its answer; the jobs it writes are durable either way).
        await self.wait_for_events(timeout=grace, include_background=False)
        if self.web is not None:
            await self.web.stop()
        if self.observability is not None:
            await self.observability.stop()
        for hook in self._flush_hooks:
            try:
                await hook()
            except Exception:  # noqa: BLE001 - one failing hook must not stop the others
                log.exception("flush hook %r failed", hook)
        if self._settings_watch is not None:
            self._settings_watch.cancel()
            await asyncio.gather(self._settings_watch, return_exceptions=True)
            self.app.settings.unsubscribe(self._settings_changed)
        await self.scheduler.stop(timeout=max(deadline - loop.time(), 1.0))
        await self.tasks.cancel_all()
        await super().close()
        # Let running event handlers finish (they may be mid-write); cancel only what hangs. Cancelling a
        # task that has not started yet would leave its coroutine never awaited.
        current = asyncio.current_task()
        leftovers = {t for t in self._event_tasks if t is not current and not t.done()}
        if leftovers:
            _, hanging = await asyncio.wait(leftovers, timeout=min(5.0, max(deadline - loop.time(), 0.5)))
            for task in hanging:
                task.cancel()
            if hanging:
                await asyncio.gather(*hanging, return_exceptions=True)
        if self._gc_frozen:  # give the start-up objects back to the collector (tests start many bots a process)
            self._gc_frozen = False
            gc.unfreeze()
        await self.app.close()
        await self.db.close()


class ShardedKudosBot(KudosBot, commands.AutoShardedBot):
    """The same bot on ``AutoShardedBot`` (``bot.shard_count`` in config)."""

    def _get_state(self, **options: Any) -> Any:
        return ShardedKudosConnectionState(dispatch=self.dispatch, handlers=self._handlers, hooks=self._hooks,
                                           http=self.http, **options)


def create_bot(config: KudosConfig, **kwargs: Any) -> KudosBot:
    """A :class:`KudosBot`, or a :class:`ShardedKudosBot` when ``bot.shard_count`` is set or the caller passes
    ``shard_ids``/``shard_count`` (one cluster process of a bigger bot: ``kudos run --shard-ids 0,1
    --shard-count 4``)."""
    if kwargs.get("shard_ids") is not None:
        return ShardedKudosBot(config, **kwargs)
    shard_count = config.bot.shard_count
    if shard_count:
        if shard_count > 0:
            kwargs.setdefault("shard_count", shard_count)
        return ShardedKudosBot(config, **kwargs)
    return KudosBot(config, **kwargs)
