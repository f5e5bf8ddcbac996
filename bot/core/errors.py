"""The one central error handler for slash commands, context menus, buttons and modals.

Domain errors become a short ephemeral reply. Permission problems are explained. Anything unexpected is
logged with guild, user and command, and the user gets a generic apology.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import discord
from discord import app_commands
from sqlalchemy.exc import DBAPIError

from bot.core import hygiene
from bot.core.checks import ensure
from bot.core.i18n import for_guild, for_reader
from bot.core.interactions import PatientResponse, is_unknown_interaction, log_expired
from bot.platform import i18n, logctx
from bot.platform.errors import InvalidInput, KudosError
from bot.platform.i18n import N_, Translator

log = logging.getLogger(__name__)

UNEXPECTED = N_("Something went wrong on our side. The moderators can find the details in the bot's log.")
NO_MENTIONS = discord.AllowedMentions.none()
MAX_CONTENT = 2000  # Discord's limit for a message's content
DB_FULL = N_("The bot's database is full (no disk space left), so nothing was saved. "
              "The server's staff have been told; please try again later.")
DB_BUSY = N_("The bot's database is busy right now, so nothing was saved. Please try again in a minute.")
STAFF_ALERT_EVERY = timedelta(minutes=10)
_FULL_MARKERS = ("database or disk is full", "no space left on device", "could not extend file", "disk full")
_BUSY_MARKERS = ("database is locked", "database is busy", "database table is locked")
_last_alert: dict[int, object] = {}


def database_problem(error: BaseException) -> str | None:
    """"full" or "busy" when ``error`` (or what caused it) is the database refusing a write for that reason."""
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 6:
        if isinstance(current, DBAPIError):
            text = str(current.orig).lower()
            if any(m in text for m in _FULL_MARKERS):
                return "full"
            if any(m in text for m in _BUSY_MARKERS):
                return "busy"
        current = current.__cause__ or current.__context__
        seen += 1
    return None


def _permission_names(perms: list[str]) -> str:
    return ", ".join(p.replace("_", " ").replace("guild", "server").title() for p in perms)


def describe(error: Exception, tr: Translator | None = None) -> tuple[str, bool]:
    """The user-facing text for ``error`` in ``tr``'s language (English by default) and whether it was
    expected (i.e. not a bug). A service's :class:`KudosError` is said in the reader's language here."""
    tr = tr or i18n.translator(None)
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError) and error.__cause__:
        inner = error.__cause__
        if isinstance(inner, KudosError | discord.Forbidden):
            error = inner
    if isinstance(error, KudosError):
        return error.translated(tr), True
    problem = database_problem(error)
    if problem == "full":
        return tr(DB_FULL), True
    if problem == "busy":
        return tr(DB_BUSY), True
    if isinstance(error, app_commands.BotMissingPermissions):
        return (tr("I'm missing the **{permissions}** permission here. A moderator can grant it to my role in "
                   "Server Settings → Roles.", permissions=_permission_names(error.missing_permissions)), True)
    if isinstance(error, app_commands.MissingPermissions):
        return (tr("You need the **{permissions}** permission for this.",
                   permissions=_permission_names(error.missing_permissions)), True)
    if isinstance(error, app_commands.MissingAnyRole | app_commands.MissingRole):
        return tr("You don't have a role that may use this command."), True
    if isinstance(error, app_commands.NoPrivateMessage):
        return tr("This command only works inside a server."), True
    if isinstance(error, app_commands.CommandOnCooldown):
        return tr("Slow down a little: try again in {seconds} s.", seconds=f"{error.retry_after:.0f}"), True
    if isinstance(error, app_commands.TransformerError):  # e.g. a channel of a type the option doesn't take
        return tr("That value doesn't fit this option; pick one from the list Discord offers."), True
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or tr("You can't use this command here."), True  # checks word theirs
    if isinstance(error, discord.Forbidden):
        return (tr("Discord refused: I'm missing a permission, or the role I'd manage sits above my own role "
                   "({reason}). A moderator can fix this in Server Settings → Roles.",
                   reason=error.text or "Missing Permissions"), True)
    return tr(UNEXPECTED), False


def count(interaction: discord.Interaction, outcome: str) -> None:
    """Tell the metrics (``bot.core.observability``, when ``[metrics]`` is on) how ``interaction`` ended:
    ok, refused (a message to the member) or error (a bug). Each interaction is counted once."""
    observer = getattr(interaction.client, "observability", None)
    if observer is not None:
        observer.interaction_finished(interaction, outcome)
    if log.isEnabledFor(logging.DEBUG):  # the line that closes an interaction's correlation id
        log.debug("interaction %s finished: %s", interaction.id, outcome)


def _context(interaction: discord.Interaction) -> str:
    command = interaction.command.qualified_name if interaction.command else None
    custom_id = (interaction.data or {}).get("custom_id") if interaction.data else None
    return (
        f"guild={interaction.guild_id} user={interaction.user.id if interaction.user else None} "
        f"command={command!r} custom_id={custom_id!r}"
    )


async def reply_error(interaction: discord.Interaction, error: Exception) -> None:
    """Log when needed and answer ``interaction`` ephemerally, whatever state it is in."""
    if is_unknown_interaction(error):  # expired: one line, no traceback, and no answer (it would fail too)
        log_expired(interaction, "it was answered")
        return
    tr = for_reader(interaction)
    text, expected = describe(error, tr)
    problem = database_problem(error) if not isinstance(error, KudosError) else None
    count(interaction, "refused" if expected else "error")
    if len(text) > MAX_CONTENT:  # a domain error may quote what the member typed (up to 6,000 characters)
        text = text[:MAX_CONTENT - 1] + "…"
    if problem == "full":
        log.error("database full: a write failed, nothing was saved (%s); free disk space where the database "
                  "lives", _context(interaction))
        await _alert_staff(interaction)
    elif problem == "busy":
        log.warning("database busy: a write timed out waiting for a lock (%s)", _context(interaction))
    elif expected:
        log.debug("refused interaction (%s): %s", _context(interaction), text)
    else:
        log.error("unexpected error in interaction (%s)", _context(interaction), exc_info=error)
    response = interaction.response
    try:
        late = isinstance(response, PatientResponse) and response.auto_deferred and not response.answered_late
        if response.is_done() and not late:
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:  # unanswered, or deferred automatically: the "thinking" message (if any) becomes the error
            await response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:
        if is_unknown_interaction(exc):
            log_expired(interaction, "the error reply")
        else:
            log.warning("could not deliver the error reply (%s)", _context(interaction), exc_info=True)


async def _alert_staff(interaction: discord.Interaction) -> None:
    """Tell the staff log (at most every ``STAFF_ALERT_EVERY`` per server); never raises."""
    guild = interaction.guild
    client = interaction.client
    if guild is None or not hasattr(client, "settings"):
        return
    now = client.clock.now()  # type: ignore[attr-defined]
    last = _last_alert.get(guild.id)
    if last is not None and now - last < STAFF_ALERT_EVERY:  # type: ignore[operator]
        return
    _last_alert[guild.id] = now
    channel = guild.get_channel(client.settings(guild.id).channel("staff_log") or 0)  # type: ignore[attr-defined]
    if not isinstance(channel, discord.abc.Messageable):
        log.error("no staff log channel to report the full database in guild %s", guild.id)
        return
    tr = for_guild(client, guild)  # the staff log speaks the server's language
    text = tr("⚠️ Kudos could not save to its database: **the disk is full**. Members' actions are refused "
              "until space is freed on the database host.")
    try:
        await channel.send(text, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.warning("could not post the database alert to the staff log of guild %s", guild.id, exc_info=True)


def bind_interaction(interaction: discord.Interaction) -> None:
    """Bind the interaction's ids to this task's log context (:mod:`bot.platform.logctx`): discord.py runs
    each interaction in a task of its own, so they label every line logged until it is answered."""
    command = interaction.command.qualified_name if interaction.command is not None else None
    if command is None and isinstance(interaction.data, dict):
        command = interaction.data.get("custom_id") or interaction.data.get("name")
    logctx.bind(correlation_id=f"i-{interaction.id}", guild_id=interaction.guild_id,
                channel_id=interaction.channel_id, user_id=interaction.user.id if interaction.user else None,
                command=command)


class KudosTree(app_commands.CommandTree):
    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Input hygiene before any command runs (:mod:`bot.core.hygiene`): a string option with a NUL is
        refused with a message naming the option; an autocomplete with one gets no suggestions."""
        bind_interaction(interaction)
        try:
            hygiene.check_command(interaction)
        except InvalidInput as exc:
            if interaction.type is discord.InteractionType.autocomplete:
                await interaction.response.autocomplete([])
            else:
                await reply_error(interaction, exc)
            return False
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError, /) -> None:
        await reply_error(interaction, error)

    async def _call(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        # discord.py 2.7.1's (pinned) per-interaction task for commands, context menus and autocomplete.
        await super()._call(interaction)
        if log.isEnabledFor(logging.DEBUG):  # the line that closes the interaction's correlation id
            log.debug("interaction %s handled", interaction.id)


class KudosView(discord.ui.View):
    """Base for views: item errors go to the central handler. A view of a staff flow sets
    ``required_level = "staff"``: the role is checked again on every press, when it happens."""

    required_level: str | None = None

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        bind_interaction(interaction)
        if self.required_level is not None:
            ensure(interaction, self.required_level)
        return True

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item, /) -> None:
        await reply_error(interaction, error)

    async def _scheduled_task(self, item: discord.ui.Item, interaction: discord.Interaction) -> None:  # type: ignore[override]
        # discord.py 2.7.1's (pinned) per-click task: the item's callback, or on_error (counted there first).
        await super()._scheduled_task(item, interaction)
        count(interaction, "ok")


