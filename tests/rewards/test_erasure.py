"""Erasure does not reset rewards (issue #19, item 1).

``/mydata forget`` moves a member's grants and codes to a pseudonym; before the fix "already earned" and "already
holds a code" then saw nothing, and a member farmed one perk code per forget. The rewards keep a *mark* of every
rule earned and code held (an HMAC of guild and member id under a key derived from the server secret), which
erasure keeps: the same member can't earn the rule again nor claim codes beyond the pool's per-member limit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.ledger import LedgerPolicy, LedgerService
from bot.platform.clock import FakeClock
from bot.platform.config import RewardConfig
from bot.platform.db import Database
from bot.privacy import PrivacyService
from bot.rewards import RewardsService
from bot.rewards.marks import MemberMarks, derive_key
from bot.rewards.tables import perk_codes, perk_holders, reward_earned
from bot.sandbox.harness import Harness
from bot.schema import PERSONAL_DATA

CODES = [f"NITRO-GIFT-{i:04d}-XYZW" for i in range(6)]
G = 100
ALICE, BOB = 1 << 40, 2 << 40
OPEN = LedgerPolicy(thanks_given_per_day=0, thanks_pair_cooldown_hours=0, max_from_same_giver=0)


# --------------------------------------------------------------------------- end to end


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        # Bob's ideas are alike: "Is it one of these?" (#23) would offer them to vote instead of posting.
        "search": {"suggest": False},
        "perk_pools": [{"name": "nitro", "description": "a gift", "per_member_limit": 1, "low_stock_warning": 0}],
        "rewards": [{"name": "fifteen", "trigger": {"points": 15}, "perk_pool": "nitro",
                     "dm": "Your gift: {code}"}],
    }}}


async def _codes_of_everyone(h: Harness) -> list[int | None]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return [r.assigned_to for r in await conn.execute(
            select(perk_codes.c.assigned_to).where(perk_codes.c.assigned_to.is_not(None)))]


async def _file_three_reports(h: Harness, cycle: int) -> None:
    for n in range(3):
        opened = await h.member("alice").slash("feedback new", type="idea")
        assert opened.modal is not None, opened.content
        done = await h.member("alice").submit_modal(
            opened, {"Title": f"Junk idea {cycle}.{n}", "Details": "more of the same"})
        assert "posted" in (done.content or ""), done.content


async def _forget(h: Harness) -> None:
    alice = h.member("alice")
    ask = await alice.slash("mydata forget")
    assert ask.message is not None
    done = await alice.click(ask.message.id, label="Erase my data")
    assert "was erased" in (done.content or ""), done.content


async def test_a_member_gets_one_code_however_often_she_erases_her_data(kudos: Harness) -> None:
    """Pool of 6 codes, per_member_limit = 1, rule "15 points → a code"; alice files 3 reports (5 points each),
    gets a code, runs /mydata forget + confirm, and repeats: she gets no second code (before the fix: one each
    cycle). Bob, who never had one, still gets his."""
    reply = await kudos.member("sam").slash("perks add-codes", pool="nitro", codes=" ".join(CODES))
    assert "Added" in (reply.content or ""), reply.content
    await _file_three_reports(kudos, 0)
    await kudos.settle()
    assert await _codes_of_everyone(kudos) == [kudos.members["alice"]]
    assert any(c in (m.embeds[0]["description"] if m.embeds else m.content or "")
               for m in kudos.member("alice").dms() for c in CODES)
    for cycle in (1, 2):
        await _forget(kudos)
        await _file_three_reports(kudos, cycle)
        await kudos.settle()
        held = await _codes_of_everyone(kudos)
        assert len(held) == 1 and held[0] is not None and held[0] < 0, held  # the first code, now a pseudonym's
    # she earned the points (the ledger credited her), but the rule is not earned again
    assert kudos.bot is not None
    profile = await kudos.bot.app.ledger.profile(kudos.guild_id, kudos.members["alice"])
    assert profile.total_points >= 15
    # bob is not blocked by anyone's marks
    for n in range(3):
        opened = await kudos.member("bob").slash("feedback new", type="idea")
        await kudos.member("bob").submit_modal(opened, {"Title": f"Bob's idea {n}", "Details": "d"})
    await kudos.settle()
    assert sorted(a for a in await _codes_of_everyone(kudos) if a is not None and a > 0) == [kudos.members["bob"]]


# --------------------------------------------------------------------------- the service, on both databases


def _make(db: Database, clock: FakeClock, key: bytes) -> tuple[LedgerService, RewardsService, PrivacyService]:
    rewards = RewardsService(db, clock, policy_for=lambda g: OPEN, marks_key=key)
    ledger = LedgerService(db, clock, lambda g: OPEN, on_change=rewards.on_contribution)
    return ledger, rewards, PrivacyService(db, clock, lambda _g: 0, personal_data=PERSONAL_DATA)


async def _earn(ledger: LedgerService, user: int, tag: str, points: int = 15) -> None:
    await ledger.credit(G, user, "creation", source_key=f"guide:{user}:{tag}", actor_id=None, points=points)


async def _held(db: Database, pool_id: int) -> dict[int, int]:
    async with db.connect() as conn:
        rows = await conn.execute(select(perk_codes.c.assigned_to, func.count()).where(
            perk_codes.c.pool_id == pool_id, perk_codes.c.assigned_to.is_not(None), perk_codes.c.voided_at.is_(None))
            .group_by(perk_codes.c.assigned_to))
        return {int(a): int(n) for a, n in rows}


async def test_marks_block_re_earning_and_re_claiming_after_erasure(db: Database, clock: FakeClock) -> None:
    ledger, rewards, privacy = _make(db, clock, derive_key(b"s" * 32))
    pool = await rewards.create_pool(G, "nitro", per_member_limit=2, actor_id=None)
    await rewards.add_codes(G, "nitro", "\n".join(CODES).encode(), "codes.txt", actor_id=None)
    await rewards.save_rule(G, RewardConfig.model_validate(
        {"name": "fifteen", "trigger": {"points": 15}, "perk_pool": "nitro"}), actor_id=None)
    await rewards.save_rule(G, RewardConfig.model_validate(
        {"name": "weekly", "trigger": {"points": 15}, "perk_pool": "nitro", "repeatable": True,
         "cooldown_days": 7}), actor_id=None)
    await _earn(ledger, ALICE, "a")
    assert await _held(db, pool.id) == {ALICE: 2}  # both rules, limit 2
    mark = rewards.marks.of(G, ALICE)
    assert len(mark) == 64 and str(ALICE) not in mark
    async with db.connect() as conn:
        assert (await conn.execute(select(perk_holders.c.held).where(perk_holders.c.member_mark == mark))
                ).scalar_one() == 2
        assert {r.rule_name for r in await conn.execute(select(reward_earned))} == {"fifteen", "weekly"}

    await privacy.forget(G, ALICE)
    # the marks survive erasure; they hold no member id
    async with db.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(reward_earned))).scalar_one() == 2
    await _earn(ledger, ALICE, "b")
    held = await _held(db, pool.id)
    assert sum(held.values()) == 2 and ALICE not in held  # nothing new: both rules earned, limit reached
    # her next reward on /profile is not a rule she already earned
    profile = await ledger.profile(G, ALICE)
    assert (await rewards.next_reward(G, ALICE, profile)).state == "all_earned"

    # a week later the repeatable rule is due again; the per-member limit still counts the erased codes
    await clock.advance(timedelta(days=9))
    await _earn(ledger, ALICE, "c")
    assert sum((await _held(db, pool.id)).values()) == 2

    # a voided code frees a place, for members whose codes are under their id (bob)
    await _earn(ledger, BOB, "a")
    assert (await _held(db, pool.id))[BOB] == 2
    async with db.connect() as conn:
        bobs = (await conn.execute(select(perk_codes.c.id).where(perk_codes.c.assigned_to == BOB))).scalars().all()
    await rewards.void(G, bobs[0], actor_id=1, reason="leaked", reissue=True)
    assert (await _held(db, pool.id))[BOB] == 2


async def test_a_mark_is_a_keyed_hash_of_guild_and_member(db: Database, clock: FakeClock) -> None:
    """Another key (another server secret) gives other marks; the same key the same: the derived key, not the
    secret, and not the bare id."""
    one, two = MemberMarks(derive_key(b"a" * 32)), MemberMarks(derive_key(b"b" * 32))
    assert one.of(G, ALICE) == MemberMarks(derive_key(b"a" * 32)).of(G, ALICE)
    assert one.of(G, ALICE) != two.of(G, ALICE)
    assert one.of(G, ALICE) != one.of(G + 1, ALICE) != one.of(G, BOB)
    assert derive_key(b"a" * 32) != b"a" * 32 and "key" not in repr(one).replace("key hidden", "")
