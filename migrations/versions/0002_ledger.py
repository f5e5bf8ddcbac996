"""ledger: contribution status (counted / pending / capped), hold time, system note, and indexes (incl. unique reverses_id)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=10), server_default="counted", nullable=False))
        batch_op.add_column(sa.Column("held_until", migrations._types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("note", sa.String(length=300), server_default="", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_contributions_status"), "status IN ('counted', 'pending', 'capped')"
        )
        batch_op.create_index(
            batch_op.f("ix_contributions_guild_id_actor_id_created_at"),
            ["guild_id", "actor_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_contributions_status_held_until"), ["status", "held_until"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contributions_reverses_id"),
            ["reverses_id"],
            unique=True,
            sqlite_where=sa.text("reverses_id IS NOT NULL"),
            postgresql_where=sa.text("reverses_id IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contributions_reverses_id"))
        batch_op.drop_index(batch_op.f("ix_contributions_status_held_until"))
        batch_op.drop_index(batch_op.f("ix_contributions_guild_id_actor_id_created_at"))
        batch_op.drop_constraint(op.f("ck_contributions_status"), type_="check")
        batch_op.drop_column("note")
        batch_op.drop_column("held_until")
        batch_op.drop_column("status")
