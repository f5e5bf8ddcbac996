"""The search index on both databases: written in the item's transaction, FTS5 / tsvector kept in step,
ranked candidates, status as a filter and a signal, the migration's backfill of existing feedback."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from bot.platform.db import Database, migrate
from bot.search import engine, index
from bot.search.text import stem, terms

G = 7
NOW = datetime(2026, 12, 1, tzinfo=UTC)
OPEN = ("new", "acknowledged", "planned", "in_progress")


async def _put(db: Database, ref: int, title: str, body: str = "", status: str = "new", votes: int = 0) -> None:
    async with db.begin() as conn:
        await index.put(conn, guild_id=G, kind="feedback", ref_id=ref, title=title, body=body, status=status,
                        votes=votes, thread_id=1000 + ref, author_id=5, now=NOW)


async def _similar(db: Database, title: str, body: str = "", **kw: object) -> list[engine.Match]:
    async with db.connect() as conn:
        return await engine.similar(conn, guild_id=G, kind="feedback", title=title, body=body,
                                    statuses=kw.pop("statuses", OPEN), **kw)  # type: ignore[arg-type]


def test_terms_stem_and_drop_stop_words() -> None:
    assert terms("The battery drains overnight in standby") == ["battery", "drain", "overnight", "standby"]
    assert stem("batteries") == "battery" and stem("draining") == stem("drained") == "drain"


async def test_similar_finds_paraphrase_and_typo_not_unrelated(db: Database) -> None:
    await _put(db, 1, "Battery drains overnight", "Phone loses 40% while idle at night")
    await _put(db, 2, "Add dark mode to settings", "Night theme please")
    await _put(db, 3, "Crash when exporting PDF", "App closes on export")
    found = await _similar(db, "Battery drain overnight in standby")
    assert [m.ref_id for m in found] == [1] and found[0].score >= engine.DEFAULT.threshold
    assert found[0].title == "Battery drains overnight" and found[0].status == "new" and found[0].thread_id == 1001
    typo = await _similar(db, "baterry drian overnite")
    assert [m.ref_id for m in typo] == [1]
    assert await _similar(db, "Leaderboard shows wrong points") == []


async def test_status_filters_and_ranks(db: Database) -> None:
    await _put(db, 1, "Export to CSV", "spreadsheet export", status="new")
    await _put(db, 2, "Export to CSV file", "spreadsheet export", status="planned", votes=9)
    await _put(db, 3, "Export to CSV", "spreadsheet export", status="shipped")
    found = await _similar(db, "Export to CSV", "export spreadsheet")
    assert [m.ref_id for m in found][:1] == [2] and 3 not in [m.ref_id for m in found]
    assert [m.ref_id for m in await _similar(db, "Export to CSV", statuses=("shipped",))] == [3]


async def test_updates_and_deletes_follow_the_row(db: Database) -> None:
    await _put(db, 1, "Login button missing")
    await _put(db, 1, "Sign-in page blank")  # re-indexed: the old words no longer match
    assert await _similar(db, "Login button missing") == []
    assert [m.ref_id for m in await _similar(db, "sign-in page is blank")] == [1]
    async with db.begin() as conn:
        await index.set_state(conn, "feedback", 1, status="declined", now=NOW)
    assert await _similar(db, "sign-in page is blank") == []
    async with db.begin() as conn:
        await index.remove(conn, "feedback", 1)
    assert await _similar(db, "sign-in page is blank", statuses=("declined",)) == []
    if db.is_sqlite:  # the FTS5 index holds nothing for a deleted row
        async with db.connect() as conn:
            hits = await conn.execute(sa.text("SELECT count(*) FROM search_fts WHERE search_fts MATCH 'blank'"))
            assert hits.scalar_one() == 0


async def test_rolled_back_write_leaves_no_index_row(db: Database) -> None:
    class Boom(Exception):
        pass

    try:
        async with db.begin() as conn:
            await index.put(conn, guild_id=G, kind="feedback", ref_id=9, title="Ghost report", body="", status="new",
                            now=NOW)
            raise Boom
    except Boom:
        pass
    assert await _similar(db, "Ghost report") == []


async def test_help_answer_becomes_searchable(db: Database) -> None:
    async with db.begin() as conn:
        await index.put(conn, guild_id=G, kind="help", ref_id=50, title="Can't connect the bot", body="timeout",
                        status="open", now=NOW)
        assert await index.set_answer(conn, "help", 50, answer="Reset the webhook token in settings",
                                      answerer_id=6, message_id=51, status="solved", now=NOW)
    async with db.connect() as conn:
        found = await engine.similar(conn, guild_id=G, kind="help", title="connecting the bot fails",
                                     body="webhook token", statuses=("solved",))
    assert [(m.ref_id, m.answerer_id, m.answer_message_id) for m in found] == [(50, 6, 51)]


async def test_migration_indexes_existing_feedback(db_url: str) -> None:
    db = Database(db_url)
    try:
        await migrate.upgrade(db, "0015_emu2")
        fb = sa.table("feedback", *(sa.column(c) for c in (
            "id", "guild_id", "reporter_id", "type", "title", "details", "status", "thread_id", "vote_count",
            "created_at", "updated_at")))
        when = NOW.replace(tzinfo=None) if db.is_sqlite else NOW
        async with db.begin() as conn:
            for i, (title, status, thread) in enumerate([("Battery drains overnight", "planned", 501),
                                                          ("Battery drain while held", "pending_review", None)], 1):
                await conn.execute(fb.insert().values(id=i, guild_id=G, reporter_id=5, type="bug", title=title,
                                                      details="standby", status=status, thread_id=thread,
                                                      vote_count=2, created_at=when, updated_at=when))
        await migrate.upgrade(db)
        found = await _similar(db, "Battery drain overnight in standby")
        assert [(m.ref_id, m.status, m.votes) for m in found] == [(1, "planned", 2)]
    finally:
        await db.close()
