"""``/beta``: beta programs announced in the community channel, joined with one click.

Thin: the rules (capacity, waitlist, eligibility, budget, close) live in :mod:`bot.betas`. This cog
turns interactions and timers into service calls and tells members what happened. What it posts and edits
on Discord (the announcement, its refresh after joins and leaves, the welcome of promoted members) goes out
through durable jobs the service writes with their cause: :mod:`cogs.betas.posts`.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.betas import (
    ANNOUNCE_EVENT,
    CLOSE_EVENT,
    NUDGE_EVENT,
    REFRESH_EVENT,
    REMIND_EVENT,
    THREAD_EVENT,
    WELCOME_EVENT,
    Beta,
    BetaDraft,
    Eligibility,
    MemberFacts,
    parse_when,
)
from bot.betas.polls import MAX_HOURS, POLL_EVENT
from bot.core import i18n
from bot.core.checks import require
from bot.core.effects import BetaCreated
from bot.core.errors import NO_MENTIONS
from bot.core.facts import role_facts
from bot.ledger.explain import ts
from bot.platform.deferred import Said, joined, render
from bot.platform.errors import InvalidInput, NotAllowed, NotFound
from bot.platform.i18n import N_
from bot.platform.jobs.keys import BetaRefresh
from bot.rewards import role_problems
from cogs.betas.polls import PollPosts
from cogs.betas.posts import NEEDED, Posts
from cogs.betas.ui import (
    DYNAMIC_ITEMS,
    DescriptionForm,
    JoinForm,
    MuteButton,
    announcement_embed,
    single,
    spots_text,
    status_label,
)

log = logging.getLogger(__name__)

TIMERS = (ANNOUNCE_EVENT, CLOSE_EVENT, REMIND_EVENT, NUDGE_EVENT, REFRESH_EVENT, WELCOME_EVENT, POLL_EVENT,
          THREAD_EVENT)


class Betas(PollPosts, Posts, commands.Cog):
    beta = app_commands.Group(name="beta", description="Beta programs: join, leave, and for staff run them",
                              guild_only=True)

    def __init__(self, bot: Any) -> None:
        self.bot = bot
        self.svc = bot.app.betas
        self._refresh_pending: set[int] = set()
        self._last_click: dict[int, float] = {}
        self.edits = 0  # announcement refreshes done (for diagnostics)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        sched = self.bot.scheduler
        sched.register(ANNOUNCE_EVENT, self._on_announce_timer)
        sched.register(CLOSE_EVENT, self._on_close_timer)
        sched.register(REMIND_EVENT, self._on_remind_timer)
        sched.register(NUDGE_EVENT, self._on_nudge_timer)
        sched.register(REFRESH_EVENT, self._on_refresh_job)
        sched.register(WELCOME_EVENT, self._on_welcome_job)
        sched.register(POLL_EVENT, self._on_poll_job)
        sched.register(THREAD_EVENT, self._on_thread_job)

    async def cog_unload(self) -> None:
        for event in TIMERS:
            self.bot.scheduler.unregister(event)
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    # ------------------------------------------------------------------ helpers

    async def _beta(self, guild_id: int, name: str) -> Beta:
        return await self.svc.by_name(guild_id, name)

    def _alumni_role(self, guild: discord.Guild | None) -> int | None:
        if guild is None:
            return None
        ref = self.bot.guild_config(guild.id).betas.alumni_role
        if ref is None:
            return None
        role = guild.get_role(ref) if isinstance(ref, int) else discord.utils.get(guild.roles, name=ref)
        if role is None:
            log.warning("betas.alumni_role %r does not exist in guild %s", ref, guild.id)
            return None
        return role.id

    def _check_channel(self, guild: discord.Guild, channel: Any) -> discord.TextChannel:
        if channel is None or not isinstance(channel, discord.TextChannel):
            raise InvalidInput(N_("The announcement channel doesn't exist (any more) or isn't a text or announcement "
                               "channel. Pick one with the `channel` option."))
        perms = channel.permissions_for(guild.me)
        missing = [p for p in NEEDED if not getattr(perms, p)]
        if missing:
            names = ", ".join(p.replace("_", " ").title() for p in missing)
            raise NotAllowed(N_("I'm missing **{names}** in {channel_mention}; a moderator can grant it to "
                                "my role there, then try again."),
                             names=names, channel_mention=channel.mention)
        return channel

    def _check_role(self, guild: discord.Guild, role_id: int | None) -> None:
        if role_id is None:
            return
        role = guild.get_role(role_id)
        me = guild.me
        problems = role_problems(role_facts(role) if role else None, bot_top_position=me.top_role.position,
                                 bot_can_manage_roles=me.guild_permissions.manage_roles)
        if problems:
            raise InvalidInput(N_("The cohort role can't be used: {problems}."), problems=Said(joined("; ", problems)))

    def _check_private(self, guild: discord.Guild, channel: Any, *, has_role: bool) -> discord.TextChannel:
        """The private beta channel: access comes with the cohort role (an overwrite on the channel), so it must
        be hidden from @everyone already and I must be able to set its permissions."""
        if not has_role:
            raise InvalidInput(N_("A private channel needs a cohort role: choose `cohort_role` or set "
                               "`create_cohort_role`."))
        if channel is None or not isinstance(channel, discord.TextChannel):
            raise InvalidInput(N_("The private channel doesn't exist (any more) or isn't a text channel."))
        if channel.permissions_for(guild.default_role).view_channel:
            raise InvalidInput(N_("{channel_mention} is visible to everyone; make it private first (deny "
                                  "View Channel to @everyone), then I give the cohort role access."),
                               channel_mention=channel.mention)
        perms = channel.permissions_for(guild.me)
        missing = [p for p in ("view_channel", "manage_roles", "send_messages", "read_message_history")
                   if not getattr(perms, p)]
        if missing:
            names = ", ".join(p.replace("_", " ").title().replace("Manage Roles", "Manage Permissions")
                              for p in missing)
            raise NotAllowed(N_("I'm missing **{names}** in {channel_mention}, so I can't open it to the "
                                "cohort role."),
                             names=names, channel_mention=channel.mention)
        return channel

    def _facts(self, interaction: discord.Interaction) -> MemberFacts:
        member = interaction.user
        roles = frozenset(r.id for r in getattr(member, "roles", []))
        return MemberFacts(member.id, roles, member.created_at)

    # ------------------------------------------------------------------ member buttons

    async def _answer(self, interaction: discord.Interaction, text: str, view: discord.ui.View | None = None) -> None:
        if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            # deferred with "thinking…": that reply becomes the answer
            await interaction.edit_original_response(content=text, view=view, allowed_mentions=NO_MENTIONS)
        elif view is not None:
            await interaction.response.send_message(text, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def click_join(self, interaction: discord.Interaction, beta_id: int, *, terms: bool | None = None) -> None:
        """``terms``: whether the beta has terms, as its Join button says (None: unknown, read it)."""
        assert interaction.guild_id is not None
        if terms is None:  # an older post's button: read the beta (no lock)
            terms = bool((await self.svc.get(interaction.guild_id, beta_id)).row.terms)
        if terms:
            beta, status = await self.svc.check_join(interaction.guild_id, beta_id, self._facts(interaction))
            if status is None and beta.row.terms:  # the join form: the terms, and the box that accepts them
                await interaction.response.send_modal(JoinForm(beta, i18n.for_reader(interaction)))
                return
        # A launch draws a crowd: joins queue on the beta's lock, so answer within Discord's 3 s first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self._join(interaction, beta_id, terms_accepted=False)

    async def submit_join(self, interaction: discord.Interaction, beta_id: int, accepted: bool) -> None:
        """The join form: joining is refused unless its terms box is ticked."""
        assert interaction.guild_id is not None
        if not accepted:
            beta = await self.svc.get(interaction.guild_id, beta_id)
            tr = i18n.for_reader(interaction)
            raise NotAllowed(tr("You didn't tick \"{box}\", so you haven't joined **{name}**. Click Join again and "
                                "tick the box to accept its terms.", box=tr("I accept the terms"),
                                name=beta.row.name))
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self._join(interaction, beta_id, terms_accepted=True)

    async def accept_terms(self, interaction: discord.Interaction, beta_id: int) -> None:
        """The **Accept and join** button of earlier versions' terms confirm (still answered on old messages)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self._join(interaction, beta_id, terms_accepted=True)

    async def _join(self, interaction: discord.Interaction, beta_id: int, *, terms_accepted: bool) -> None:
        assert interaction.guild_id is not None
        result = await self.svc.join(interaction.guild_id, beta_id, self._facts(interaction),
                                     terms_accepted=terms_accepted)
        tr = i18n.for_reader(interaction)
        await self._answer(interaction, result.message(tr),
                           single(MuteButton(beta_id, tr=tr)) if result.status == "joined" else None)
        if result.changed:
            self.refresh_soon(interaction.guild_id, beta_id)

    async def click_leave(self, interaction: discord.Interaction, beta_id: int) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.svc.leave(interaction.guild_id, beta_id, interaction.user.id)
        await self._answer(interaction, result.message(i18n.for_reader(interaction)))
        self.refresh_soon(interaction.guild_id, beta_id)
        if result.promoted:  # their welcome in the thread is due now
            self.bot.tasks.spawn(self.bot.scheduler.run_due(), name=f"beta-welcome:{beta_id}")

    async def mute(self, interaction: discord.Interaction, beta_id: int) -> None:
        assert interaction.guild_id is not None
        beta = await self.svc.set_reminders(interaction.guild_id, beta_id, interaction.user.id, False)
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(tr("No more reminders about **{name}**.", name=beta.row.name),
                                                ephemeral=True, allowed_mentions=NO_MENTIONS)

    # ------------------------------------------------------------------ autocomplete

    async def _names(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        return [app_commands.Choice(name=n, value=n) for n in await self.svc.names(interaction.guild_id, current)]

    async def _stages(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        ladder = self.bot.app.ledger_policy(interaction.guild_id).ladder
        return [app_commands.Choice(name=s.name, value=s.name) for s in ladder
                if current.lower() in s.name.lower()][:25]

    # ------------------------------------------------------------------ staff commands

    @beta.command(name="create", description="Create a beta and announce it (a form asks for the description)")
    @app_commands.describe(
        name="The beta's name", capacity="How many members can join (empty: no limit)",
        waitlist="Keep a waitlist once full (default on)", min_points="Eligibility: minimum points",
        role="Eligibility: members with this role", stage="Eligibility: this ladder stage or above",
        account_age_days="Eligibility: minimum Discord account age in days",
        incentive='What participants get, in a sentence (e.g. "Upload 500 MB of photos, get 500 MB free")',
        starts="When to announce: empty = now, a date (2026-03-01), a time (2026-03-01T18:00, UTC) or 3d",
        ends="When it closes: a date, a time or a duration like 14d", channel="Announcement channel",
        feedback_forum="Forum for the beta's feedback (default: the feedback forum)",
        cohort_role="Role given to participants", create_cohort_role="Create a cohort role named after the beta",
        terms="Terms members must accept to join",
        private_channel="A private channel the cohort role opens (I give the role access to it)",
    )
    @app_commands.autocomplete(stage=_stages)
    @require("staff")
    async def create(
        self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100],
        capacity: int | None = None, waitlist: bool = True, min_points: app_commands.Range[int, 0] = 0,
        role: discord.Role | None = None, stage: str | None = None,
        account_age_days: app_commands.Range[int, 0] = 0, incentive: str | None = None, starts: str | None = None,
        ends: str | None = None, channel: discord.TextChannel | None = None,
        feedback_forum: discord.ForumChannel | None = None, cohort_role: discord.Role | None = None,
        create_cohort_role: bool = False, terms: str | None = None,
        private_channel: discord.TextChannel | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        draft = await self.prepare_create(
            guild, name=name, capacity=capacity, waitlist=waitlist, min_points=min_points,
            role_id=role.id if role else None, stage=stage, account_age_days=account_age_days, incentive=incentive,
            starts=starts, ends=ends, channel=channel, feedback_forum_id=feedback_forum.id if feedback_forum else None,
            cohort_role_id=cohort_role.id if cohort_role else None, create_cohort_role=create_cohort_role,
            terms=terms, private_channel=private_channel)
        await interaction.response.send_modal(DescriptionForm({"draft": draft, "create_role": create_cohort_role}))

    async def prepare_create(
        self, guild: discord.Guild, *, name: str, capacity: int | None = None, waitlist: bool = True,
        min_points: int = 0, role_id: int | None = None, stage: str | None = None, account_age_days: int = 0,
        incentive: str | None = None, starts: str | None = None, ends: str | None = None, channel: Any = None,
        feedback_forum_id: int | None = None, cohort_role_id: int | None = None, create_cohort_role: bool = False,
        terms: str | None = None, private_channel: Any = None, description: str = "",
    ) -> BetaDraft:
        """Check what ``/beta create`` was given and make the draft (shared with the web dashboard): the
        channel (default: the announcements channel) and my permissions there, the cohort role, the private
        channel, the service's rules and the announcement budget. Writes nothing."""
        now = self.bot.clock.now()
        if cohort_role_id is not None and create_cohort_role:
            raise InvalidInput(N_("Choose an existing cohort role *or* create_cohort_role, not both."))
        if channel is None:
            channel_id = self.bot.settings(guild.id).channel("announcements")
            channel = guild.get_channel(channel_id) if channel_id else None
        target = self._check_channel(guild, channel)
        self._check_role(guild, cohort_role_id)
        if create_cohort_role and not guild.me.guild_permissions.manage_roles:
            raise NotAllowed(N_("I need the **Manage Roles** permission to create a cohort role."))
        if private_channel is not None:
            self._check_private(guild, private_channel, has_role=cohort_role_id is not None or create_cohort_role)
        draft = BetaDraft(
            name=name, description=description, incentive=incentive or "", terms=terms or "", capacity=capacity,
            waitlist=waitlist, eligibility=Eligibility(min_points, role_id, stage or None, account_age_days),
            starts_at=parse_when(starts, now, what="start date (option `starts`)"),
            ends_at=parse_when(ends, now, what="end date (option `ends`)"),
            channel_id=target.id, feedback_forum_id=feedback_forum_id, cohort_role_id=cohort_role_id,
            private_channel_id=private_channel.id if private_channel else None,
        )
        draft = await self.svc.check_new(guild.id, draft)
        await self.svc.check_budget(guild.id, target.id, draft.starts_at)  # before asking for more typing
        return draft

    async def finish_create(self, interaction: discord.Interaction, pending: dict[str, Any], description: str) -> None:
        guild = interaction.guild
        assert guild is not None
        draft: BetaDraft = pending["draft"]
        draft = BetaDraft(**{**{s: getattr(draft, s) for s in BetaDraft.__slots__}, "description": description})

        async def defer() -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)

        made = await self.create_now(guild, draft, actor_id=interaction.user.id,
                                     create_role=bool(pending.get("create_role")), before_write=defer)
        channel = made.channel
        tr = i18n.for_reader(interaction)
        if made.scheduled_at is not None:
            text = tr("Beta **{name}** is created; its announcement goes out in {channel} {when} ({relative}).",
                      name=draft.name, channel=channel.mention, when=ts(made.scheduled_at),
                      relative=ts(made.scheduled_at, "R"))
        elif made.waiting is not None:
            text = tr("Beta **{name}** is created. {waiting}", name=draft.name, waiting=render(tr, made.waiting))
        else:
            text = tr("Beta **{name}** is announced in {channel}.", name=draft.name, channel=channel.mention)
        if made.cohort_role is not None:
            text += " " + tr("Cohort role: {role}.", role=made.cohort_role.mention)
        if made.private_channel is not None:
            text += " " + tr("Participants get {channel} with the cohort role.", channel=made.private_channel.mention)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def create_now(self, guild: discord.Guild, draft: BetaDraft, *, actor_id: int, create_role: bool = False,
                         before_write: Callable[[], Awaitable[None]] | None = None) -> BetaCreated:
        """Create a checked draft as ``/beta create`` does (shared with the web dashboard): the cohort role if
        asked, the beta, the private channel's access, the announcement's slot, and its post (now, or a durable
        job at ``starts_at``). Anything failing undoes what was made."""
        draft = await self.svc.check_new(guild.id, draft)
        channel = self._check_channel(guild, guild.get_channel(draft.channel_id or 0))
        if draft.cohort_role_id is not None and guild.get_role(draft.cohort_role_id) is None:
            raise NotFound(N_("The cohort role was deleted meanwhile; run `/beta create` again with another role."))
        private = None
        if draft.private_channel_id is not None:
            private = self._check_private(guild, guild.get_channel(draft.private_channel_id), has_role=True)
        if before_write is not None:
            await before_write()
        created_role: discord.Role | None = None
        opened: discord.Role | None = None
        if create_role:
            created_role = await guild.create_role(name=f"{draft.name} Beta"[:100], mentionable=False,
                                                   reason=f"Kudos: cohort role of the {draft.name} beta")
            draft = BetaDraft(**{**{s: getattr(draft, s) for s in BetaDraft.__slots__},
                                 "cohort_role_id": created_role.id})
        beta = None
        try:
            beta = await self.svc.create(guild.id, actor_id, draft)
            if private is not None and draft.cohort_role_id is not None:
                opened = guild.get_role(draft.cohort_role_id)
                await private.set_permissions(opened, view_channel=True, send_messages=True,  # type: ignore[arg-type]
                                              read_message_history=True,
                                              reason=f"Kudos: participants of the {draft.name} beta")
            slot = await self.svc.reserve_slot(guild.id, channel.id, subject="beta", subject_id=beta.id,
                                               actor_id=actor_id, at=draft.starts_at)
            waiting = None if slot.scheduled else await self._post_now(slot.announcement_id)
        except Exception:
            if beta is not None:
                await self.svc.discard(guild.id, beta.id)
            if opened is not None and private is not None:
                await private.set_permissions(opened, overwrite=None, reason="Kudos: the beta was not created")
            if created_role is not None:
                await created_role.delete(reason="Kudos: the beta was not created")
            raise
        return BetaCreated(beta.id, channel, slot.at if slot.scheduled else None, waiting, created_role, private)

    @beta.command(name="edit", description="Change a beta's details (staff)")
    @app_commands.describe(name="The beta", new_name="A new name", capacity="New capacity",
                           incentive="New incentive", ends="New end date or duration", terms="New terms",
                           description="New description", waitlist="Waitlist on or off")
    @app_commands.autocomplete(name=_names)
    @require("staff")
    async def edit(self, interaction: discord.Interaction, name: str, new_name: str | None = None,
                   capacity: int | None = None, incentive: str | None = None, ends: str | None = None,
                   terms: str | None = None, description: str | None = None, waitlist: bool | None = None) -> None:
        assert interaction.guild_id is not None
        beta = await self._beta(interaction.guild_id, name)
        ends_at = parse_when(ends, self.bot.clock.now(), what="end date (option `ends`)")
        beta, promoted = await self.svc.edit(interaction.guild_id, beta.id, interaction.user.id, name=new_name,
                                             capacity=capacity, incentive=incentive, ends_at=ends_at, terms=terms,
                                             description=description, waitlist=waitlist)
        tr = i18n.for_reader(interaction)
        text = tr("Updated **{name}**.", name=beta.row.name)
        if promoted:
            text += " " + tr.ngettext("{count} moved in from the waitlist.", "{count} moved in from the waitlist.",
                                      len(promoted))
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        await self.refresh(interaction.guild_id, beta.id)  # runs the welcome of the promoted too

    @beta.command(name="open", description="Announce a beta now (staff)")
    @app_commands.autocomplete(name=_names)
    @require("staff")
    async def open_(self, interaction: discord.Interaction, name: str,
                    channel: discord.TextChannel | None = None) -> None:
        guild = interaction.guild
        assert guild is not None
        beta = await self._beta(guild.id, name)

        async def defer() -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)

        target = await self.announce_now(guild, beta, actor_id=interaction.user.id, channel=channel,
                                         before_post=defer)
        current = await self.svc.get(guild.id, beta.id)
        tr = i18n.for_reader(interaction)
        if current.row.announcement_message_id:
            text = tr("**{name}** is announced in {channel}.", name=beta.row.name, channel=target.mention)
        else:
            text = tr("Discord isn't answering right now; **{name}** is announced in {channel} as soon as it does.",
                      name=beta.row.name, channel=target.mention)
        await interaction.followup.send(text, ephemeral=True,
                                        allowed_mentions=NO_MENTIONS)

    async def announce_now(self, guild: discord.Guild, beta: Beta, *, actor_id: int,
                           channel: discord.TextChannel | None = None,
                           before_post: Callable[[], Awaitable[None]] | None = None) -> discord.TextChannel:
        """Open a beta now, as ``/beta open`` does (shared with the web dashboard): reserve an announcement slot
        in the channel, then post the announcement. Returns the channel."""
        target = self._check_channel(guild, channel or guild.get_channel(beta.row.announcement_channel_id or 0))
        await self.svc.unschedule(guild.id, beta.id)
        slot = await self.svc.reserve_slot(guild.id, target.id, subject="beta", subject_id=beta.id,
                                           actor_id=actor_id)
        if before_post is not None:
            await before_post()
        await self._post_now(slot.announcement_id)
        return target

    @beta.command(name="close", description="Close a beta: thank-yous, roles, staff summary (staff)")
    @app_commands.autocomplete(name=_names)
    @require("staff")
    async def close(self, interaction: discord.Interaction, name: str) -> None:
        assert interaction.guild is not None
        beta = await self._beta(interaction.guild.id, name)
        result = await self.close_now(interaction.guild, beta, actor_id=interaction.user.id)
        tr = i18n.for_reader(interaction)
        text = tr("Closed **{name}**.", name=beta.row.name) + " " + tr.ngettext(
            "{count} participant gets a thank-you.", "{count} participants get a thank-you.",
            len(result.participants))
        if result.waitlisted:
            text += " " + tr.ngettext("{count} member on the waitlist hears that it closed.",
                                      "{count} members on the waitlist hear that it closed.", len(result.waitlisted))
        text += " " + tr("The summary is in the staff log.")
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        await self.refresh(interaction.guild.id, beta.id)

    async def close_now(self, guild: discord.Guild, beta: Beta, *, actor_id: int) -> Any:
        """Close a beta as ``/beta close`` does (shared with the web dashboard): thank-yous, alumni role and
        the staff summary go out through the service's grants and notices. The caller refreshes the
        announcement (the slash command answers first)."""
        return await self.svc.close(guild.id, beta.id, actor_id=actor_id, alumni_role_id=self._alumni_role(guild))

    @beta.command(name="poll", description="Ask the beta's cohort a quick question with a Discord poll (staff)")
    @app_commands.describe(beta="The beta", question="The question (at most 300 characters)",
                           answers="The answers, separated by ; (2 to 10, each at most 55 characters)",
                           hours="How long the poll runs, in hours (default 24, at most 768)")
    @app_commands.autocomplete(beta=_names)
    @require("staff")
    async def poll(self, interaction: discord.Interaction, beta: str, question: app_commands.Range[str, 1, 300],
                   answers: str, hours: app_commands.Range[int, 1, MAX_HOURS] = 24) -> None:
        assert interaction.guild_id is not None
        found = await self._beta(interaction.guild_id, beta)
        await self.start_poll(interaction, found.id, question, answers, hours)

    @beta.command(name="list", description="All betas with their status (staff)")
    @require("staff")
    async def list_(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        betas = await self.svc.all(interaction.guild_id)
        tr = i18n.for_reader(interaction)
        if not betas:
            await interaction.response.send_message(tr("No betas yet: `/beta create` starts one."), ephemeral=True)
            return
        lines = [f"**{b.row.name}** · {status_label(b.row.status, tr)} · {spots_text(b, tr)}"
                 + (" · " + tr("ends {when}", when=ts(b.row.ends_at, "R"))
                    if b.row.ends_at and b.row.status != "closed" else "")
                 for b in betas[-25:]]
        await interaction.response.send_message("\n".join(lines)[:1900], ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @beta.command(name="info", description="A beta's details and numbers")
    @app_commands.autocomplete(name=_names)
    async def info(self, interaction: discord.Interaction, name: str) -> None:
        assert interaction.guild_id is not None
        beta = await self._beta(interaction.guild_id, name)
        tr = i18n.for_reader(interaction)
        embed = announcement_embed(beta, tr)
        embed.add_field(name=tr("Numbers"), value=" · ".join((
            tr("status {status}", status=status_label(beta.row.status, tr)),
            tr.ngettext("{count} in", "{count} in", beta.joined),
            tr.ngettext("{count} waiting", "{count} waiting", beta.waitlisted),
            tr.ngettext("{count} left", "{count} left", beta.left))), inline=False)
        if beta.row.announcement_message_id and beta.row.announcement_channel_id:
            embed.url = (f"https://discord.com/channels/{interaction.guild_id}/{beta.row.announcement_channel_id}/"
                         f"{beta.row.announcement_message_id}")
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @beta.command(name="participants", description="Who is in a beta, and the waitlist in order (staff)")
    @app_commands.autocomplete(name=_names)
    @require("staff")
    async def participants(self, interaction: discord.Interaction, name: str) -> None:
        assert interaction.guild_id is not None
        beta = await self._beta(interaction.guild_id, name)
        people = await self.svc.participants(interaction.guild_id, beta.id)
        joined = [p for p in people if p.status == "joined"]
        waiting = [p for p in people if p.status == "waitlisted"]
        tr = i18n.for_reader(interaction)
        waiting_text = tr.ngettext("{count} waiting", "{count} waiting", len(waiting))
        if beta.row.capacity:
            head = tr.ngettext("**{name}**: {joined} in of {count}, {waiting}",
                               "**{name}**: {joined} in of {count}, {waiting}", beta.row.capacity,
                               name=beta.row.name, joined=tr.number(len(joined)), waiting=waiting_text)
        else:
            head = tr.ngettext("**{name}**: {count} in, {waiting}", "**{name}**: {count} in, {waiting}", len(joined),
                               name=beta.row.name, waiting=waiting_text)
        lines = [head]
        for p in joined[:40]:
            since = tr("• {member} since {date}", member=f"<@{p.user_id}>", date=ts(p.joined_at, "d"))
            lines.append(since + (" · " + tr.ngettext("{count} feedback", "{count} feedback", p.feedback)
                                  if p.feedback else ""))
        if waiting:
            lines.append(tr("Waitlist: {members}", members=", ".join(
                f"{tr.number(i)}. <@{p.user_id}>" for i, p in enumerate(waiting[:40], 1))))
        if len(joined) > 40 or len(waiting) > 40:
            lines.append(tr("…and more: `/beta export` has everyone."))
        await interaction.response.send_message("\n".join(lines)[:1950], ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @beta.command(name="export", description="Participants of a beta as a CSV file (staff)")
    @app_commands.autocomplete(name=_names)
    @require("staff")
    async def export(self, interaction: discord.Interaction, name: str) -> None:
        guild = interaction.guild
        assert guild is not None
        beta = await self._beta(guild.id, name)
        people = await self.svc.participants(guild.id, beta.id)
        names = {p.user_id: m.display_name for p in people if (m := guild.get_member(p.user_id)) is not None}
        data = await self.svc.export_csv(guild.id, beta.id, names)
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(
            tr.ngettext("{count} row for **{name}**.", "{count} rows for **{name}**.", len(people), name=beta.row.name),
            ephemeral=True, allowed_mentions=NO_MENTIONS,
            file=discord.File(io.BytesIO(data), filename=self.svc.export_filename(beta.row.name)))

    @beta.command(name="mute", description="Stop reminders about a beta you're in")
    @app_commands.autocomplete(name=_names)
    async def mute_cmd(self, interaction: discord.Interaction, name: str) -> None:
        assert interaction.guild_id is not None
        beta = await self._beta(interaction.guild_id, name)
        await self.mute(interaction, beta.id)

    # ------------------------------------------------------------------ timers

    async def _on_close_timer(self, payload: dict[str, Any], _timer: Any) -> None:
        beta_id = int(payload["beta_id"])
        beta = await self.svc.by_id(beta_id)
        if beta is None:
            return
        result = await self.svc.close_due(beta_id, alumni_role_id=self._alumni_role(
            self.bot.get_guild(beta.row.guild_id)))
        if result is not None:  # its edit job is part of this pass: due now, not a run of its own
            await self.bot.scheduler.expedite(BetaRefresh(beta_id))

    async def _on_remind_timer(self, payload: dict[str, Any], _timer: Any) -> None:
        await self.svc.remind(int(payload["beta_id"]), payload.get("ends_at"))

    async def _on_nudge_timer(self, payload: dict[str, Any], _timer: Any) -> None:
        await self.svc.nudge(int(payload["beta_id"]), int(payload["user_id"]))


# Forums only: discord.py would also offer media channels (type 16), which Discord's published spec for
# command options does not list yet.
Betas.create._params["feedback_forum"].channel_types = [discord.ChannelType.forum]
