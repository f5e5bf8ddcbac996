"""``RewardsService.next_reward`` on both backends: which rules count, role conditions, seasons, revoked
rewards, and the nearest-first order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.ledger import LedgerPolicy, LedgerService, Season
from bot.platform.clock import FakeClock
from bot.platform.config import RewardConfig
from bot.platform.db import Database
from bot.rewards import MemberFacts, RewardProgress, RewardsService, nearest
from bot.rewards import store as repo

G = 100
ALICE = 1 << 40
VIP, STAFF = 555, 666
POLICY = LedgerPolicy(thanks_given_per_day=0, thanks_pair_cooldown_hours=0, max_from_same_giver=0)


def make(db: Database, clock: FakeClock, policy: LedgerPolicy = POLICY) -> tuple[LedgerService, RewardsService]:
    rewards = RewardsService(db, clock, policy_for=lambda g: policy)
    return LedgerService(db, clock, lambda g: policy, on_change=rewards.on_contribution), rewards


def rule(**values: Any) -> RewardConfig:
    return RewardConfig.model_validate(values, strict=False)


async def nxt(ledger: LedgerService, rewards: RewardsService) -> Any:
    return await rewards.next_reward(G, ALICE, await ledger.profile(G, ALICE, receipts=0))


def test_nearest_is_the_smallest_relative_gap_then_the_smallest_amount() -> None:
    a = RewardProgress("a", "", "point", "", 90, 100)   # gap .10
    b = RewardProgress("b", "", "point", "", 8, 10)     # gap .20
    c = RewardProgress("c", "", "point", "", 0, 1)      # gap 1, 1 to go
    d = RewardProgress("d", "", "point", "", 0, 5)      # gap 1, 5 to go
    assert nearest([b, a, d, c]).rule == "a"
    assert nearest([d, c]).rule == "c"
    assert RewardProgress("x", "", "point", "", 120, 100).fraction == 1.0


async def test_only_threshold_rules_count_and_disabled_ones_are_ignored(db: Database, clock: FakeClock) -> None:
    ledger, rewards = make(db, clock)
    assert (await nxt(ledger, rewards)).state == "none"
    await rewards.save_rule(G, rule(name="joiner", trigger={"event": "beta_joined"}, dm="hi"), actor_id=None)
    await rewards.save_rule(G, rule(name="creator", trigger={"ladder_stage": "creator"}, dm="hi"), actor_id=None)
    await rewards.save_rule(G, rule(name="off", trigger={"points": 5}, dm="hi"), actor_id=None,
                            problems=["role above the bot"])
    assert (await nxt(ledger, rewards)).state == "none"
    await rewards.save_rule(G, rule(name="ten", trigger={"points": 10}, dm="hi"), actor_id=None)
    got = await nxt(ledger, rewards)
    assert got.state == "next" and (got.progress.rule, got.progress.current, got.progress.target) == ("ten", 0, 10)


async def test_roles_that_rule_a_reward_out_skip_it(db: Database, clock: FakeClock) -> None:
    ledger, rewards = make(db, clock)
    await rewards.save_rule(G, rule(name="vip-only", trigger={"points": 5}, dm="hi",
                                    conditions={"has_role": [VIP]}), actor_id=None)
    await rewards.save_rule(G, rule(name="no-staff", trigger={"points": 50}, dm="hi",
                                    conditions={"lacks_role": [STAFF], "min_account_age_days": 30}), actor_id=None)
    roles: dict[int, frozenset[int] | None] = {ALICE: frozenset({STAFF})}
    rewards.facts_provider = lambda g, u: MemberFacts(u, role_ids=roles[u])
    assert (await nxt(ledger, rewards)).state == "none_left"  # neither can be earned with these roles
    roles[ALICE] = frozenset({VIP})
    assert (await nxt(ledger, rewards)).progress.rule == "vip-only"
    roles[ALICE] = None  # roles unknown (not cached): nothing is ruled out
    assert (await nxt(ledger, rewards)).progress.rule == "vip-only"


async def test_season_rules_only_while_a_season_runs_and_revoked_rewards_come_back(
    db: Database, clock: FakeClock
) -> None:
    now = clock.now()
    season = Season("s1", now + timedelta(days=10), now + timedelta(days=40))
    ledger, rewards = make(db, clock, LedgerPolicy(seasons=(season,), thanks_given_per_day=0,
                                                    thanks_pair_cooldown_hours=0, max_from_same_giver=0))
    await rewards.save_rule(G, rule(name="season", trigger={"points": 20, "season": True}, dm="hi"), actor_id=None)
    await rewards.save_rule(G, rule(name="first", trigger={"kind": "answer", "count": 1}, dm="hi"), actor_id=None)
    await ledger.credit(G, ALICE, "answer", source_key="a:1", actor_id=None)
    assert (await nxt(ledger, rewards)).state == "none_left"  # first earned; no season yet
    await clock.advance(timedelta(days=11))
    await ledger.credit(G, ALICE, "thanks", source_key="t:1", actor_id=None)
    got = await nxt(ledger, rewards)
    assert (got.progress.rule, got.progress.current, got.progress.scope) == ("season", 2, " this season")
    async with db.begin() as conn:  # the "first" reward is revoked (e.g. demoted): it can be earned again
        for grant in await repo.rule_grants(conn, G, ALICE, "first"):
            await repo.set_values(conn, grant.id, status="revoked")
    got = await nxt(ledger, rewards)
    assert (got.progress.rule, got.progress.again, got.progress.current, got.progress.remaining) == (
        "first", True, 1, 0)  # threshold already met: the gap is 0
