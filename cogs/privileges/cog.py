"""``/privileges``, ``/privilege pin|revoke|unpin``, and the privileges' jobs (DMs, roles, the daily sweep).

A DM job's failure is classified by :mod:`bot.platform.jobs.effects`: 429, 5xx and no answer are retried;
closed DMs end the job with an audit line (``/profile`` shows the member's powers anyway). A retried DM first
looks for its own text among the bot's recent DMs and is not sent twice. The role job brings the role in line
with what the member holds *when it runs*, so jobs that ran late or twice never leave a stale role.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.checks import require
from bot.core.effect_errors import outcome
from bot.core.errors import NO_MENTIONS
from bot.platform import markdown
from bot.platform.errors import InvalidInput
from bot.platform.i18n import N_
from bot.platform.jobs.effects import Action, Drop, GiveUp, Retry
from bot.privileges.jobs import DAILY_EVENT, NOTICE_EVENT, ROLE_EVENT

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)

HISTORY = 25
PrivilegeName = Literal["mark_solution", "tag_feedback", "feature_post", "propose_merge", "review_first_posts",
                        "approve_guides"]
_PIN_TEXT = {"pin": "pinned: held whatever the window says", "revoke": "revoked: not held until unpinned",
             "unpin": "unpinned: judged over the window again"}


def _guild(interaction: discord.Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise InvalidInput(N_("This only works inside a server."))
    return interaction.guild


class Privileges(commands.Cog):
    privilege = app_commands.Group(name="privilege", description="Moderators: pin or revoke a member's privilege",
                                   guild_only=True)

    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.scheduler.register(NOTICE_EVENT, self.notice_job)
        self.bot.scheduler.register(ROLE_EVENT, self.role_job)
        self.bot.scheduler.register(DAILY_EVENT, self.daily_job)

    async def cog_unload(self) -> None:
        for event in (NOTICE_EVENT, ROLE_EVENT, DAILY_EVENT):
            self.bot.scheduler.unregister(event)

    @commands.Cog.listener()
    async def on_kudos_guild_ready(self, guild: discord.Guild) -> None:
        await self.bot.app.privileges.schedule_daily(guild.id)

    # ------------------------------------------------------------------ commands

    @app_commands.command(name="privileges", description="The powers members earn here, and what each needs")
    @app_commands.guild_only()
    async def privileges(self, interaction: discord.Interaction) -> None:
        guild = _guild(interaction)
        svc = self.bot.app.privileges
        policy = svc.policy_for(guild.id)
        rows = await svc.listing(guild.id)
        if not policy.enabled or not rows:
            text = "Earned privileges are off in this server."
        else:
            lines = [f"**{r.rule.title}** — {r.rule.does}.\n-# Needs {r.requirement}; kept down to "
                     f"{r.keep_points} points · {r.holders} member{'s' if r.holders != 1 else ''} hold it"
                     for r in rows]
            text = ("Privileges are judged over a rolling window: earn the points, keep them up, and they stay.\n\n"
                    + "\n".join(lines))
        embed = discord.Embed(title="Privileges", description=text[:4000], colour=discord.Colour.teal())
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _set(self, interaction: discord.Interaction, member: discord.User, privilege: str, mode: str,
                   reason: str) -> None:
        guild = _guild(interaction)
        if member.bot:
            raise InvalidInput(N_("Bots don't hold privileges."))
        held = await self.bot.app.privileges.set_pin(guild.id, member.id, privilege, mode,  # type: ignore[arg-type]
                                                     actor_id=interaction.user.id, reason=reason)
        await interaction.response.send_message(
            f"{markdown.inline(member.display_name)}: **{privilege}** {_PIN_TEXT[mode]}. "
            f"They {'hold' if held else 'do not hold'} it now. (In the audit log.)",
            ephemeral=True, allowed_mentions=NO_MENTIONS)
        self.bot.tasks.spawn(self.bot.scheduler.run_due(), name="privilege-jobs")

    @privilege.command(name="pin", description="Keep a privilege for a member whatever the window says")
    @app_commands.describe(member="Whose privilege", privilege="Which one", reason="Why (audit log and their DM)")
    @require("moderator")
    async def pin(self, interaction: discord.Interaction, member: discord.User, privilege: PrivilegeName,
                  reason: app_commands.Range[str, 1, 300]) -> None:
        await self._set(interaction, member, privilege, "pin", reason)

    @privilege.command(name="revoke", description="Take a privilege away from a member until it is unpinned")
    @app_commands.describe(member="Whose privilege", privilege="Which one", reason="Why (audit log and their DM)")
    @require("moderator")
    async def revoke(self, interaction: discord.Interaction, member: discord.User, privilege: PrivilegeName,
                     reason: app_commands.Range[str, 1, 300]) -> None:
        await self._set(interaction, member, privilege, "revoke", reason)

    @privilege.command(name="unpin", description="Judge a member's privilege over the window again")
    @app_commands.describe(member="Whose privilege", privilege="Which one", reason="Why (audit log)")
    @require("moderator")
    async def unpin(self, interaction: discord.Interaction, member: discord.User, privilege: PrivilegeName,
                    reason: app_commands.Range[str, 1, 300]) -> None:
        await self._set(interaction, member, privilege, "unpin", reason)

    # ------------------------------------------------------------------ jobs

    async def daily_job(self, payload: dict[str, Any], timer: Any) -> None:
        guild_id = int(payload["guild_id"])
        try:
            changed = await self.bot.app.privileges.sweep(guild_id)
            log.info("privileges re-judged in guild %s: %d change(s)", guild_id, changed)
        finally:
            await self.bot.app.privileges.schedule_daily(guild_id, after=max(timer.due_at, self.bot.clock.now()))
        self.bot.tasks.spawn(self.bot.scheduler.run_due(), name="privilege-jobs")

    async def notice_job(self, payload: dict[str, Any], timer: Any) -> None:
        """DM a member that they gained or lost a privilege (the text as of the move)."""
        guild_id, user_id = int(payload["guild_id"]), int(payload["user_id"])
        guild = self.bot.get_guild(guild_id)
        if guild is None:  # jobs due at start run before the gateway has sent the guilds
            raise Retry(f"guild {guild_id} is not available (yet)")
        text = f"{payload['text']}\n-# {guild.name} · /privileges lists every privilege"[:2000]
        what = f"DM member {user_id} about privilege {payload['privilege']}"
        try:
            channel = await self.bot.create_dm(discord.Object(user_id))
            if getattr(timer, "attempts", 1) > 1 and self.bot.user is not None:
                async for old in channel.history(limit=HISTORY):
                    if old.author.id == self.bot.user.id and old.content == text:
                        return
            await channel.send(text, allowed_mentions=NO_MENTIONS)
        except Exception as exc:  # noqa: BLE001 - classified; no Discord failure (a bug) is re-raised
            action, failure = outcome(exc)
            if action is Action.RETRY:
                raise Retry(what, failure) from exc
            if action in (Action.FALLBACK, Action.DROP):
                raise Drop(f"{what}: they can't get DMs from the bot (their powers are in /profile)", failure) from exc
            raise GiveUp(what, failure) from exc

    async def role_job(self, payload: dict[str, Any], _timer: Any) -> None:
        """Give or take the privilege's role, as the member holds the privilege now."""
        guild_id, user_id, name = int(payload["guild_id"]), int(payload["user_id"]), str(payload["privilege"])
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise Retry(f"guild {guild_id} is not available (yet)")
        ref = payload["role"]
        role = guild.get_role(ref) if isinstance(ref, int) else discord.utils.get(guild.roles, name=ref)
        if role is None:
            raise Drop(f"privilege {name}: there is no role {ref!r} in the server")
        held = await self.bot.app.privileges.holds(guild_id, user_id, name)
        what = f"{'give' if held else 'take'} the role of privilege {name} for member {user_id}"
        try:
            member = guild.get_member(user_id) or await guild.fetch_member(user_id)
            has = any(r.id == role.id for r in member.roles)
            if held and not has:
                await member.add_roles(role, reason=f"Kudos: earned the {name} privilege")
            elif not held and has:
                await member.remove_roles(role, reason=f"Kudos: the {name} privilege was lost")
        except Exception as exc:  # noqa: BLE001 - classified; no Discord failure (a bug) is re-raised
            action, failure = outcome(exc)
            if action is Action.RETRY:
                raise Retry(what, failure) from exc
            if action in (Action.DROP, Action.FALLBACK):
                raise Drop(what, failure) from exc
            raise GiveUp(what, failure) from exc
