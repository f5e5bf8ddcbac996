"""Limits per member on interactions: a token bucket in front of every command, button, select, menu and form.

One member sending hundreds of clicks at once must not slow the bot down for everyone else. Before discord.py
parses an ``INTERACTION_CREATE`` into a command, view, dynamic item or modal task, :class:`InteractionGate`
takes a token from the member's bucket (``[bot] interaction_burst`` tokens, refilled at
``interaction_refill_per_second``). An interaction with no token left is answered at once with a short
ephemeral "slow down" and goes no further: no handler, no ``from_custom_id``, no database work. Each answer
is a request of the bot's too, so a member is told "slow down" at most :data:`ANSWERS_PER_BURST` times the
burst (a second bucket, refilled at the same rate); past that the bot stays silent, and Discord shows the
member "This interaction failed", until the buckets refill. Autocomplete
(Discord sends one per keystroke, and it cannot show a message) and pings are not counted.

Time is the bot's clock (``clock.timestamp()``): the sandbox's fake clock stands still, so a member's tokens
come back only when a test advances it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import discord

from bot.core.interactions import is_unknown_interaction, log_expired

log = logging.getLogger(__name__)

SLOW_DOWN = "Slow down a little: you're clicking faster than I can keep up. Try again in a few seconds."
COUNTED_TYPES = (2, 3, 5)  # application command (slash, context menu), message component, modal submit
ANSWERS_PER_BURST = 5  # "slow down" answers a member gets per bucket of interactions, before silence
REPLY_CONCURRENCY = 8  # "slow down" answers in flight at once; the rest wait their turn
REPLY_WITHIN = 2.5  # seconds: an answer that could not start by then would reach an expired interaction
MAX_KEYS = 20_000  # members tracked before full buckets are forgotten


class TokenBuckets:
    """One token bucket per key: ``burst`` tokens, ``per_second`` tokens back each second, at most ``burst``."""

    def __init__(self, burst: int, per_second: float, *, max_keys: int = MAX_KEYS) -> None:
        self.burst = float(burst)
        self.per_second = per_second
        self.max_keys = max_keys
        self._state: dict[Any, tuple[float, float]] = {}  # key → (tokens, when they were counted)

    def take(self, key: Any, now: float) -> bool:
        """Take one token for ``key`` at time ``now`` (seconds); False when there is none left."""
        state = self._state.get(key)
        if state is None:
            if len(self._state) >= self.max_keys:
                self._forget_full(now)
            tokens = self.burst
        else:
            tokens, then = state
            tokens = min(self.burst, tokens + max(0.0, now - then) * self.per_second)
        if tokens < 1.0:
            self._state[key] = (tokens, now)
            return False
        self._state[key] = (tokens - 1.0, now)
        return True

    def tokens(self, key: Any, now: float) -> float:
        state = self._state.get(key)
        if state is None:
            return self.burst
        tokens, then = state
        return min(self.burst, tokens + max(0.0, now - then) * self.per_second)

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled (they behave like new ones); if all are busy, the oldest half."""
        full = [k for k, (tokens, then) in self._state.items()
                if tokens + max(0.0, now - then) * self.per_second >= self.burst]
        for key in full:
            del self._state[key]
        if len(self._state) >= self.max_keys:
            by_age = sorted(self._state, key=lambda k: self._state[k][1])
            for key in by_age[: len(by_age) // 2]:
                del self._state[key]

    def __len__(self) -> int:
        return len(self._state)


def _user_id(data: dict[str, Any]) -> int:
    user = (data.get("member") or {}).get("user") or data.get("user") or {}
    return int(user.get("id") or 0)


class InteractionGate:
    """Wraps discord.py's ``INTERACTION_CREATE`` parser with the per-member bucket (see the module doc)."""

    def __init__(self, clock: Any, spawn: Callable[..., Any], *, burst: int, per_second: float) -> None:
        self.clock = clock
        self.spawn = spawn
        self.enabled = burst > 0
        self.buckets = TokenBuckets(max(burst, 1), per_second)
        self.answers = TokenBuckets(max(burst, 1) * ANSWERS_PER_BURST, per_second)
        self.refused = 0
        self.unanswered = 0  # refused past the answers bucket: dropped without a request
        self._refusing: set[tuple[int, int]] = set()  # members refused since their last admitted interaction
        self._replies: asyncio.Semaphore | None = None

    def install(self, state: Any) -> None:
        """Put the gate in front of ``state``'s interaction parser (the websocket reads the same dict)."""
        parse = state.parsers["INTERACTION_CREATE"]

        def gated(data: dict[str, Any]) -> None:
            if self.admit(data):
                parse(data)
            else:
                self._refuse(state, data)

        state.parsers["INTERACTION_CREATE"] = gated

    def admit(self, data: dict[str, Any]) -> bool:
        if not self.enabled or data.get("type") not in COUNTED_TYPES:
            return True
        key = (int(data.get("guild_id") or 0), _user_id(data))
        if self.buckets.take(key, self.clock.timestamp()):
            self._refusing.discard(key)
            return True
        if key not in self._refusing:  # one line per flood, not one per click
            if len(self._refusing) >= MAX_KEYS:
                self._refusing.clear()
            self._refusing.add(key)
            log.warning("member %s in guild %s is sending interactions faster than allowed; answering "
                        "\"slow down\" until their bucket refills", key[1], key[0] or None)
        return False

    def _refuse(self, state: Any, data: dict[str, Any]) -> None:
        self.refused += 1
        if not self.answers.take((int(data.get("guild_id") or 0), _user_id(data)), self.clock.timestamp()):
            self.unanswered += 1
            return
        try:
            interaction = discord.Interaction(data=data, state=state)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - a payload discord.py cannot read gets no answer, as it would anyway
            log.debug("could not read a refused interaction", exc_info=True)
            return
        loop = asyncio.get_running_loop()
        self.spawn(self._slow_down(interaction, loop.time()), name="interaction-slow-down")

    async def _slow_down(self, interaction: discord.Interaction, received: float) -> None:
        if self._replies is None:
            self._replies = asyncio.Semaphore(REPLY_CONCURRENCY)
        async with self._replies:
            if asyncio.get_running_loop().time() - received > REPLY_WITHIN:
                log.debug("no \"slow down\" for interaction %s: too late to answer", interaction.id)
                return
            try:
                await interaction.response.send_message(SLOW_DOWN, ephemeral=True,
                                                        allowed_mentions=discord.AllowedMentions.none())
            except discord.HTTPException as exc:
                if is_unknown_interaction(exc):
                    log_expired(interaction, 'the "slow down" answer')
                else:
                    log.warning("could not answer \"slow down\" (guild=%s user=%s): %s", interaction.guild_id,
                                interaction.user.id, exc)
