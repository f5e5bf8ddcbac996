"""ladder stages: each member's engagement-ladder stage, every move between stages, and the ladder they follow

``member_stages`` and ``stage_moves`` are filled here from the counted ledger rows, replayed member by member
with the default ladder (``migrations/_ladder.py``, a frozen copy of the application's replay of that time).
A guild whose configured ladder differs (``caps.curator_min_points``) is rebuilt with its own before /stats
first reads it (``stage_ladders`` holds the key of the ladder the rows were computed with).

Revision ID: 0011
Revises: 0010 (the replay needs the split feedback kinds)
Create Date: 2026-11-30 10:00:00.000000
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import migrations._types
from migrations._ladder import counted_at, default_ladder, ladder_key, replay

revision = "0011"
down_revision = "0010"  # after the feedback kinds split: the replay must see feedback_given/_acknowledged/_shipped
branch_labels = None
depends_on = None

BATCH = 5000
USERS_PER_READ = 2000


def upgrade() -> None:
    op.create_table(
        "member_stages",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("since", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_member_stages")),
    )
    op.create_index(op.f("ix_member_stages_guild_id_stage"), "member_stages", ["guild_id", "stage"], unique=False)
    op.create_table(
        "stage_moves",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("from_stage", sa.Integer(), nullable=False),
        sa.Column("to_stage", sa.Integer(), nullable=False),
        sa.Column("at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_moves")),
    )
    op.create_index(op.f("ix_stage_moves_guild_id_at"), "stage_moves", ["guild_id", "at"], unique=False)
    op.create_index(op.f("ix_stage_moves_guild_id_user_id_at"), "stage_moves", ["guild_id", "user_id", "at"],
                    unique=False)
    op.create_table(
        "stage_ladders",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("ladder", sa.String(length=40), nullable=False),
        sa.Column("built_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_stage_ladders")),
    )
    _backfill(op.get_bind())


def _backfill(bind: Any) -> None:
    """Replay every member's counted rows: one scan per guild in member order, then the inserts."""
    ladder = default_ladder()
    key = ladder_key(ladder)
    now = datetime.now(UTC)
    when = migrations._types.UTCDateTime
    contributions = sa.table(
        "contributions", sa.column("id", sa.BigInteger()), sa.column("guild_id", sa.BigInteger()),
        sa.column("user_id", sa.BigInteger()), sa.column("kind", sa.String()), sa.column("points", sa.Integer()),
        sa.column("reverses_id", sa.BigInteger()), sa.column("status", sa.String()),
        sa.column("created_at", when()), sa.column("held_until", when()),
    )
    member_stages = sa.table("member_stages", sa.column("guild_id", sa.BigInteger()),
                             sa.column("user_id", sa.BigInteger()), sa.column("stage", sa.Integer()),
                             sa.column("since", when()))
    stage_moves = sa.table("stage_moves", sa.column("guild_id", sa.BigInteger()), sa.column("user_id", sa.BigInteger()),
                           sa.column("from_stage", sa.Integer()), sa.column("to_stage", sa.Integer()),
                           sa.column("at", when()))
    stage_ladders = sa.table("stage_ladders", sa.column("guild_id", sa.BigInteger()), sa.column("ladder", sa.String()),
                             sa.column("built_at", when()))
    c = contributions.c
    guilds = [g for (g,) in bind.execute(
        sa.select(c.guild_id).where(c.status == "counted").distinct().order_by(c.guild_id))]
    for guild_id in guilds:
        stages: list[dict[str, Any]] = []
        moves: list[dict[str, Any]] = []

        def finish(guild_id: int, user_id: int, rows: list[tuple[str, int, bool, datetime, int]],
                   stages: list[dict[str, Any]], moves: list[dict[str, Any]]) -> None:
            rows.sort(key=lambda r: (r[3], r[4]))
            done = replay(ladder, [r[:4] for r in rows])
            if done is not None:
                stages.append({"guild_id": guild_id, "user_id": user_id, "stage": done.stage, "since": done.since})
                moves.extend({"guild_id": guild_id, "user_id": user_id, "from_stage": a, "to_stage": b, "at": at}
                             for a, b, at in done.moves)

        # Members in slices (no server-side cursor: the async drivers' sync adapters differ there).
        users = [u for (u,) in bind.execute(
            sa.select(c.user_id).where(c.guild_id == guild_id, c.status == "counted").distinct().order_by(c.user_id))]
        user: int | None = None
        mine: list[tuple[str, int, bool, datetime, int]] = []
        for first in range(0, len(users), USERS_PER_READ):
            part = users[first:first + USERS_PER_READ]
            result = bind.execute(
                sa.select(c.id, c.user_id, c.kind, c.points, c.reverses_id, c.created_at, c.held_until)
                .where(c.guild_id == guild_id, c.status == "counted", c.user_id >= part[0], c.user_id <= part[-1])
                .order_by(c.user_id, c.created_at, c.id)
            )
            for r in result:
                if r.user_id != user:
                    if user is not None:
                        finish(guild_id, user, mine, stages, moves)
                    user, mine = r.user_id, []
                mine.append((r.kind, r.points, r.reverses_id is not None, counted_at(r.created_at, r.held_until),
                             r.id))
        if user is not None:
            finish(guild_id, user, mine, stages, moves)
        for table, values in ((member_stages, stages), (stage_moves, moves)):
            for i in range(0, len(values), BATCH):
                bind.execute(table.insert(), values[i:i + BATCH])
        bind.execute(stage_ladders.insert().values(guild_id=guild_id, ladder=key, built_at=now))


def downgrade() -> None:
    op.drop_table("stage_ladders")
    op.drop_index(op.f("ix_stage_moves_guild_id_user_id_at"), table_name="stage_moves")
    op.drop_index(op.f("ix_stage_moves_guild_id_at"), table_name="stage_moves")
    op.drop_table("stage_moves")
    op.drop_index(op.f("ix_member_stages_guild_id_stage"), table_name="member_stages")
    op.drop_table("member_stages")
