"""Every event of the catalogue, emitted from where its cause happens (the real services built by
``build_app``, on both databases), delivered to a loopback receiver and valid against its JSON Schema; erasure
sends ``member.erased`` and later events carry the pseudonym; perk codes never appear in a payload."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.betas import BetaDraft, MemberFacts
from bot.feedback.models import Draft
from bot.platform.clock import FakeClock
from bot.platform.config import parse_config
from bot.platform.db import Database
from bot.platform.events import OUTBOUND_TYPES
from bot.platform.jobs.scheduler import TimerScheduler
from bot.rewards import store as rewards_repo
from bot.rewards.tables import grants
from bot.webhooks.schemas import schema
from bot.webhooks.tables import webhook_events
from tests.webhooks.receiver import Receiver

G, STAFF, ALICE, BOB, CHANNEL, ROLE = 100, 9, 1001, 1002, 700, 555
SECRET = "whsec_catalogue"
CODE = "PERK-CODE-SECRET-42"


@pytest.fixture
async def receiver(clock: FakeClock) -> AsyncIterator[Receiver]:
    r = await Receiver().start()
    r.clock = clock
    yield r
    await r.stop()


@pytest.fixture
async def app(db: Database, clock: FakeClock, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    monkeypatch.setenv("KUDOS_TEST_CATALOGUE_SECRET", SECRET)
    config = parse_config({
        "web": {"allow_private_webhooks": True},
        "guilds": {str(G): {"webhooks": {"endpoints": [
            {"name": "all", "url": receiver.url, "secret_env": "KUDOS_TEST_CATALOGUE_SECRET", "events": ["*"]}]}}},
    }, source="test")
    jobs = TimerScheduler(db, clock)
    built = build_app(config, db, clock, jobs, web_secret=(b"k" * 32, True))
    assert await built.webhooks.sync_config() == 1
    await jobs.start()
    yield built
    await jobs.stop()
    await built.close()


async def test_every_event_type_is_sent_valid_and_signed(app: App, clock: FakeClock, receiver: Receiver) -> None:
    fb = app.feedback
    one = await fb.create_draft(G, ALICE, Draft("bug", "Crash on save", "It closes"), review=False)
    await fb.publish(G, one.id, forum_id=CHANNEL, thread_id=5001, status_message_id=None)
    two = await fb.create_draft(G, BOB, Draft("bug", "Crashes when saving", "Same"), review=False)
    await fb.publish(G, two.id, forum_id=CHANNEL, thread_id=5002, status_message_id=None)
    await fb.vote(G, one.id, BOB)
    await fb.change_status(G, one.id, "acknowledged", actor_id=STAFF)
    await fb.change_status(G, two.id, "duplicate", actor_id=STAFF, duplicate_of=one.id)

    beta = await app.betas.create(G, STAFF, BetaDraft(name="Photos v2", channel_id=CHANNEL, cohort_role_id=ROLE))
    slot = await app.betas.reserve_slot(G, CHANNEL, subject="beta", subject_id=beta.id, actor_id=STAFF)
    await app.betas.mark_posted(slot.announcement_id, message_id=1, thread_id=2)
    await app.betas.join(G, beta.id, MemberFacts(ALICE))
    await app.betas.join(G, beta.id, MemberFacts(BOB))
    await app.betas.leave(G, beta.id, BOB)
    await app.betas.close(G, beta.id, actor_id=STAFF)

    made = await app.ledger.credit(G, ALICE, "creation", source_key="creation:1", actor_id=None, reason="a guide")
    await app.ledger.reverse(G, made.contribution_id, actor_id=STAFF, reason="oops")

    # Grants: ALICE's cohort role is delivered (with a perk code in its payload for the test), BOB's fails.
    claimed = await app.rewards.claim(limit=50)
    assert claimed
    role = next(g for g in claimed if g.user_id == ALICE and g.action == "role_add")
    async with app.db.begin() as conn:
        await conn.execute(grants.update().where(grants.c.id == role.id)
                           .values(payload={**role.payload, "code": CODE}))
    role = rewards_repo.Grant(**{**{s: getattr(role, s) for s in role.__slots__}, "payload": {**role.payload, "code": CODE}})
    assert await app.rewards.delivered(role)
    other = next(g for g in claimed if g.user_id == BOB)
    await app.rewards.failed(other, "Missing Permissions")

    await clock.advance(timedelta(seconds=1))
    by_type: dict[str, list[dict[str, Any]]] = {}
    for got in receiver.received:
        assert got.at is not None and got.verified(SECRET, got.at)
        assert CODE.encode() not in got.body
        doc = got.document
        jsonschema.validate(doc, schema(doc["type"]), format_checker=jsonschema.FormatChecker())
        assert got.headers["Kudos-Event-Type"] == doc["type"] and got.headers["Kudos-Event-Id"] == doc["id"]
        by_type.setdefault(doc["type"], []).append(doc)
    ids = [got.document["id"] for got in receiver.received]
    assert len(ids) == len(set(ids))  # each event once

    assert sorted(d["data"]["to"] for d in by_type["feedback.status_changed"]) == ["acknowledged", "duplicate"]
    [merged] = by_type["feedback.merged"]
    assert merged["data"]["feedback"]["id"] == two.id and merged["data"]["into"]["id"] == one.id
    assert [d["data"]["voter_id"] for d in by_type["feedback.voted"]] == [str(BOB)]
    assert {d["data"]["member_id"] for d in by_type["beta.joined"]} == {str(ALICE), str(BOB)}
    assert by_type["beta.left"][0]["data"]["was"] == "joined"
    assert by_type["beta.closed"][0]["data"]["participants"] == 1
    assert by_type["contribution.reversed"][0]["data"]["points"] < 0
    assert by_type["grant.delivered"][0]["data"]["member_id"] == str(ALICE)
    assert by_type["grant.failed"][0]["data"]["reason"] == "Missing Permissions"
    assert {d["data"]["member_id"] for d in by_type["member.stage_changed"]} == {str(ALICE)}
    assert set(by_type) == set(OUTBOUND_TYPES) - {"member.erased", "webhook.test"}  # test: staff only (test_staff)

    # Erasure: member.erased names the member once (for the receiver to erase its copies); the stored
    # documents now carry the pseudonym, and so do later events.
    erased = await app.privacy.forget(G, ALICE)
    await clock.advance(timedelta(seconds=1))
    [gone] = [r.document for r in receiver.received if r.document["type"] == "member.erased"]
    jsonschema.validate(gone, schema("member.erased"))
    assert gone["data"] == {"member_id": str(ALICE), "pseudonym": str(erased.pseudonym), "via": "request"}
    async with app.db.connect() as conn:
        stored = [r.body for r in await conn.execute(select(webhook_events.c.body))]
    assert stored and all(str(ALICE) not in str(body) for body in stored)  # member.erased's copy too, once sent
    await app.feedback.change_status(G, one.id, "planned", actor_id=STAFF)
    await clock.advance(timedelta(seconds=1))
    later = [r.document for r in receiver.received if r.document["type"] == "feedback.status_changed"][-1]
    assert later["data"]["to"] == "planned"
    assert later["data"]["feedback"]["reporter_id"] == str(erased.pseudonym)


async def test_a_replayed_cause_makes_no_second_event(app: App, clock: FakeClock, receiver: Receiver) -> None:
    one = await app.feedback.create_draft(G, ALICE, Draft("idea", "Dark mode", "Please"), review=False)
    await app.feedback.publish(G, one.id, forum_id=CHANNEL, thread_id=5001, status_message_id=None)
    await app.feedback.publish(G, one.id, forum_id=CHANNEL, thread_id=5001, status_message_id=None)  # a retry
    await app.feedback.vote(G, one.id, BOB)
    await app.feedback.vote(G, one.id, BOB)  # counted once: no second event
    await clock.advance(timedelta(seconds=1))
    types = sorted(r.document["type"] for r in receiver.received)
    assert types == ["contribution.credited", "feedback.created", "feedback.voted"]
