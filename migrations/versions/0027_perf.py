"""search_vocab: SQLite's fts5vocab view of the search index (documents per term), so a suggestion look-up can
leave out the words too common to pick candidates (bot/search/plan.py). No storage: FTS5 reads its own index.
PostgreSQL needs nothing (it reads pg_stats).

Revision ID: 0027_perf
Revises: 0023_i18n
Create Date: 2026-12-02 15:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0027_perf"
down_revision = "0025_forms"
branch_labels = None
depends_on = None

_VOCAB = "CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, 'row')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_VOCAB)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_vocab")
