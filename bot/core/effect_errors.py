"""The discord-facing half of :mod:`bot.platform.jobs.effects`: a discord.py exception as an
:class:`~bot.platform.jobs.effects.EffectFailure`, and what the platform says to do about it."""

from __future__ import annotations

import asyncio

import aiohttp
import discord

from bot.platform.jobs.effects import Action, EffectFailure, classify


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


__all__ = ["failure_of", "outcome"]
