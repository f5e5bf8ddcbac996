"""What survives erasure in rewards: a keyed hash of the member for every rule earned and every code held.

``/mydata forget`` moves a member's grants and perk codes to a pseudonym (:mod:`bot.rewards.personal`), so the
member's own history is empty afterwards. Without more, "already earned" and "already holds a code" would see
nothing, and erasing would be a way to farm codes (issue #19). So every earning of a rule and every code claimed
is also counted under a **mark**: ``HMAC-SHA256(key, "<guild id>:<member id>")``, where the key is derived from
the server secret (``KUDOS_WEB_SECRET``) for this one use (``HMAC(secret, "earned-v1")``).

A mark identifies no one: without the secret it can't be computed from an id, nor turned back into one, and it
is not linked to any grant, code or pseudonym (no ids, and the day of the latest earning only). With the secret,
it answers one question: has this member earned this rule / how many codes of this pool do they hold. The
tables (``reward_earned``, ``perk_holders``) are declared as holding no member id and are kept by erasure
(:data:`bot.rewards.personal.KEPT_BY_ERASURE`).

The checks consult the marks only where the member's own rows are silent: a member with grants of a rule is
judged by them (:func:`bot.rewards._common.next_earning`, demotions and cooldowns included); one without any is
judged by the mark (:func:`earning_after_erasure`). Codes: the larger of the codes held under the member's id
and the mark's count.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.rewards.rules import Rule

KEY_LABEL = b"earned-v1"


def derive_key(secret: bytes) -> bytes:
    """The marks' own key, derived from the server secret (the secret itself signs dashboard links)."""
    return hmac.new(secret, KEY_LABEL, hashlib.sha256).digest()


class MemberMarks:
    """Computes a member's mark in one server; holds the derived key (never shown)."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes | None = None) -> None:
        # No key given (service tests): a random one, good for this process only.
        self._key = key if key is not None else secrets.token_bytes(32)

    def __repr__(self) -> str:
        return "MemberMarks(<key hidden>)"

    def of(self, guild_id: int, user_id: int) -> str:
        """The member's mark: 64 hex digits."""
        return hmac.new(self._key, f"{guild_id}:{user_id}".encode(), hashlib.sha256).hexdigest()


def earning_day(now: datetime) -> datetime:
    """The UTC day of an earning (midnight): what a mark keeps of its time."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def earning_after_erasure(rule: Rule, earned_on: datetime | None, now: datetime) -> int | None:
    """The next earning of ``rule`` for a member with no grants of it under their id, given their mark's day
    of its latest earning (``None``: never earned). A rule earned once is not earned again; a repeatable one
    after its cooldown, counted from the end of that day. The earning number is 2 when it was earned before
    (bonus points paid by rewards never re-earn a repeatable rule, see ``first_only``)."""
    if earned_on is None:
        return 1
    if not rule.config.repeatable:
        return None
    cooldown = timedelta(days=rule.config.cooldown_days)
    if cooldown and now < earned_on + timedelta(days=1) + cooldown:
        return None
    return 2
