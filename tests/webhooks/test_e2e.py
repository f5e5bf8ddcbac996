"""Outbound webhooks end to end: the real bot on the emulator sends a signed ``feedback.status_changed`` to a
loopback receiver, exactly once across a bot restart and a 5-minute receiver outage (emulator time).

The loopback receiver needs ``[web] allow_private_webhooks = true``; the refusal of private targets without
it is tested in tests/webhooks/test_targets.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from sqlalchemy import select

from bot.sandbox.harness import Harness
from bot.webhooks.schemas import schema
from bot.webhooks.tables import webhook_deliveries, webhook_endpoints
from tests.conftest import running_harness
from tests.feedback.test_e2e import item, report
from tests.webhooks.receiver import Received, Receiver

SECRET = "whsec_test_0123456789abcdef"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = await Receiver().start()
    yield r
    await r.stop()


@pytest.fixture(params=["sqlite", "postgres"])
async def hooked(request, receiver: Receiver, tmp_path, monkeypatch) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KUDOS_TEST_HOOK_SECRET", SECRET)
    config: dict[str, Any] = {
        "web": {"allow_private_webhooks": True},
        "guilds": {"default": {"webhooks": {"endpoints": [
            {"name": "product", "url": receiver.url, "secret_env": "KUDOS_TEST_HOOK_SECRET",
             "events": ["feedback.status_changed", "feedback.voted"]},
        ]}}},
    }
    from functools import partial

    async with running_harness(request.param, partial(Harness, None, config), tmp_path) as harness:
        receiver.clock = harness.clock
        yield harness


async def deliveries(h: Harness) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(webhook_deliveries).order_by(webhook_deliveries.c.id)))


async def test_status_change_reaches_the_receiver_once_across_restart_and_outage(
        hooked: Harness, receiver: Receiver) -> None:
    h = hooked
    await report(h)
    row = await item(h)
    await receiver.stop()  # the receiver goes down before the change
    outage_started = h.clock.now()
    await h.member("sam").slash("feedback status", status="acknowledged", note="Looking into it", item=row.id)
    assert receiver.received == []
    # Five minutes of emulator time with the receiver down; the bot restarts in the middle of it.
    for minute in range(5):
        await h.advance(timedelta(seconds=60))
        if minute == 2:
            await h.restart()
    assert h.clock.now() - outage_started >= timedelta(minutes=5)
    [pending] = await deliveries(h)
    assert pending.status == "pending" and pending.attempts >= 3 and pending.last_status is None
    assert "no connection" in (pending.last_error or "")
    await receiver.start()  # back, on the same port
    for _ in range(10):
        await h.advance(timedelta(minutes=1))
    [got] = receiver.of_type("feedback.status_changed")
    doc = got.document
    jsonschema.validate(doc, schema("feedback.status_changed"), format_checker=jsonschema.FormatChecker())
    assert got.headers["Kudos-Event-Id"] == doc["id"]
    assert doc["data"]["from"] == "new" and doc["data"]["to"] == "acknowledged"
    assert doc["data"]["note"] == "Looking into it"
    assert doc["data"]["feedback"]["id"] == row.id and doc["guild_id"] == str(h.guild_id)
    assert doc["data"]["feedback"]["reporter_id"] == str(h.members["alice"])
    # Signed over the timestamp and the body with the endpoint's secret, within the replay window of now.
    assert got.at is not None
    assert got.verified(SECRET, got.at)
    assert not got.verified("another secret", got.at)
    assert not tampered(got).verified(SECRET, got.at)
    assert not got.verified(SECRET, got.at + timedelta(minutes=6))  # replayed later than the window: refused
    [done] = await deliveries(h)
    assert done.status == "delivered" and done.last_status == 200 and done.last_latency_ms is not None
    assert done.attempts >= 4
    # Later: another restart and an hour of time send nothing again.
    await h.restart()
    await h.advance(timedelta(hours=1))
    assert len(receiver.of_type("feedback.status_changed")) == 1
    assert len(receiver.received) == 1  # feedback.created is not among the endpoint's events


def tampered(got: Received) -> Received:
    return Received(got.headers, got.body.replace(b"acknowledged", b"shipped"), got.at)


async def test_a_vote_and_the_endpoint_log_and_resend(hooked: Harness, receiver: Receiver) -> None:
    h = hooked
    await report(h)
    row = await item(h)
    assert h.bot is not None
    thread_starter = h.emu.message(row.thread_id)
    await h.member("bob").click(thread_starter.id, label="Me too")
    await h.advance(timedelta(seconds=1))
    [vote] = receiver.of_type("feedback.voted")
    jsonschema.validate(vote.document, schema("feedback.voted"))
    assert vote.document["data"]["voter_id"] == str(h.members["bob"])
    assert vote.document["data"]["feedback"]["vote_count"] == 1
    async with h.bot.db.connect() as conn:
        endpoint_id = (await conn.execute(select(webhook_endpoints.c.id))).scalar_one()
    [logged] = await h.bot.app.webhooks.log(h.guild_id, endpoint_id)
    assert logged.status == "delivered" and logged.attempts == 1 and logged.type == "feedback.voted"
    # Staff resend it: the same event (same id) arrives a second time.
    await h.bot.app.webhooks.resend(h.guild_id, logged.id, actor_id=h.members["sam"])
    await h.advance(timedelta(seconds=1))
    again = receiver.of_type("feedback.voted")
    assert len(again) == 2 and again[1].document["id"] == vote.document["id"]
    assert again[1].at is not None and again[1].verified(SECRET, again[1].at)
    [logged] = await h.bot.app.webhooks.log(h.guild_id, endpoint_id)
    assert logged.status == "delivered" and logged.attempts == 2
