"""The search index (SQLAlchemy Core): one row per searchable thing (a feedback item, a help post).

On SQLite the full-text index is the FTS5 virtual table ``search_fts`` (external content = this table, porter
tokenizer), kept in step by triggers; both are created on SQLite only, by migration ``0022_similar`` and, for a
fresh database made from this MetaData (``create_all`` + stamp), by the ``after_create`` DDL below (SQLAlchemy
can't declare a virtual table). On PostgreSQL ``tsv`` is a ``tsvector``
(title weighted A, body B, answer C) written in the same statement as the row, with a GIN index.
"""

from __future__ import annotations

from sqlalchemy import DDL, Column, Index, Integer, String, Table, Text, UniqueConstraint, event

from bot.platform.db.metadata import metadata, on_postgresql
from bot.platform.db.types import Snowflake, SurrogateKey, TSVector, UTCDateTime

search_docs = Table(
    "search_docs",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("kind", String(10), nullable=False),  # feedback, help
    # The feedback id, or the help post's thread id (a key of another table, not a member: INTEGER on SQLite).
    Column("ref_id", SurrogateKey, nullable=False),
    Column("title", String(100), nullable=False),
    Column("body", Text, nullable=False, server_default=""),
    Column("answer", Text, nullable=False, server_default=""),  # help: the accepted answer
    Column("status", String(15), nullable=False),  # feedback status; help: open / solved
    Column("votes", Integer, nullable=False, server_default="0"),
    Column("thread_id", Snowflake),
    Column("author_id", Snowflake),  # reporter / asker
    Column("answerer_id", Snowflake),  # help: who wrote the accepted answer
    Column("answer_message_id", Snowflake),
    Column("language", String(30), nullable=False, server_default="english"),
    Column("tsv", Text().with_variant(TSVector(), "postgresql")),  # PostgreSQL only (NULL on SQLite)
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("kind", "ref_id"),
    Index(None, "guild_id", "kind", "status"),
    on_postgresql(Index("ix_search_docs_tsv", "tsv"), using="gin").ddl_if(dialect="postgresql"),
)

# "This solved it": a new help post marked as answered by an older solved one. One row per new post, so
# the original answerer is credited at most once for it.
search_helped = Table(
    "search_helped",
    metadata,
    Column("thread_id", Snowflake, primary_key=True, autoincrement=False),  # the new post
    Column("guild_id", Snowflake, nullable=False),
    Column("original_thread_id", Snowflake, nullable=False),
    Column("asker_id", Snowflake, nullable=False),
    Column("answerer_id", Snowflake),
    Column("credited", Integer, nullable=False, server_default="0"),  # 1 when the answerer got the credit
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "guild_id", "answerer_id", "created_at"),
)

# The same statements as migrations 0022_similar and 0027_perf (which may not import this module): a database created from the
# MetaData gets the FTS5 index and its triggers too.
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, answer, content='search_docs', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN "
    "INSERT INTO search_fts(rowid, title, body, answer) VALUES (new.id, new.title, new.body, new.answer); END",
    "CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, answer) "
    "VALUES ('delete', old.id, old.title, old.body, old.answer); END",
    "CREATE TRIGGER search_docs_au AFTER UPDATE OF title, body, answer ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, answer) "
    "VALUES ('delete', old.id, old.title, old.body, old.answer); "
    "INSERT INTO search_fts(rowid, title, body, answer) VALUES (new.id, new.title, new.body, new.answer); END",
    # Migration 0027_perf: documents per term, read by bot/search/plan.py (no storage of its own).
    "CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, 'row')",
)
for _statement in SQLITE_FTS:
    event.listen(search_docs, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
