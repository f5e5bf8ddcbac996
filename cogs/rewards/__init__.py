"""Rewards: the grant dispatcher, rule and perk commands, temporary roles, reconciliation and rejoins."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import discord
from discord.ext import commands, tasks

from bot.core import i18n
from bot.core.errors import NO_MENTIONS
from bot.platform.config import RewardConfig
from bot.platform.deferred import Said, joined, said
from bot.platform.errors import NotAllowed
from bot.platform.i18n import N_
from bot.rewards import HeldRoles, role_problems
from cogs.rewards._commands import PerkCommands, RewardCommands
from cogs.rewards.dispatcher import Dispatcher, role_facts
from cogs.rewards.views import ApprovalButton

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0


def held_roles(member: discord.Member | None) -> HeldRoles | None:
    """What Discord says a member holds, for the rewards service (None: not in the guild)."""
    if member is None:
        return None
    return HeldRoles(member.id, member.pending, member.joined_at, frozenset(r.id for r in member.roles))


class Rewards(RewardCommands, PerkCommands, commands.Cog):
    def __init__(self, bot: Any) -> None:
        self.bot = bot
        self.svc = bot.app.rewards
        self.dispatcher = Dispatcher(bot)

    async def cog_load(self) -> None:
        self.svc.grants_written.connect(self.dispatcher.kick)
        self.bot.add_dynamic_items(ApprovalButton)
        sched = self.bot.scheduler
        sched.register("rewards.expire", self._on_expire)
        sched.register("rewards.demote", self._on_demote)
        sched.register("rewards.reconcile", self._on_reconcile)
        self.bot.add_flush_hook(self.dispatcher.stop)
        self.bot.add_sync_listener("member_join", self._on_member_join)
        self.bot.add_sync_listener("member_update", self._on_member_update)
        if self.bot.clock.is_fake:
            self.bot.clock.add_listener(self._on_clock_advance)  # tests and sandbox: time moves on demand
        else:
            self.poll.start()

    async def cog_unload(self) -> None:
        self.bot.remove_sync_listener("member_join", self._on_member_join)
        self.bot.remove_sync_listener("member_update", self._on_member_update)
        for event in ("rewards.expire", "rewards.demote", "rewards.reconcile"):
            self.bot.scheduler.unregister(event)
        if self.poll.is_running():
            self.poll.cancel()
        if self.bot.clock.is_fake:
            self.bot.clock.remove_listener(self._on_clock_advance)
        self.svc.grants_written.disconnect(self.dispatcher.kick)
        await self.dispatcher.stop()

    @tasks.loop(seconds=POLL_SECONDS)
    async def poll(self) -> None:
        """Pick up grants written by other processes and retries whose back-off ended (once the guilds are
        cached: before that a grant would be put off with "the server is not available yet")."""
        if self.bot.is_ready():
            self.dispatcher.kick()

    async def _on_clock_advance(self, _now: Any) -> None:
        self.dispatcher.kick()

    # ------------------------------------------------------------------ start-up
    @commands.Cog.listener()
    async def on_kudos_guild_ready(self, guild: discord.Guild) -> None:
        await self.sync_config(guild)
        every = self.bot.guild_config(guild.id).reward_delivery.reconcile_every_hours
        if every:
            await self._schedule_reconcile(guild.id, every)
        # a start or a full reconnect (not a RESUME): joins that happened while the bot was away were lost
        restored = await self.restore_rejoined(guild)
        if restored:
            log.info("guild %s: %d earned role(s) of members who rejoined while I was away go back", guild.id,
                     restored)
        self.dispatcher.kick()  # resume grants left pending (or claimed by a process that died)

    async def sync_config(self, guild: discord.Guild) -> None:
        cfg = self.bot.guild_config(guild.id)
        resolved: list[tuple[RewardConfig, list[str]]] = []
        for reward in cfg.rewards:
            reward, problems = self.resolve_roles(guild, reward)
            for problem in problems:
                log.error("reward rule %r in guild %s is disabled: %s", reward.name, guild.id, problem)
            resolved.append((reward, problems))
        await self.svc.sync_config(guild.id, resolved, list(cfg.perk_pools))

    def resolve_roles(self, guild: discord.Guild, reward: RewardConfig) -> tuple[RewardConfig, list[str]]:
        """Role names → ids, and the safety check of the reward role."""
        problems: list[str] = []

        def find(ref: int | str) -> int | str:
            if isinstance(ref, int):
                return ref
            role = discord.utils.get(guild.roles, name=ref)
            if role is None:
                problems.append(said(N_("role {role} does not exist in this server"), role=repr(ref)))
                return ref
            return role.id

        data = reward.model_dump(mode="python")
        if reward.role is not None:
            data["role"] = find(reward.role)
        conditions = data["conditions"]
        conditions["has_role"] = [find(r) for r in reward.conditions.has_role]
        conditions["lacks_role"] = [find(r) for r in reward.conditions.lacks_role]
        resolved = RewardConfig.model_validate(data, strict=False)
        if isinstance(resolved.role, int):
            problems += self.role_safety(guild, resolved.role)
        return resolved, problems

    def check_role(self, guild: discord.Guild, config: RewardConfig) -> None:
        """Refuse a staff-made rule whose role the bot can't hand out (``/rewards rule`` and the dashboard)."""
        if isinstance(config.role, int):
            problems = self.role_safety(guild, config.role)
            if problems:
                raise NotAllowed(N_("I can't hand out that role: {problems}."), problems=Said(joined("; ", problems)))

    def role_safety(self, guild: discord.Guild, role_id: int) -> list[str]:
        role = guild.get_role(role_id)
        me = guild.me
        return role_problems(role_facts(role) if role else None, bot_top_position=me.top_role.position,
                             bot_can_manage_roles=me.guild_permissions.manage_roles)

    # ------------------------------------------------------------------ timers
    async def _on_expire(self, payload: dict[str, Any], _timer: Any) -> None:
        await self.svc.expire_due(int(payload["grant_id"]))

    async def _on_demote(self, payload: dict[str, Any], _timer: Any) -> None:
        await self.svc.demote_due(int(payload["grant_id"]))

    async def _schedule_reconcile(self, guild_id: int, every_hours: int) -> None:
        now = self.bot.clock.now()
        slot = int(now.timestamp() // (every_hours * 3600)) + 1
        await self.bot.scheduler.schedule(
            "rewards.reconcile", {"guild_id": guild_id},
            at=now.fromtimestamp(slot * every_hours * 3600, tz=now.tzinfo),
            dedupe_key=f"rewards:reconcile:{guild_id}:{slot}",
        )

    async def _on_reconcile(self, payload: dict[str, Any], _timer: Any) -> None:
        guild_id = int(payload["guild_id"])
        guild = self.bot.get_guild(guild_id)
        if guild is not None:
            await self.reconcile(guild)
        every = self.bot.guild_config(guild_id).reward_delivery.reconcile_every_hours
        if every:
            await self._schedule_reconcile(guild_id, every)

    async def reconcile(self, guild: discord.Guild) -> list[str]:
        """Compare earned roles with members' roles; report drift, and re-add or accept it per config."""
        drift = await self.svc.reconcile(guild.id, lambda user_id: held_roles(guild.get_member(user_id)))
        self.dispatcher.kick()
        return drift

    # ------------------------------------------------------------------ rejoin after screening
    def _on_member_join(self, member: discord.Member) -> None:
        """Runs inline for every join: only a member past screening, where roles come back, goes further."""
        if not member.pending and self._restores(member.guild.id):
            self.bot.tasks.spawn(self.restore_roles(member), name="rewards-restore-roles")

    def _on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        """Runs inline for every member update (nicknames, roles…): only passing screening matters here."""
        if before.pending and not after.pending and self._restores(after.guild.id):
            self.bot.tasks.spawn(self.restore_roles(after), name="rewards-restore-roles")

    def _restores(self, guild_id: int) -> bool:
        return self.bot.guild_config(guild_id).reward_delivery.restore_on_rejoin

    async def restore_roles(self, member: discord.Member) -> None:
        held = held_roles(member)
        if held is not None and await self.svc.restore_roles(member.guild.id, held):
            self.dispatcher.kick()

    async def restore_rejoined(self, guild: discord.Guild) -> int:
        """Catch-up for rejoins whose gateway events were lost (see ``RewardsService.restore_rejoined``)."""
        restored = await self.svc.restore_rejoined(guild.id, lambda user_id: held_roles(guild.get_member(user_id)))
        for held in restored:  # the join Kudos missed, as on_member_join records it
            member = guild.get_member(held.user_id)
            await self.bot.app.privacy.member_joined(
                guild.id, held.user_id, display_name=member.display_name if member else None, joined_at=held.joined_at)
        return len(restored)

    # ------------------------------------------------------------------ closed DMs: tell them where possible
    @commands.Cog.listener()
    async def on_app_command_completion(self, interaction: discord.Interaction, command: Any) -> None:
        if interaction.guild_id is None or command.qualified_name == "perks mine":
            return
        waiting = await self.svc.unnotified(interaction.guild_id, interaction.user.id)
        if not waiting:
            return
        await self.svc.mark_notified(interaction.guild_id, interaction.user.id)
        try:
            tr = i18n.for_reader(interaction)
            await interaction.followup.send(
                tr("I couldn't DM you a reward (your DMs are closed). Your code is kept for you: use `/perks mine` "
                   "to see it."), ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.debug("could not tell %s about a waiting code", interaction.user.id)

    def later(self, days: float) -> Any:
        return self.bot.clock.now() + timedelta(days=days)


async def setup(bot: Any) -> None:
    cog = Rewards(bot)
    await bot.add_cog(cog)
    bot.effects.rewards = cog  # for the dashboard (bot.core.effects)


async def teardown(bot: Any) -> None:
    bot.effects.rewards = None
