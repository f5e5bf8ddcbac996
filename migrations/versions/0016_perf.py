"""perf: contributions.kind and member_stats.kind are VARCHAR(32) on SQLite too

0010 widened both columns to 32 on PostgreSQL only (SQLite does not enforce a VARCHAR's length), so a database
migrated on SQLite said VARCHAR(20) where the tables (and a fresh database created from them) say 32. Only the
declared type changes; the rows stay as they are.

On SQLite each table is rebuilt the way SQLite's documentation describes ("Making Other Kinds Of Table Schema
Changes"), from its own stored ``CREATE TABLE``: batch mode's order (copy, drop the old table, rename the copy)
cannot be used on ``contributions`` with foreign keys on, because dropping the old table breaks the copy's
``reverses_id`` references to it. Here the old table is renamed first (SQLite rewrites its self-reference to the
new name), the new one created under the old name, the rows copied, the old one dropped, its indexes recreated.

Revision ID: 0016_perf
Revises: 0015_emu2
Create Date: 2026-12-02 05:00:00.000000
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0016_perf"
down_revision = "0015_emu2"
branch_labels = None
depends_on = None

_KIND_TABLES = ("contributions", "member_stats")


def _rebuild_with_kind(table: str, was: int, length: int) -> None:
    bind = op.get_bind()
    create = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                          {"t": table}).scalar_one()
    indexes = list(bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"),
        {"t": table}).scalars())
    wider, found = re.subn(rf"\bkind VARCHAR\({was}\)", f"kind VARCHAR({length})", create)
    if found != 1:
        raise RuntimeError(f"{table}: expected one 'kind VARCHAR({was})' column in {create!r}")
    old = f"_perf_old_{table}"
    columns = ", ".join(f'"{row[1]}"' for row in bind.execute(sa.text(f'PRAGMA table_info("{table}")')))
    bind.execute(sa.text(f'ALTER TABLE "{table}" RENAME TO "{old}"'))
    bind.execute(sa.text(wider))
    bind.execute(sa.text(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "{old}"'))  # noqa: S608
    bind.execute(sa.text(f'DROP TABLE "{old}"'))  # its indexes go with it
    for index in indexes:
        bind.execute(sa.text(index))


def _kind_length(was: int, length: int) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL: 0010 did it
    for table in _KIND_TABLES:
        _rebuild_with_kind(table, was, length)


def upgrade() -> None:
    _kind_length(20, 32)


def downgrade() -> None:
    _kind_length(32, 20)
