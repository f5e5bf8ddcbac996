"""The feedback service on both backends: intake, review, transitions, votes, followers, duplicates, credit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.feedback import FeedbackPolicy, FeedbackService, validate_draft
from bot.feedback.jobs import DmKey, StatusLineKey
from bot.feedback.tables import feedback_votes
from bot.ledger import DEFAULT_POINTS, LedgerPolicy, LedgerService
from bot.ledger.tables import contributions
from bot.platform.clock import FakeClock
from bot.platform.db import Database
from bot.platform.errors import Conflict, InvalidInput, NotFound
from bot.platform.jobs.effects import JobKey

G = 100
ALICE, BOB, CAROL, DAN, STAFF = 11, 22, 33, 44, 99
FORUM = 5000


class Recorder:
    def __init__(self) -> None:
        self.events: list[Any] = []
        self.jobs: list[tuple[JobKey, dict[str, Any]]] = []

    async def emit(self, conn: AsyncConnection, event: Any) -> None:
        self.events.append(event)

    async def job(self, conn: AsyncConnection, key: JobKey, payload: dict[str, Any]) -> None:
        self.jobs.append((key, payload))

    @property
    def notices(self) -> list[dict[str, Any]]:
        """The DM jobs grouped by change, in order: the notice's payload and whom it goes to."""
        by_change: dict[int, dict[str, Any]] = {}
        for key, payload in self.jobs:
            if isinstance(key, DmKey):
                assert key.dedupe() == f"feedback.dm:{payload['change_id']}:{payload['user_id']}"
                notice = by_change.setdefault(key.change_id, {**payload, "recipients": []})
                notice["recipients"].append(key.user_id)
        return list(by_change.values())


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def policy() -> dict[str, FeedbackPolicy]:
    return {"p": FeedbackPolicy()}


@pytest.fixture
def svc(db: Database, clock: FakeClock, rec: Recorder, policy: dict[str, FeedbackPolicy]) -> FeedbackService:
    ledger = LedgerService(db, clock, lambda g: LedgerPolicy(thanks_given_per_day=0, max_from_same_giver=0))
    return FeedbackService(db, clock, ledger, lambda g: policy["p"], emit=rec.emit, schedule_job=rec.job)


_threads = iter(range(7000, 8000))


async def _report(svc: FeedbackService, reporter: int = ALICE, title: str = "Dark mode", type_: str = "idea"):
    draft = validate_draft(type_, title, "Please add it", "1. open", "1.0")
    item = await svc.create_draft(G, reporter, draft)
    return await svc.publish(G, item.id, forum_id=FORUM, thread_id=next(_threads), status_message_id=None)


async def _points(db: Database, user_id: int) -> int:
    async with db.connect() as conn:
        stmt = select(func.coalesce(func.sum(contributions.c.points), 0)).where(contributions.c.user_id == user_id)
        return int((await conn.execute(stmt)).scalar_one())


async def _kinds(db: Database, user_id: int) -> dict[str, tuple[int, int]]:
    """``{kind: (points, rows)}`` of the member's ledger rows."""
    async with db.connect() as conn:
        c = contributions.c
        rows = await conn.execute(select(c.kind, func.sum(c.points), func.count()).where(c.user_id == user_id)
                                  .group_by(c.kind))
        return {k: (int(p), int(n)) for k, p, n in rows}


