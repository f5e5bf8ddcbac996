"""``/rewards`` (rules, preview, sync, history, retry) and ``/perks`` (pools, codes, mine, void, reissue)."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands

from bot.core import i18n
from bot.core.checks import require
from bot.core.errors import NO_MENTIONS, KudosView
from bot.platform.config import RewardConfig
from bot.platform.errors import InvalidInput, NotAllowed
from bot.platform.i18n import N_, Translator, translator
from bot.rewards.codes import check_upload, mask_code, problem_lines
from bot.rewards.delivery_errors import delivery_error
from bot.rewards.editing import TRIGGER_HELP, build_rule

# A grant's action and status as /rewards history names them.
ACTIONS = {"role_add": N_("role {role}"), "role_remove": N_("removal of {role}"), "perk": N_("code from {pool}"),
           "dm": N_("DM")}
STATUSES = {"pending": N_("pending"), "delivering": N_("delivering"), "delivered": N_("delivered"),
            "failed": N_("failed"), "revoked": N_("revoked")}


class SyncConfirm(KudosView):
    required_level = "staff"  # Apply checks the role again when pressed

    def __init__(self, cog: Any, rule: str, actor_id: int, tr: Translator | None = None) -> None:
        super().__init__(timeout=600)
        self.cog = cog
        self.rule = rule
        self.actor_id = actor_id
        tr = tr or translator()  # the buttons speak the language of the staff member who asked
        self.apply.label = tr("Apply")
        self.cancel.label = tr("Cancel")

    @discord.ui.button(label="Apply", style=discord.ButtonStyle.success)
    async def apply(self, interaction: discord.Interaction, _button: discord.ui.Button[Any]) -> None:
        if interaction.user.id != self.actor_id:
            raise NotAllowed(N_("Only the staff member who asked for this preview can confirm it."))
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        count = await self.cog.svc.apply_sync(interaction.guild_id, self.rule, actor_id=interaction.user.id)
        self.stop()
        tr = i18n.for_reader(interaction)
        await interaction.followup.send(
            tr.ngettext("Applied **{rule}**: {count} member will get it (delivery is under way).",
                        "Applied **{rule}**: {count} members will get it (delivery is under way).", count,
                        rule=self.rule), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _button: discord.ui.Button[Any]) -> None:
        self.stop()
        tr = i18n.for_reader(interaction)
        await interaction.response.edit_message(content=tr("Nothing applied."), view=None)


class RewardCommands:
    rewards = app_commands.Group(name="rewards", description="Reward rules and their grants", guild_only=True)
    rule_group = app_commands.Group(name="rule", description="Reward rules", parent=rewards)
    svc: Any
    bot: Any

    async def _rule_from_options(self, interaction: discord.Interaction, base: dict[str, Any],
                                 options: dict[str, Any]) -> RewardConfig:
        assert interaction.guild is not None
        ids = {k: ([v.id] if k in ("has_role", "lacks_role") else v.id) if isinstance(v, discord.Role) else v
               for k, v in options.items()}
        config = build_rule(base, ids)
        await self.svc.check_rule(interaction.guild.id, config)
        self.check_role(interaction.guild, config)  # type: ignore[attr-defined]
        return config

    @rule_group.command(name="add", description="Add a reward rule")
    @app_commands.describe(trigger=TRIGGER_HELP, dm="DM template; {code} is the perk code")
    @require("staff")
    async def rule_add(
        self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100], trigger: str,
        role: discord.Role | None = None, role_duration_days: app_commands.Range[int, 0] | None = None,
        perk_pool: str | None = None, dm: str | None = None, bonus_points: app_commands.Range[int, 0] | None = None,
        repeatable: bool | None = None, cooldown_days: app_commands.Range[int, 0] | None = None,
        min_account_age_days: app_commands.Range[int, 0] | None = None,
        min_membership_days: app_commands.Range[int, 0] | None = None, has_role: discord.Role | None = None,
        lacks_role: discord.Role | None = None, demote: bool | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        options = dict(trigger=trigger, role=role, role_duration_days=role_duration_days, perk_pool=perk_pool,
                       dm=dm, bonus_points=bonus_points, repeatable=repeatable, cooldown_days=cooldown_days,
                       min_account_age_days=min_account_age_days, min_membership_days=min_membership_days,
                       has_role=has_role, lacks_role=lacks_role, demote=demote)
        config = await self._rule_from_options(interaction, {"name": name}, options)
        rule = await self.svc.save_rule(interaction.guild_id, config, actor_id=interaction.user.id, must_be_new=True)
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(
            tr("Added {rule}\nIt applies from now on; `/rewards sync {name}` applies it to members who already "
               "qualify.", rule=rule.describe(tr), name=name), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @rule_group.command(name="edit", description="Change a reward rule (only the options you give)")
    @app_commands.describe(trigger=TRIGGER_HELP)
    @require("staff")
    async def rule_edit(
        self, interaction: discord.Interaction, name: str, trigger: str | None = None,
        role: discord.Role | None = None, role_duration_days: app_commands.Range[int, 0] | None = None,
        perk_pool: str | None = None, dm: str | None = None, bonus_points: app_commands.Range[int, 0] | None = None,
        repeatable: bool | None = None, cooldown_days: app_commands.Range[int, 0] | None = None,
        min_account_age_days: app_commands.Range[int, 0] | None = None,
        min_membership_days: app_commands.Range[int, 0] | None = None, has_role: discord.Role | None = None,
        lacks_role: discord.Role | None = None, demote: bool | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        current = await self.svc.rule(interaction.guild_id, name)
        if current.origin == "config":
            raise NotAllowed(N_("Rule {name} comes from the config file; change it there."),
                             name=repr(name))
        options = dict(trigger=trigger, role=role, role_duration_days=role_duration_days, perk_pool=perk_pool,
                       dm=dm, bonus_points=bonus_points, repeatable=repeatable, cooldown_days=cooldown_days,
                       min_account_age_days=min_account_age_days, min_membership_days=min_membership_days,
                       has_role=has_role, lacks_role=lacks_role, demote=demote)
        base = current.config.model_dump(mode="json")
        config = await self._rule_from_options(interaction, base, options)
        rule = await self.svc.save_rule(interaction.guild_id, config, actor_id=interaction.user.id)
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(tr("Updated {rule}", rule=rule.describe(tr)), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @rule_group.command(name="disable", description="Turn a reward rule off (grants already given stay)")
    @require("staff")
    async def rule_disable(self, interaction: discord.Interaction, name: str) -> None:
        assert interaction.guild_id is not None
        await self.svc.set_rule_enabled(interaction.guild_id, name, False, actor_id=interaction.user.id)
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(tr("Rule **{name}** is off: it earns nothing until "
                                                   "`/rewards rule enable {name}`.", name=name), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @rule_group.command(name="enable", description="Turn a reward rule that was turned off on again")
    @require("staff")
    async def rule_enable(self, interaction: discord.Interaction, name: str) -> None:
        assert interaction.guild is not None
        self.check_role(interaction.guild, (await self.svc.rule(interaction.guild.id, name)).config)  # type: ignore[attr-defined]
        await self.svc.set_rule_enabled(interaction.guild.id, name, True, actor_id=interaction.user.id)
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(tr("Rule **{name}** is on again; `/rewards sync {name}` applies it "
                                                   "to members who qualified meanwhile.", name=name), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @rule_group.command(name="list", description="List the reward rules")
    @require("staff")
    async def rule_list(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        rules = await self.svc.rules(interaction.guild_id)
        tr = i18n.for_reader(interaction)
        text = "\n".join(f"• {r.describe(tr)}" + (" *" + tr("(config)") + "*" if r.origin == "config" else "")
                         for r in rules)
        await interaction.response.send_message(text[:1900] or tr("No reward rules yet: `/rewards rule add`."),
                                                ephemeral=True, allowed_mentions=NO_MENTIONS)

    @rule_group.command(name="remove", description="Remove a reward rule (grants already given stay)")
    @require("staff")
    async def rule_remove(self, interaction: discord.Interaction, name: str) -> None:
        assert interaction.guild_id is not None
        current = await self.svc.rule(interaction.guild_id, name)
        if current.origin == "config":
            raise NotAllowed(N_("Rule {name} comes from the config file; remove it there."),
                             name=repr(name))
        await self.svc.remove_rule(interaction.guild_id, name, actor_id=interaction.user.id)
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(tr("Removed rule **{name}**.", name=name), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @rule_group.command(name="preview", description="Who would get this rule now")
    @require("staff")
    async def rule_preview(self, interaction: discord.Interaction, name: str) -> None:
        assert interaction.guild_id is not None
        rule = await self.svc.rule(interaction.guild_id, name)
        preview = await self.svc.preview(interaction.guild_id, name)
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(preview.sentence(_gives(rule, tr), tr), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @rewards.command(name="sync", description="Apply a rule to members who already qualify (preview first)")
    @require("staff")
    async def sync(self, interaction: discord.Interaction, rule: str) -> None:
        assert interaction.guild_id is not None
        found = await self.svc.rule(interaction.guild_id, rule)
        preview = await self.svc.preview(interaction.guild_id, rule)
        tr = i18n.for_reader(interaction)
        sentence = preview.sentence(_gives(found, tr), tr)
        if not preview.user_ids:
            await interaction.response.send_message(sentence + " " + tr("Nothing to apply."),
                                                    ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.send_message(
            tr("Dry run: {preview} Apply it?", preview=sentence), ephemeral=True,
            view=SyncConfirm(self, rule, interaction.user.id, tr), allowed_mentions=NO_MENTIONS)

    @rewards.command(name="history", description="A member's rewards: granted, delivered, failed, revoked")
    @require("staff")
    async def history(self, interaction: discord.Interaction, member: discord.Member) -> None:
        assert interaction.guild_id is not None
        grants = await self.svc.history(interaction.guild_id, member.id)
        tr = i18n.for_reader(interaction)
        lines = []
        for g in grants:
            if g.action == "points":
                what = tr.ngettext("+{count} point", "+{count} points", int(g.payload.get("points") or 0))
            else:
                what = (tr(ACTIONS[g.action], role=f"<@&{g.payload.get('role_id')}>", pool=g.payload.get("pool"))
                        if g.action in ACTIONS else g.action)
            when = discord.utils.format_dt(g.created_at, "d")
            status = tr(STATUSES[g.status]) if g.status in STATUSES else g.status
            hold = " " + tr("(waiting for approval)") if g.hold else ""
            # the delivery error: Kudos' own words in the reader's language, Discord's as Discord said them
            extra = f" — {delivery_error(g.last_error, tr)}" if g.last_error else ""
            lines.append(f"#{g.id} {when} **{g.rule_name}**: {what} — {status}{hold}{extra}")
        text = "\n".join(lines) or tr("{member} has no rewards yet.", member=member.mention)
        await interaction.response.send_message(text[:1900], ephemeral=True, allowed_mentions=NO_MENTIONS)

    @rewards.command(name="retry", description="Try a failed grant again")
    @require("staff")
    async def retry(self, interaction: discord.Interaction, grant_id: int) -> None:
        assert interaction.guild_id is not None
        grant = await self.svc.retry(interaction.guild_id, grant_id, actor_id=interaction.user.id)
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(tr("Grant #{id} is queued again.", id=grant.id), ephemeral=True)


def _gives(rule: Any, tr: Translator | None = None) -> str:
    tr = tr or translator()
    c = rule.config
    parts = []
    if c.role is not None:
        parts.append(f"<@&{c.role}>" if isinstance(c.role, int) else str(c.role))
    if c.perk_pool:
        parts.append(tr("a {pool} code", pool=c.perk_pool))
    if c.dm and not c.perk_pool:
        parts.append(tr("a DM"))
    if c.bonus_points:
        parts.append(tr.ngettext("{count} bonus point", "{count} bonus points", int(c.bonus_points)))
    return " + ".join(parts) or rule.name


class PerkCommands:
    perks = app_commands.Group(name="perks", description="Perk codes", guild_only=True)
    pool_group = app_commands.Group(name="pool", description="Perk pools", parent=perks)
    svc: Any
    bot: Any

    @pool_group.command(name="create", description="Create a pool of perk codes")
    @require("staff")
    async def pool_create(
        self, interaction: discord.Interaction, name: str, description: str = "",
        per_member_limit: app_commands.Range[int, 0] = 0, low_stock_warning: app_commands.Range[int, 0] = 5,
        budget: app_commands.Range[int, 0] = 0, budget_period_days: app_commands.Range[int, 1] = 30,
    ) -> None:
        assert interaction.guild_id is not None
        await self.svc.create_pool(interaction.guild_id, name, description=description,
                                   per_member_limit=per_member_limit, low_stock_warning=low_stock_warning,
                                   budget=budget, budget_period_days=budget_period_days, actor_id=interaction.user.id)
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(
            tr("Created perk pool **{name}**. Add codes with `/perks add-codes`.", name=name), ephemeral=True,
            allowed_mentions=NO_MENTIONS)

    @perks.command(name="add-codes", description="Add codes to a pool from a TXT/CSV file (or a short list)")
    @app_commands.describe(file="TXT: one code a line; CSV: code[,expiry YYYY-MM-DD]",
                           codes="a few codes separated by spaces or commas")
    @require("staff")
    async def add_codes(self, interaction: discord.Interaction, pool: str,
                        file: discord.Attachment | None = None, codes: str | None = None) -> None:
        assert interaction.guild_id is not None
        if file is None and not codes:
            raise InvalidInput(N_("Attach a TXT or CSV file of codes, or give a few in `codes`."))
        if file is not None:
            check_upload(file.filename, file.size)
            await interaction.response.defer(ephemeral=True, thinking=True)
            data, name = await file.read(), file.filename
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)
            data, name = "\n".join(re.split(r"[\s,]+", codes or "")).encode(), "codes.txt"
        report, added = await self.svc.add_codes(interaction.guild_id, pool, data, name, actor_id=interaction.user.id)
        tr = i18n.for_reader(interaction)
        problems = problem_lines(report, tr)  # the parser's lines, in the reader's language (codes masked)
        if added:
            sentence = tr.ngettext("Added {count} code to **{pool}**.", "Added {count} codes to **{pool}**.", added,
                                   pool=pool)
        elif not problems:
            sentence = tr("Nothing was imported: the file has no codes.")
        else:
            sentence = tr.ngettext("Nothing was imported ({count} problem; fix it and upload the whole file again):",
                                   "Nothing was imported ({count} problems; fix them and upload the whole file "
                                   "again):", len(report.invalid) + len(report.duplicates))
        text = "\n".join([sentence, *(f"• {p}" for p in problems)])
        await interaction.followup.send(text[:1900], ephemeral=True, allowed_mentions=NO_MENTIONS)

    @perks.command(name="stock", description="How many codes each pool has left")
    @require("staff")
    async def stock(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        rows = await self.svc.pool_stock(interaction.guild_id)
        tr = i18n.for_reader(interaction)
        text = "\n".join(
            (tr.ngettext("• **{pool}**: {count} left (warn below {warning})",
                         "• **{pool}**: {count} left (warn below {warning})", n, pool=p.name,
                         warning=tr.number(p.low_stock_warning))
             if p.low_stock_warning else tr.ngettext("• **{pool}**: {count} left", "• **{pool}**: {count} left", n,
                                                     pool=p.name))
            for p, n in rows)
        await interaction.response.send_message(text or tr("No perk pools yet."), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @perks.command(name="mine", description="See your perk codes (only you can see them)")
    async def mine(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        codes = await self.svc.member_codes(interaction.guild_id, interaction.user.id)
        await self.svc.mark_notified(interaction.guild_id, interaction.user.id)
        tr = i18n.for_reader(interaction)
        lines = []
        for code, pool in codes:  # pool names, never ids; the code itself stays verbatim
            if code.voided_at is not None:
                lines.append(tr("• **{pool}**: {code} (voided)", pool=pool, code=mask_code(code.code)))
            elif code.expires_at:
                lines.append(tr("• **{pool}**: `{code}` — expires {date}", pool=pool, code=code.code,
                                date=discord.utils.format_dt(code.expires_at, "D")))
            else:
                lines.append(f"• **{pool}**: `{code.code}`")
        for pool in await self.svc.waiting_pools(interaction.guild_id, interaction.user.id):
            lines.append(tr("• **{pool}**: your code is on its way (I'll DM it as soon as there is one)", pool=pool))
        text = "\n".join(lines) or tr("You have no perk codes yet. Keep contributing!")
        await interaction.response.send_message(text[:1900], ephemeral=True, allowed_mentions=NO_MENTIONS)

    @perks.command(name="void", description="Void a handed-out code (e.g. leaked)")
    @require("staff")
    async def void(self, interaction: discord.Interaction, code_id: int, reason: str = "") -> None:
        assert interaction.guild_id is not None
        await self.svc.void(interaction.guild_id, code_id, actor_id=interaction.user.id, reason=reason,
                            reissue=False)
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(tr("Code #{id} is void.", id=code_id), ephemeral=True)

    @perks.command(name="reissue", description="Void a code and send its member a fresh one")
    @require("staff")
    async def reissue(self, interaction: discord.Interaction, code_id: int, reason: str = "") -> None:
        assert interaction.guild_id is not None
        grant_id = await self.svc.void(interaction.guild_id, code_id, actor_id=interaction.user.id,
                                       reason=reason or "reissued", reissue=True)
        tr = i18n.for_reader(interaction)
        await interaction.response.send_message(
            tr("Code #{id} is void; a new code is on its way (grant #{grant}).", id=code_id, grant=grant_id),
            ephemeral=True)
