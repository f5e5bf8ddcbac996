"""Feedback writers racing each other as two bot processes do (see :mod:`tests.platform.races`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.feedback import FeedbackItem, FeedbackPolicy, FeedbackService, validate_draft
from bot.ledger import LedgerPolicy, LedgerService
from bot.platform.clock import FakeClock
from bot.platform.db import Database, migrate
from tests.platform.races import ok, race

G = 100
ALICE = 11
FORUM = 5000


class Recorder:
    def __init__(self) -> None:
        self.events: list[Any] = []

    async def emit(self, conn: AsyncConnection, event: Any) -> None:
        self.events.append(event)


def service(db: Database, clock: FakeClock, rec: Recorder) -> FeedbackService:
    ledger = LedgerService(db, clock, lambda g: LedgerPolicy(thanks_given_per_day=0, max_from_same_giver=0))
    return FeedbackService(db, clock, ledger, lambda g: FeedbackPolicy(), emit=rec.emit)


async def test_a_draft_published_twice_at_once_is_published_once(db_url: str, clock: FakeClock) -> None:
    """Two publishes of one draft (e.g. two processes handling the same approval): the second sees the first's
    thread and keeps it; ``first_feedback`` is emitted once."""
    db = Database(db_url)
    await migrate.upgrade(db)
    rec = Recorder()
    try:
        draft = validate_draft("idea", "Dark mode", "Please add it", "1. open", "1.0")
        item = await service(db, clock, rec).create_draft(G, ALICE, draft, review=False)

        def publish(thread_id: int) -> Any:
            async def run(d: Database) -> FeedbackItem:
                return await service(d, clock, rec).publish(G, item.id, forum_id=FORUM, thread_id=thread_id,
                                                            status_message_id=None)
            return run

        published = ok(await race(db_url, "feedback", publish(7001), publish(7002)))
        assert len(published) == 2 and published[0].thread_id == published[1].thread_id is not None
        assert [e.name for e in rec.events] == ["first_feedback"]
        assert (await service(db, clock, rec).get(G, item.id)).thread_id == published[0].thread_id
    finally:
        await db.close()