# ----------------------------------------------------------------------------------------------- intake


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("rant", "t", "d"), "Unknown feedback type"),
        (("idea", "  ", "d"), "title is empty"),
        (("idea", "x" * 101, "d"), "keep it to 100"),
        (("idea", "t", ""), "details are empty"),
        (("bug", "t", "d", "", "1.0"), "steps to reproduce"),
        (("bug", "t", "d", "1. x", None), "version"),
        (("idea", "t", "d", None, "v" * 51), "keep it to 50"),
    ],
)
def test_validate_draft_explains_each_problem(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        validate_draft(*args)


def test_validate_draft_normalizes() -> None:
    draft = validate_draft(" Bug ", " Crash on save ", " boom ", " 1. save ", " 2.1 ")
    assert (draft.type, draft.title, draft.details, draft.steps, draft.version) == (
        "bug", "Crash on save", "boom", "1. save", "2.1")
    assert validate_draft("idea", "t", "d").steps is None


async def test_publish_credits_once_and_emits_first_feedback_once(svc: FeedbackService, db: Database,
                                                                  rec: Recorder) -> None:
    item = await _report(svc)
    assert item.status == "new" and item.thread_id is not None
    again = await svc.publish(G, item.id, forum_id=FORUM, thread_id=item.thread_id, status_message_id=None)
    assert again.id == item.id
    assert await _points(db, ALICE) == 5
    await _report(svc, title="Second")
    assert await _points(db, ALICE) == 10
    assert [e.name for e in rec.events] == ["first_feedback"]
    assert rec.events[0].user_id == ALICE and rec.events[0].data["feedback_id"] == item.id


async def test_record_post_is_idempotent_on_the_thread(svc: FeedbackService, db: Database) -> None:
    draft = validate_draft("bug", "Crash", "It crashes", require_bug_fields=False)
    first, created = await svc.record_post(G, BOB, forum_id=FORUM, thread_id=4242, draft=draft)
    second, created_again = await svc.record_post(G, BOB, forum_id=FORUM, thread_id=4242, draft=draft)
    assert created and not created_again and first.id == second.id
    assert await _points(db, BOB) == 5


# ----------------------------------------------------------------------------------------------- review


async def test_review_queue_approve_and_reject(svc: FeedbackService, db: Database, rec: Recorder) -> None:
    held = await svc.create_draft(G, ALICE, validate_draft("idea", "Held", "d"), review=True)
    assert held.status == "pending_review"
    with pytest.raises(NotFound):
        await svc.vote(G, held.id, BOB)
    with pytest.raises(InvalidInput, match="review queue"):
        await svc.change_status(G, held.id, "acknowledged", actor_id=STAFF)
    claimed = await svc.claim_review(G, held.id, STAFF)
    assert claimed.status == "new" and claimed.thread_id is None
    with pytest.raises(Conflict, match="already handled"):
        await svc.claim_review(G, held.id, STAFF)
    assert await _points(db, ALICE) == 0  # no credit until it is public
    published = await svc.publish(G, held.id, forum_id=FORUM, thread_id=9999, status_message_id=9999)
    assert published.status == "new" and await _points(db, ALICE) == 5

    other = await svc.create_draft(G, BOB, validate_draft("idea", "Spam", "d"), review=True)
    rejected = await svc.reject(G, other.id, STAFF, "off topic")
    assert rejected.status == "rejected" and rejected.status_note == "off topic"
    assert rec.notices[-1]["event"] == "rejected" and rec.notices[-1]["recipients"] == [BOB]
    with pytest.raises(Conflict):
        await svc.reject(G, other.id, STAFF)
    assert await _points(db, BOB) == 0


async def test_unclaim_puts_an_approved_report_back(svc: FeedbackService) -> None:
    held = await svc.create_draft(G, ALICE, validate_draft("idea", "Held", "d"), review=True)
    await svc.claim_review(G, held.id, STAFF)
    await svc.unclaim_review(G, held.id)
    assert (await svc.get(G, held.id)).status == "pending_review"


# ----------------------------------------------------------------------------------------------- lifecycle


async def test_lifecycle_credits_events_and_notices(svc: FeedbackService, db: Database, rec: Recorder,
                                                    clock: FakeClock) -> None:
    item = await _report(svc)
    await svc.vote(G, item.id, BOB)
    await svc.toggle_follow(G, item.id, CAROL)
    await svc.toggle_follow(G, item.id, BOB)  # a voter who also follows is told once
    await clock.advance(timedelta(hours=3))
    change = await svc.change_status(G, item.id, "acknowledged", actor_id=STAFF, note="on our list")
    assert change.previous == "new" and change.item.status == "acknowledged"
    assert change.recipients == [ALICE, BOB, CAROL]
    assert change.item.first_staff_response_at is not None
    assert change.item.first_staff_response_at - change.item.created_at == timedelta(hours=3)
    await svc.change_status(G, item.id, "planned", actor_id=STAFF)
    # heard once, not again for planned
    assert await _kinds(db, ALICE) == {"feedback_given": (5, 1), "feedback_acknowledged": (3, 1)}
    shipped = await svc.change_status(G, item.id, "shipped", actor_id=STAFF, version="2.0")
    assert shipped.item.version == "2.0"
    assert await _kinds(db, ALICE) == {"feedback_given": (5, 1), "feedback_acknowledged": (3, 1),
                                       "feedback_shipped": (10, 1)}
    assert [e.name for e in rec.events] == ["first_feedback", "feedback_shipped"]
    assert rec.events[-1].data["version"] == "2.0"
    assert [n["status"] for n in rec.notices] == ["acknowledged", "planned", "shipped"]
    assert rec.notices[-1]["recipients"] == [ALICE, BOB, CAROL]
    # one thread job per change, keyed by item and change; the DMs of a change share its change id
    lines = [(k, p) for k, p in rec.jobs if isinstance(k, StatusLineKey)]
    assert [p["status"] for _, p in lines] == ["acknowledged", "planned", "shipped"]
    assert [k.change_id for k, _ in lines] == [n["change_id"] for n in rec.notices]
    assert len({k.change_id for k, _ in lines}) == 3
    assert all(k.dedupe() == f"feedback.status_line:{item.id}:{k.change_id}" for k, _ in lines)


@pytest.mark.parametrize(
    ("path", "status", "kwargs", "message"),
    [
        ([], "new", {}, "can't go from new to new|already new"),
        ([], "shipped", {}, "which version"),
        ([], "declined", {}, "reason"),
        ([], "duplicate", {}, "which report"),
        ([], "planned", {"duplicate_of": 3}, "only goes with the duplicate"),
        ([("acknowledged", {})], "acknowledged", {}, "already acknowledged"),
        ([("shipped", {"version": "1"})], "planned", {}, "has shipped, which is final"),
        ([("in_progress", {})], "acknowledged", {}, "can't go from in progress to acknowledged"),
        ([], "wontfix", {}, "Unknown status"),
    ],
)
async def test_invalid_transitions_are_explained(svc: FeedbackService, path: list[tuple[str, dict[str, Any]]],
                                                 status: str, kwargs: dict[str, Any], message: str) -> None:
    item = await _report(svc)
    for step, extra in path:
        await svc.change_status(G, item.id, step, actor_id=STAFF, **extra)
    with pytest.raises(InvalidInput, match=message):
        await svc.change_status(G, item.id, status, actor_id=STAFF, **kwargs)


async def test_unknown_item_is_not_found(svc: FeedbackService) -> None:
    with pytest.raises(NotFound, match="no feedback #404"):
        await svc.change_status(G, 404, "acknowledged", actor_id=STAFF)


async def test_declined_can_be_reconsidered(svc: FeedbackService) -> None:
    item = await _report(svc)
    await svc.change_status(G, item.id, "declined", actor_id=STAFF, note="not now")
    change = await svc.change_status(G, item.id, "planned", actor_id=STAFF)
    assert change.item.status == "planned"


# ----------------------------------------------------------------------------------------------- votes


async def test_votes_count_once_and_self_votes_do_not_count(svc: FeedbackService, db: Database,
                                                            policy: dict[str, FeedbackPolicy]) -> None:
    item = await _report(svc)
    assert (await svc.vote(G, item.id, BOB)).status == "counted"
    assert (await svc.vote(G, item.id, BOB)).status == "already"
    own = await svc.vote(G, item.id, ALICE)
    assert own.status == "own" and own.item.vote_count == 1
    assert (await svc.get(G, item.id)).vote_count == 1
    policy["p"] = FeedbackPolicy(self_votes_count=True)
    assert (await svc.vote(G, item.id, ALICE)).item.vote_count == 2
    async with db.connect() as conn:
        rows = (await conn.execute(select(func.count()).select_from(feedback_votes))).scalar_one()
    assert rows == 2


async def test_follow_toggles(svc: FeedbackService) -> None:
    item = await _report(svc)
    assert (await svc.toggle_follow(G, item.id, BOB))[0] is True
    assert (await svc.toggle_follow(G, item.id, BOB))[0] is False
    following, message = await svc.toggle_follow(G, item.id, ALICE)
    assert following and "your report" in message
    assert await svc.recipients_of(G, item.id) == [ALICE]


async def test_top_board_orders_by_votes_and_filters(svc: FeedbackService) -> None:
    a = await _report(svc, title="A")
    b = await _report(svc, title="B", type_="bug")
    c = await _report(svc, title="C")
    for voter in (BOB, CAROL):
        await svc.vote(G, b.id, voter)
    await svc.vote(G, c.id, BOB)
    assert [i.id for i in await svc.top(G)] == [b.id, c.id, a.id]
    assert [i.id for i in await svc.top(G, type_="idea")] == [c.id, a.id]
    await svc.change_status(G, b.id, "shipped", actor_id=STAFF, version="1")
    assert [i.id for i in await svc.top(G)] == [c.id, a.id]  # the board shows open items only
    assert await svc.top(G, beta_id=12) == []


# ----------------------------------------------------------------------------------------------- duplicates


async def test_duplicate_merge_moves_votes_followers_and_credits_co_reporter(
    svc: FeedbackService, db: Database, rec: Recorder
) -> None:
    original = await _report(svc, ALICE, "Dark mode")
    dup = await _report(svc, BOB, "Night theme")
    await svc.vote(G, original.id, CAROL)
    await svc.vote(G, dup.id, CAROL)  # voted on both: counts once
    await svc.vote(G, dup.id, DAN)
    await svc.vote(G, dup.id, ALICE)  # the original's reporter: not counted on her own report
    await svc.toggle_follow(G, dup.id, 55)
    change = await svc.change_status(G, dup.id, "duplicate", actor_id=STAFF, duplicate_of=original.id)
    assert change.item.status == "duplicate" and change.item.duplicate_of == original.id
    assert change.item.vote_count == 0
    assert change.recipients[0] == BOB and sorted(change.recipients[1:]) == [ALICE, CAROL, DAN, 55]
    merged = await svc.get(G, original.id)
    assert merged.vote_count == 3  # carol, dan, and bob (the co-reporter)
    recipients = await svc.recipients_of(G, original.id)
    assert recipients[:2] == [ALICE, BOB] and sorted(recipients[2:]) == [CAROL, DAN, 55]
    with pytest.raises(Conflict, match="merged into"):
        await svc.vote(G, dup.id, 77)
    await svc.change_status(G, original.id, "shipped", actor_id=STAFF, version="3.0")
    shipped_for = sorted(e.user_id for e in rec.events if e.name == "feedback_shipped")
    assert shipped_for == [ALICE, BOB]
    assert await _kinds(db, BOB) == {"feedback_given": (5, 1), "feedback_shipped": (10, 1)}


async def test_duplicate_of_itself_or_a_cycle_is_refused(svc: FeedbackService) -> None:
    a = await _report(svc, title="A")
    b = await _report(svc, title="B")
    c = await _report(svc, title="C")
    with pytest.raises(InvalidInput, match="itself"):
        await svc.change_status(G, a.id, "duplicate", actor_id=STAFF, duplicate_of=a.id)
    await svc.change_status(G, b.id, "duplicate", actor_id=STAFF, duplicate_of=a.id)
    # c into b follows b to its original a
    change = await svc.change_status(G, c.id, "duplicate", actor_id=STAFF, duplicate_of=b.id)
    assert change.target is not None and change.target.id == a.id
    with pytest.raises(NotFound):
        await svc.change_status(G, a.id, "duplicate", actor_id=STAFF, duplicate_of=999)
    with pytest.raises(InvalidInput, match="cycle"):
        await svc.change_status(G, a.id, "duplicate", actor_id=STAFF, duplicate_of=b.id)


async def test_staff_response_recorded_once(svc: FeedbackService, clock: FakeClock) -> None:
    item = await _report(svc)
    assert item.thread_id is not None
    assert await svc.record_staff_response(G, item.thread_id)
    assert not await svc.record_staff_response(G, item.thread_id)
    assert (await svc.get(G, item.id)).first_staff_response_at == clock.now()


async def test_page_and_export(svc: FeedbackService) -> None:
    ids = [(await _report(svc, title=f"T{i}")).id for i in range(5)]
    page = await svc.page(G, limit=2)
    assert page.total == 5 and [i.id for i in page.items] == ids[::-1][:2]
    page2 = await svc.page(G, offset=4, limit=2)
    assert [i.id for i in page2.items] == [ids[0]]
    assert [i.id for i in await svc.export(G)] == ids


async def test_stale_drafts_are_purged(svc: FeedbackService, clock: FakeClock) -> None:
    stale = await svc.create_draft(G, ALICE, validate_draft("idea", "Lost", "d"))
    held = await svc.create_draft(G, ALICE, validate_draft("idea", "Held", "d"), review=True)
    public = await _report(svc)
    await clock.advance(timedelta(hours=2))
    fresh = await svc.create_draft(G, ALICE, validate_draft("idea", "Fresh", "d"))
    assert await svc.purge_stale_drafts() == 1
    with pytest.raises(NotFound):
        await svc.get(G, stale.id)
    for kept in (held, public, fresh):
        assert (await svc.get(G, kept.id)).id == kept.id


async def test_a_draft_whose_post_job_is_still_pending_is_not_purged(svc: FeedbackService, db: Database,
                                                                     clock: FakeClock) -> None:
    """A restart after a long outage: the draft's ``feedback.open_post`` job still retries, and that job posts
    it (or discards it and tells the reporter): purging it would lose the report without a word."""
    from bot.feedback.jobs import OpenPostKey
    from bot.platform.jobs import store as jobs_store

    waiting = await svc.create_draft(G, ALICE, validate_draft("idea", "Waiting", "d"))
    lost = await svc.create_draft(G, ALICE, validate_draft("idea", "Lost", "d"))
    async with db.begin() as conn:
        await jobs_store.create(conn, event="feedback.open_post", payload={"guild_id": G, "feedback_id": waiting.id},
                                due_at=clock.now(), now=clock.now(), dedupe_key=OpenPostKey(waiting.id).dedupe())
    await clock.advance(timedelta(hours=2))
    assert await svc.purge_stale_drafts() == 1
    assert (await svc.get(G, waiting.id)).thread_id is None
    with pytest.raises(NotFound):
        await svc.get(G, lost.id)


async def test_concurrent_votes_are_all_counted_once(svc: FeedbackService, db: Database) -> None:
    import asyncio

    item = await _report(svc)
    voters = list(range(1000, 1020))
    results = await asyncio.gather(*(svc.vote(G, item.id, v) for v in voters + voters[:5]))
    assert sorted(r.status for r in results).count("counted") == 20
    assert (await svc.get(G, item.id)).vote_count == 20
    async with db.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(feedback_votes))).scalar_one() == 20


