"""Helpers shared by the contribution cogs: members, threads, receipts, names."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.ledger import CreditResult, Receipt
from bot.platform.errors import InvalidInput, NotFound
from bot.platform.i18n import N_

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)


def guild_of(interaction: discord.Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise InvalidInput(N_("This only works inside a server."))
    return interaction.guild


async def member_or_left(guild: discord.Guild, user: discord.abc.User | int, what: str = "That member") -> discord.Member:
    """The guild member, or a clear :class:`NotFound` when they left the server."""
    user_id = user if isinstance(user, int) else user.id
    member = guild.get_member(user_id)
    if member is not None:
        return member
    try:
        return await guild.fetch_member(user_id)
    except discord.NotFound:
        name = f"<@{user_id}>" if isinstance(user, int) else f"**{discord.utils.escape_markdown(user.name)}**"
        raise NotFound(N_("{what} ({name}) is no longer in this server, so they can't be credited."),
                       what=what, name=name) from None


async def fresh_channel(bot: KudosBot, channel_id: int) -> Any:
    """The channel or thread as Discord has it now (archived / locked / tags), not as cached."""
    try:
        return await bot.fetch_channel(channel_id)
    except discord.NotFound:
        raise NotFound(N_("That channel or post no longer exists.")) from None


async def fresh_message(channel: Any, message_id: int) -> discord.Message:
    try:
        return await channel.fetch_message(message_id)
    except discord.NotFound:
        raise NotFound(N_("That message was deleted, so there is nothing to credit.")) from None


def receipts_mode(bot: KudosBot, guild_id: int) -> str:
    return bot.guild_config(guild_id).ledger.receipts


def outcome_text(bot: KudosBot, guild_id: int, result: CreditResult | None) -> str:
    """The line for the actor's reply: the outcome, plus the receipt when receipts are ephemeral notes."""
    if result is None:
        return ""
    text = result.message
    if receipts_mode(bot, guild_id) == "ephemeral" and result.receipt and result.status != "credited":
        text += f"\n-# {result.receipt}"
    return text


def start_jobs(bot: KudosBot) -> None:
    """Run the durable jobs an action just committed (a receipt DM, :mod:`cogs.contributions.receipts`) now,
    rather than at the scheduler's next poll. Called once the actor has their reply."""
    bot.tasks.spawn(bot.scheduler.run_due(), name="contrib-jobs")


def place(guild: discord.Guild | None, receipt: Receipt) -> tuple[str | None, str | None]:
    """(channel or forum name, thread title) of a ledger entry, when the bot still knows them."""
    if guild is None:
        return None, None
    thread = guild.get_thread(receipt.thread_id) if receipt.thread_id else None
    parent_id = thread.parent_id if thread is not None else receipt.channel_id
    parent = guild.get_channel(parent_id) if parent_id else None
    return (parent.name if parent is not None else None), (thread.name if thread is not None else None)


def creation_channel_ids(bot: KudosBot, guild: discord.Guild) -> set[int]:
    out: set[int] = set()
    for ref in bot.guild_config(guild.id).creation.channels:
        if isinstance(ref, int):
            out.add(ref)
            continue
        name = ref.lstrip("#").strip()
        match = next((c for c in guild.channels if c.name == name), None) or next(
            (c for c in guild.channels if c.name.casefold() == name.casefold()), None)
        if match is not None:
            out.add(match.id)
    return out


GUILD_ONLY = discord.app_commands.AppCommandContext(guild=True)
