"""Writes to the search index, inside the caller's transaction (the feedback item's, the help post's), so
the index never disagrees with what committed. One statement each; on PostgreSQL the ``tsvector`` is
computed in the same statement, on SQLite the FTS5 triggers of migration ``0016_similar`` follow the row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import cast, delete, func, literal_column, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.db.types import RegConfig
from bot.platform.db.upsert import insert_for
from bot.search.tables import search_docs

d = search_docs.c


def _tsv(language: Any, title: Any, body: Any, answer: Any) -> Any:
    lang = cast(language, RegConfig())

    def part(value: Any, weight: str) -> Any:  # weight: A-D, an untyped literal so it is PostgreSQL's "char"
        return func.setweight(func.to_tsvector(lang, func.coalesce(value, "")), literal_column(f"'{weight}'"))

    return part(title, "A").op("||")(part(body, "B")).op("||")(part(answer, "C"))


async def put(conn: AsyncConnection, *, guild_id: int, kind: str, ref_id: int, title: str, body: str,
              status: str, now: datetime, votes: int = 0, thread_id: int | None = None,
              author_id: int | None = None, language: str = "english") -> None:
    """Index (or re-index) one item: its text, status and votes."""
    values: dict[str, Any] = dict(guild_id=guild_id, kind=kind, ref_id=ref_id, title=title[:100], body=body,
                                  status=status, votes=votes, thread_id=thread_id, author_id=author_id,
                                  language=language, updated_at=now)
    stmt = insert_for(conn, search_docs).values(**values)
    keep = ["title", "body", "status", "votes", "thread_id", "language", "updated_at"]
    set_: dict[str, Any] = {k: stmt.excluded[k] for k in keep}
    if conn.dialect.name == "postgresql":
        stmt = insert_for(conn, search_docs).values(**values, tsv=_tsv(language, title[:100], body, ""))
        set_ = {k: stmt.excluded[k] for k in keep}
        set_["tsv"] = _tsv(stmt.excluded.language, stmt.excluded.title, stmt.excluded.body, d.answer)
    await conn.execute(stmt.on_conflict_do_update(index_elements=["kind", "ref_id"], set_=set_))


async def set_state(conn: AsyncConnection, kind: str, ref_id: int, *, now: datetime, status: str | None = None,
                    votes: int | None = None) -> None:
    """A new status and / or vote count (no text change, so the full-text index is not touched)."""
    values: dict[str, Any] = {"updated_at": now}
    if status is not None:
        values["status"] = status
    if votes is not None:
        values["votes"] = votes
    await conn.execute(update(search_docs).where(d.kind == kind, d.ref_id == ref_id).values(**values))


async def set_answer(conn: AsyncConnection, kind: str, ref_id: int, *, answer: str, answerer_id: int | None,
                     message_id: int | None, status: str, now: datetime) -> bool:
    """A help post was solved: its accepted answer becomes searchable. False when the post is not indexed."""
    values: dict[str, Any] = dict(answer=answer, answerer_id=answerer_id, answer_message_id=message_id,
                                  status=status, updated_at=now)
    if conn.dialect.name == "postgresql":
        values["tsv"] = _tsv(d.language, d.title, d.body, answer)
    result = await conn.execute(update(search_docs).where(d.kind == kind, d.ref_id == ref_id).values(**values))
    return bool(result.rowcount)


async def remove(conn: AsyncConnection, kind: str, ref_id: int) -> None:
    await conn.execute(delete(search_docs).where(d.kind == kind, d.ref_id == ref_id))


__all__ = ["put", "remove", "set_answer", "set_state"]
