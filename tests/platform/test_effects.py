"""The classification of failed Discord effects, typed job keys, and how the scheduler ends Drop / GiveUp."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import aiohttp
import discord
import pytest
from sqlalchemy import select

from bot.core.effect_errors import failure_of, outcome
from bot.feedback.jobs import DmKey, MentionKey, StatusLineKey
from bot.platform.clock import FakeClock
from bot.platform.db import Database
from bot.platform.jobs import store as repo
from bot.platform.jobs.effects import Action, Drop, EffectFailure, GiveUp, JobKey, Retry, classify
from bot.platform.jobs.scheduler import SchedulerSettings, TimerScheduler
from bot.platform.tables import audit_log

TABLE = [
    # (status, code) -> action, as Discord's docs define the classes
    ((429, 0), Action.RETRY),
    ((500, 0), Action.RETRY),
    ((502, 0), Action.RETRY),
    ((503, 0), Action.RETRY),
    ((504, 0), Action.RETRY),
    ((None, 0), Action.RETRY),  # timeout / connection error: no answer at all
    ((500, 50007), Action.RETRY),  # a 5xx is transient whatever its body says
    ((403, 50007), Action.FALLBACK),
    ((400, 50278), Action.FALLBACK),
    ((404, 10003), Action.DROP),
    ((404, 10008), Action.DROP),
    ((404, 10007), Action.DROP),
    ((404, 10013), Action.DROP),
    ((404, 0), Action.DROP),
    ((403, 50013), Action.REPORT),
    ((403, 50001), Action.REPORT),
    ((400, 50083), Action.UNARCHIVE),
    ((400, 50035), Action.FAIL),  # invalid form body: retrying sends the same
    ((403, 0), Action.FAIL),
]


@pytest.mark.parametrize(("failure", "action"), TABLE, ids=[f"{s}-{c}" for (s, c), _ in TABLE])
def test_classification_table(failure: tuple[int | None, int], action: Action) -> None:
    status, code = failure
    assert classify(EffectFailure(status, code)) is action


class _Response:
    def __init__(self, status: int) -> None:
        self.status = status
        self.reason = "x"


def test_discord_exceptions_map_to_status_and_code() -> None:
    forbidden = discord.Forbidden(_Response(403), {"code": 50007, "message": "Cannot send messages to this user"})
    assert failure_of(forbidden) == EffectFailure(403, 50007, "Cannot send messages to this user")
    assert outcome(forbidden)[0] is Action.FALLBACK
    server = discord.DiscordServerError(_Response(500), "oops")
    assert outcome(server)[0] is Action.RETRY
    assert outcome(discord.RateLimited(600.0))[0] is Action.RETRY
    assert outcome(TimeoutError())[0] is Action.RETRY
    assert outcome(aiohttp.ClientConnectionError())[0] is Action.RETRY
    with pytest.raises(KeyError):  # not a Discord failure: a bug, raised as it is
        outcome(KeyError("x"))


def test_typed_keys() -> None:
    assert DmKey(12, 345).dedupe() == "feedback.dm:12:345" == str(DmKey(12, 345))
    assert MentionKey.of(12, 345).dedupe() == "feedback.mention:item:12:345"
    assert StatusLineKey(item_id=7, change_id=12).dedupe() == "feedback.status_line:7:12"
    assert DmKey(12, 345) == DmKey(12, 345) and DmKey(12, 345) != MentionKey.of(12, 345)

    @dataclass(frozen=True, slots=True)
    class Bad(JobKey):
        kind: ClassVar[str] = "bad"
        part: str

    with pytest.raises(ValueError):
        Bad("a:b").dedupe()

    @dataclass(frozen=True, slots=True)
    class Nameless(JobKey):
        part: int

    with pytest.raises(TypeError):
        Nameless(1).dedupe()


async def test_drop_finishes_with_an_audit_line_and_give_up_fails_at_once(db: Database, clock: FakeClock) -> None:
    sched = TimerScheduler(db, clock, SchedulerSettings(max_attempts=5, retry_base_seconds=30))
    runs: dict[str, int] = {"drop": 0, "give_up": 0, "retry": 0}

    async def drop(payload: dict[str, Any], timer: repo.Timer) -> None:
        runs["drop"] += 1
        raise Drop("the thread was deleted", EffectFailure(404, 10003, "Unknown Channel"))

    async def give_up(payload: dict[str, Any], timer: repo.Timer) -> None:
        runs["give_up"] += 1
        raise GiveUp("post the status line", EffectFailure(403, 50013, "Missing Permissions"))

    async def retry(payload: dict[str, Any], timer: repo.Timer) -> None:
        runs["retry"] += 1
        raise Retry("send a DM", EffectFailure(500, 0))

    for name, handler in (("drop", drop), ("give_up", give_up), ("retry", retry)):
        sched.register(name, handler)
    await sched.start()
    try:
        dropped = await sched.schedule("drop", {"guild_id": 5}, dedupe_key="t.drop:1")
        failed = await sched.schedule("give_up", {})
        retried = await sched.schedule("retry", {})
        await sched.run_due()
        async with db.connect() as conn:
            d, f, r = [await repo.get(conn, i) for i in (dropped, failed, retried)]
            audits = (await conn.execute(select(audit_log).where(audit_log.c.action == "job.dropped"))).all()
        assert d is not None and d.status == "done"
        assert f is not None and f.status == "failed" and f.attempts == 1
        assert r is not None and r.status == "pending" and r.attempts == 1  # retried later, not failed
        assert len(audits) == 1 and audits[0].guild_id == 5 and audits[0].target_id == dropped
        assert audits[0].details["key"] == "t.drop:1" and "Unknown Channel" in audits[0].details["reason"]
        await clock.advance(repo.backoff(30, 1))
        assert runs == {"drop": 1, "give_up": 1, "retry": 2}
    finally:
        await sched.stop()