async def test_beta_lookups(svc: FeedbackService, db: Database, clock: FakeClock) -> None:
    from sqlalchemy import insert

    from bot.betas.tables import betas

    async with db.begin() as conn:
        for beta_id, name, forum in ((1, "Camera 2", 900), (2, "Cloud sync", None)):
            await conn.execute(insert(betas).values(id=beta_id, guild_id=G, name=name, eligibility={},
                                                    feedback_forum_id=forum, created_by=STAFF,
                                                    created_at=clock.now()))
    assert await svc.beta_names(G, "c") == ["Cloud sync", "Camera 2"]
    assert await svc.beta_names(G, "CAM") == ["Camera 2"]
    assert await svc.beta_by_name(G, " Camera 2 ") == 1
    assert await svc.beta_forum(G, 1) == 900 and await svc.beta_forum(G, 2) is None
    assert await svc.beta_for_forum(G, 900) == 1 and await svc.beta_forums(G) == {900}
    with pytest.raises(NotFound, match="no beta named"):
        await svc.beta_by_name(G, "Nope")
    with pytest.raises(NotFound, match="no beta #5"):
        await svc.beta_forum(G, 5)


async def test_stage_kinds_use_their_own_points_and_count_even_at_zero(db: Database, clock: FakeClock) -> None:
    points = {"feedback_given": 2, "feedback_acknowledged": 0, "feedback_shipped": 25}
    ledger = LedgerService(db, clock, lambda g: LedgerPolicy(points={**DEFAULT_POINTS, **points}))
    svc = FeedbackService(db, clock, ledger, lambda g: FeedbackPolicy())
    item = await _report(svc)
    await svc.change_status(G, item.id, "in_progress", actor_id=STAFF)
    await svc.change_status(G, item.id, "shipped", actor_id=STAFF, version="1.1")
    assert await _kinds(db, ALICE) == {"feedback_given": (2, 1), "feedback_acknowledged": (0, 1),
                                       "feedback_shipped": (25, 1)}
    profile = await ledger.profile(G, ALICE)
    assert profile.counts_by_kind["feedback_acknowledged"] == 1 and profile.points_by_kind["feedback_shipped"] == 25


def test_split_version_takes_the_steps_last_line() -> None:
    """The form has five fields, so a bug's version is the steps' last line (docs/feedback.md, The form)."""
    from bot.feedback.models import split_version

    assert split_version("1. Save\n2. Crash\nVersion: 2.4.1") == ("1. Save\n2. Crash", "2.4.1")
    assert split_version("1. Save\n  version = 2.5 beta  \n") == ("1. Save", "2.5 beta")
    assert split_version("1. Speichern\nバージョン： 3.0", ("バージョン",)) == ("1. Speichern", "3.0")
    assert split_version("Version: 1.0\n1. Save") == ("Version: 1.0\n1. Save", None)  # only the last line
    assert split_version("1. Save") == ("1. Save", None) and split_version(None) == ("", None)
