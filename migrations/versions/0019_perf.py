"""perf: contribution_days (ledger entries per day and kind, filled from the ledger); contributions.kind and
member_stats.kind are VARCHAR(32) on SQLite too

``contribution_days`` holds, per guild, UTC day and kind, the ledger entries of that day not reversed since:
what /stats' "contributions per day" counted from the 1M-row ledger on every call. The backfill counts every
entry that is not a reversal at its day and kind, and takes one off the original's day and kind for every
reversal (the ledger keeps the same numbers row by row from now on).

0010 widened both columns to 32 on PostgreSQL only (SQLite does not enforce a VARCHAR's length), so a database
migrated on SQLite said VARCHAR(20) where the tables (and a fresh database created from them) say 32. Only the
declared type changes; the rows stay as they are.

On SQLite each table is rebuilt the way SQLite's documentation describes ("Making Other Kinds Of Table Schema
Changes"), from its own stored ``CREATE TABLE``: batch mode's order (copy, drop the old table, rename the copy)
cannot be used on ``contributions`` with foreign keys on, because dropping the old table breaks the copy's
``reverses_id`` references to it. Here the old table is renamed first (SQLite rewrites its self-reference to the
new name), the new one created under the old name, the rows copied, the old one dropped, its indexes recreated.

Revision ID: 0019_perf
Revises: 0018_surfaces
Create Date: 2026-12-02 05:00:00.000000
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0019_perf"
down_revision = "0018_surfaces"
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


def _day(column: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    return f"substr({column}, 1, 10)"  # naive UTC text, "YYYY-MM-DD HH:MM:SS…"


def _create_contribution_days() -> None:
    op.create_table(
        "contribution_days",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "day", "kind", name=op.f("pk_contribution_days")),
    )
    op.execute(
        "INSERT INTO contribution_days (guild_id, day, kind, count) "  # noqa: S608 - constant SQL, no value
        "SELECT guild_id, day, kind, SUM(n) FROM ("
        f"SELECT guild_id, {_day('created_at')} AS day, kind, 1 AS n FROM contributions WHERE reverses_id IS NULL "
        f"UNION ALL SELECT o.guild_id, {_day('o.created_at')}, o.kind, -1 FROM contributions r "
        "JOIN contributions o ON o.id = r.reverses_id WHERE r.reverses_id IS NOT NULL"
        ") AS entries GROUP BY guild_id, day, kind"
    )


def upgrade() -> None:
    _kind_length(20, 32)
    _create_contribution_days()


def downgrade() -> None:
    op.drop_table("contribution_days")
    _kind_length(32, 20)
