"""similar items: the search index (search_docs, FTS5 on SQLite / tsvector + GIN on PostgreSQL),
"This solved it" records (search_helped) and feedback drafts waiting on "Is it one of these?"

Revision ID: 0022_similar
Revises: 0021_ladder
Create Date: 2026-12-02 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import migrations._types

revision = "0022_similar"
down_revision = "0021_ladder"
branch_labels = None
depends_on = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# SQLite: an FTS5 index over search_docs (external content), the porter stemmer (English), kept in step by
# triggers in the writer's transaction. The text columns are re-indexed only when they change.
_SQLITE_FTS = [
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
]

# Existing public feedback items (drafts, held and rejected reports are not searchable).
_BACKFILL = (
    "INSERT INTO search_docs (guild_id, kind, ref_id, title, body, answer, status, votes, thread_id, author_id, "
    "language, updated_at{tsv_col}) "
    "SELECT guild_id, 'feedback', id, title, details, '', status, vote_count, thread_id, reporter_id, 'english', "
    "updated_at{tsv_val} FROM feedback "
    "WHERE thread_id IS NOT NULL AND status NOT IN ('pending_review', 'rejected')"
)
_PG_TSV = (", setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
           "setweight(to_tsvector('english', coalesce(details, '')), 'B')")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "search_docs",
        sa.Column("id", _KEY, autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("ref_id", _KEY, nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("answer", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=15), nullable=False),
        sa.Column("votes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("answerer_id", sa.BigInteger(), nullable=True),
        sa.Column("answer_message_id", sa.BigInteger(), nullable=True),
        sa.Column("language", sa.String(length=30), server_default="english", nullable=False),
        sa.Column("tsv", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"), nullable=True),
        sa.Column("updated_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_docs")),
        sa.UniqueConstraint("kind", "ref_id", name=op.f("uq_search_docs_kind_ref_id")),
    )
    op.create_index(op.f("ix_search_docs_guild_id_kind_status"), "search_docs", ["guild_id", "kind", "status"])
    if sqlite:
        for statement in _SQLITE_FTS:
            op.execute(statement)
        op.execute(_BACKFILL.format(tsv_col="", tsv_val=""))
    else:
        op.create_index("ix_search_docs_tsv", "search_docs", ["tsv"], postgresql_using="gin")
        op.execute(_BACKFILL.format(tsv_col=", tsv", tsv_val=_PG_TSV))
    op.create_table(
        "search_helped",
        sa.Column("thread_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("original_thread_id", sa.BigInteger(), nullable=False),
        sa.Column("asker_id", sa.BigInteger(), nullable=False),
        sa.Column("answerer_id", sa.BigInteger(), nullable=True),
        sa.Column("credited", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("thread_id", name=op.f("pk_search_helped")),
    )
    op.create_index(op.f("ix_search_helped_guild_id_answerer_id_created_at"), "search_helped",
                    ["guild_id", "answerer_id", "created_at"])
    op.create_table(
        "feedback_drafts",
        sa.Column("id", _KEY, autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("beta_id", _KEY, nullable=True),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("details", sa.Text(), server_default="", nullable=False),
        sa.Column("steps", sa.Text(), nullable=True),
        sa.Column("version", sa.String(length=50), nullable=True),
        sa.Column("suggested", sa.String(length=200), server_default="", nullable=False),
        sa.Column("state", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("result_id", _KEY, nullable=True),
        sa.Column("created_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('open', 'posted', 'voted')", name=op.f("ck_feedback_drafts_state")),
        sa.ForeignKeyConstraint(["beta_id"], ["betas.id"], name=op.f("fk_feedback_drafts_beta_id_betas"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_drafts")),
    )
    op.create_index(op.f("ix_feedback_drafts_guild_id_user_id"), "feedback_drafts", ["guild_id", "user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_feedback_drafts_guild_id_user_id"), table_name="feedback_drafts")
    op.drop_table("feedback_drafts")
    op.drop_index(op.f("ix_search_helped_guild_id_answerer_id_created_at"), table_name="search_helped")
    op.drop_table("search_helped")
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("search_docs_ai", "search_docs_ad", "search_docs_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    else:
        op.drop_index("ix_search_docs_tsv", table_name="search_docs")
    op.drop_index(op.f("ix_search_docs_guild_id_kind_status"), table_name="search_docs")
    op.drop_table("search_docs")