class KudosModal(discord.ui.Modal):
    """Base for modals: submit errors go to the central handler; a field with a NUL is refused before
    ``on_submit`` (:mod:`bot.core.hygiene`). A form of a staff flow sets ``required_level = "staff"``: the role
    is checked again when the form is submitted (the member may have lost it while the form was open). A
    subclass overriding ``interaction_check`` calls ``super()``."""

    required_level: str | None = None

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        bind_interaction(interaction)
        if self.required_level is not None:
            ensure(interaction, self.required_level)
        hygiene.check_modal(self, interaction)  # InvalidInput goes to on_error, i.e. the central handler
        return True

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:
        await reply_error(interaction, error)

    async def _scheduled_task(self, interaction: discord.Interaction, *args: Any) -> None:  # type: ignore[override]
        # discord.py 2.7.1's (pinned) submit task: on_submit, or on_error (counted there first).
        await super()._scheduled_task(interaction, *args)
        count(interaction, "ok")


class GuardedCallback:
    """Mixin for ``DynamicItem`` buttons, whose callback errors discord.py would only log.

    Subclasses implement :meth:`run` instead of ``callback``. A button of a staff flow sets
    ``required_level = "staff"``: the role is checked on every press, before :meth:`run`.
    """

    required_level: str | None = None

    async def run(self, interaction: discord.Interaction) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction) -> None:
        bind_interaction(interaction)
        try:
            if self.required_level is not None:
                ensure(interaction, self.required_level)
            await self.run(interaction)
        except Exception as exc:  # noqa: BLE001 - handed to the central handler
            await reply_error(interaction, exc)
        else:
            count(interaction, "ok")
