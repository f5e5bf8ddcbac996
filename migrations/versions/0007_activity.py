"""scale: activity counters written behind the hot path; calendar week/month rows in member_stats

``activity_counters`` holds messages and reactions per member, channel and UTC day. The week and month
leaderboards now read ``member_stats`` rows keyed ``W<iso-year>-<iso-week>`` / ``M<year>-<month>``, kept up
by the ledger in the same transaction as each row; this migration builds them once from the existing ledger.

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-27 10:00:00.000000
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0002"
branch_labels = None
depends_on = None


def _day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _backfill() -> None:
    """Week and month rows from counted ledger rows, grouped per day in SQL and per period here."""
    bind = op.get_bind()
    c = sa.table("contributions", sa.column("guild_id"), sa.column("user_id"), sa.column("kind"),
                 sa.column("points"), sa.column("reverses_id"), sa.column("status"), sa.column("created_at"))
    created = c.c.created_at
    day = sa.func.date(sa.func.timezone("UTC", created) if bind.dialect.name == "postgresql" else created)
    step = sa.case((c.c.reverses_id.is_(None), 1), else_=-1)
    rows = bind.execute(
        sa.select(c.c.guild_id, c.c.user_id, c.c.kind, day.label("day"), sa.func.sum(c.c.points),
                  sa.func.sum(step))
        .where(c.c.status == "counted")
        .group_by(c.c.guild_id, c.c.user_id, c.c.kind, day)
    )
    sums: dict[tuple[int, int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for guild_id, user_id, kind, when, points, count in rows:
        d = _day(when)
        iso = d.isocalendar()
        for period in (f"W{iso.year}-{iso.week:02d}", f"M{d.year}-{d.month:02d}"):
            for k in (kind, "*"):
                acc = sums[(guild_id, user_id, k, period)]
                acc[0] += int(points)
                acc[1] += int(count)
    if not sums:
        return
    ms = sa.table("member_stats", sa.column("guild_id"), sa.column("user_id"), sa.column("kind"),
                  sa.column("season"), sa.column("points"), sa.column("count"))
    values = [{"guild_id": g, "user_id": u, "kind": k, "season": p, "points": v[0], "count": v[1]}
              for (g, u, k, p), v in sums.items()]
    for first in range(0, len(values), 5000):
        bind.execute(ms.insert(), values[first:first + 5000])


def upgrade() -> None:
    op.create_table(
        "activity_counters",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("messages", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reactions", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", "channel_id", "day", name=op.f("pk_activity_counters")),
    )
    with op.batch_alter_table("activity_counters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_counters_guild_id_day"), ["guild_id", "day"], unique=False)
    _backfill()


def downgrade() -> None:
    op.execute("DELETE FROM member_stats WHERE season LIKE 'W____-__' OR season LIKE 'M____-__'")
    with op.batch_alter_table("activity_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_counters_guild_id_day"))
    op.drop_table("activity_counters")
