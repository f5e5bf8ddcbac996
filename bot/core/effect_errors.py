"""The discord-facing half of :mod:`bot.platform.jobs.effects`: a discord.py exception as an
:class:`~bot.platform.jobs.effects.EffectFailure`, and what the platform says to do about it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord

from bot.core.errors import NO_MENTIONS
from bot.core.i18n import for_guild
from bot.platform import deferred
from bot.platform.jobs.effects import Action, Drop, EffectFailure, GiveUp, Retry, classify

log = logging.getLogger(__name__)


def failure_of(exc: BaseException) -> EffectFailure | None:
    """``exc`` as a failed Discord call, or ``None`` when it is no Discord failure (a bug: let it raise)."""
    if isinstance(exc, discord.RateLimited):  # discord.py refused to wait that long
        return EffectFailure(429, 0, f"rate limited for {exc.retry_after:.0f}s")
    if isinstance(exc, discord.HTTPException):
        return EffectFailure(exc.status, exc.code, exc.text or "")
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ClientError | ConnectionError):
        return EffectFailure(None, 0, type(exc).__name__)
    return None


def outcome(exc: BaseException) -> tuple[Action, EffectFailure]:
    """What to do about a failed Discord call; re-raises ``exc`` when it is not one."""
    failure = failure_of(exc)
    if failure is None:
        raise exc
    return classify(failure), failure


async def end_job(exc: BaseException, what: str, *,
                  report: Callable[[], Awaitable[None]] | None = None) -> Action:
    """How a job's failed Discord call ends the job: raises :class:`Retry` (429, 5xx, no answer),
    :class:`Drop` (the target is gone) or :class:`GiveUp` (a missing permission, after ``report``; any other
    refusal). Returns :attr:`Action.UNARCHIVE` or :attr:`Action.FALLBACK` for the caller to handle."""
    action, failure = outcome(exc)
    if action is Action.RETRY:
        raise Retry(what, failure) from exc
    if action is Action.DROP:
        raise Drop(what, failure) from exc
    if action is Action.REPORT:
        if report is not None:
            await report()
        raise GiveUp(what, failure) from exc
    if action in (Action.UNARCHIVE, Action.FALLBACK):
        return action
    raise GiveUp(what, failure) from exc


async def end_post(exc: BaseException, what: str, *, mark_failed: Callable[[str], Awaitable[None]],
                   last_try: bool, report: Callable[[], Awaitable[None]] | None = None) -> None:
    """A post job's failed send (see :func:`end_job`): a transient failure is raised for a retry (on the
    ``last_try`` the post is marked failed first, which tells staff); anything else marks it failed and
    ends the job. Always raises."""
    reason = getattr(exc, "text", None) or str(exc)
    try:
        await end_job(exc, what, report=report)
    except Retry:
        if last_try:
            await mark_failed(reason)
        raise
    except (Drop, GiveUp):
        await mark_failed(reason)
        raise
    await mark_failed(reason)
    raise GiveUp(what) from exc


async def run_post_job(bot: Any, guild_id: int, announcement_id: int, timer: Any,
                       post: Callable[..., Awaitable[Any]]) -> None:
    """Run a post job (``betas.announce``, ``announce.post``, ``announce.changes``): ``post(guild, id,
    attempts=, last_try=)`` once the guild is there (jobs due at start run before the gateway sends it)."""
    guild = bot.get_guild(guild_id)
    if guild is None:
        raise Retry(f"guild {guild_id} is not available (yet)")
    attempts = getattr(timer, "attempts", 1)
    await post(guild, announcement_id, attempts=attempts, last_try=attempts >= bot.scheduler.settings.max_attempts)


def permission_name(flag: str) -> str:
    """A permission as Discord's client names it: ``send_messages_in_threads`` → "Send Messages in Threads"."""
    return " ".join(w if w in ("in", "and") else w.capitalize() for w in flag.split("_"))


async def report_missing_permission(bot: Any, guild: discord.Guild, what: str,
                                    channel: discord.abc.GuildChannel | discord.Thread | None,
                                    needs: tuple[str, ...]) -> None:
    """Tell the guild's staff log which of ``needs`` the bot lacks in ``channel`` to ``what``: an action as
    :func:`bot.platform.deferred.said` makes it (``said(N_("post announcement #{id}"), id=...)``) is said in the
    server's language there; the bot's log line stays English."""
    missing = list(needs)
    if channel is not None and needs:
        perms = channel.permissions_for(guild.me)
        missing = [p for p in needs if not getattr(perms, p, False)] or missing
    names = ", ".join(permission_name(p) for p in missing) or "a permission"
    log.warning("guild %s: I couldn't %s%s: missing permissions (%s)", guild.id, what,
                f" in {channel.mention}" if channel is not None else "", names)
    tr = for_guild(bot, guild)  # the staff log speaks the server's language, the action too when it is Said
    what = str(deferred.render(tr, what)) if isinstance(what, deferred.Said) else what
    if channel is not None:
        text = tr("⚠️ I couldn't {what} in {channel}: Discord says I'm missing permissions ({permissions}). "
                  "A moderator can give my role that permission there.", what=what, channel=channel.mention,
                  permissions=names)
    else:
        text = tr("⚠️ I couldn't {what}: Discord says I'm missing permissions ({permissions}). A moderator can "
                  "give my role that permission there.", what=what, permissions=names)
    staff = guild.get_channel(bot.settings(guild.id).channel("staff_log") or 0)
    if isinstance(staff, discord.TextChannel):
        try:
            await staff.send(text, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.warning("guild %s: could not report a missing permission to the staff log", guild.id)


__all__ = ["end_job", "end_post", "failure_of", "outcome", "permission_name", "report_missing_permission",
           "run_post_job"]
