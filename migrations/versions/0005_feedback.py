"""feedback: review-queue message, reporter index, co-reporters of merged duplicates

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-22 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_channel_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("review_message_id", sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f("ix_feedback_guild_id_reporter_id"), ["guild_id", "reporter_id"],
                              unique=False)
    op.create_table(
        "feedback_coreporters",
        sa.Column("feedback_id", _KEY, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("source_feedback_id", _KEY, nullable=True),
        sa.Column("created_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["feedback_id"], ["feedback.id"],
                                name=op.f("fk_feedback_coreporters_feedback_id_feedback"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["source_feedback_id"], ["feedback.id"],
                                name=op.f("fk_feedback_coreporters_source_feedback_id_feedback"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("feedback_id", "user_id", name=op.f("pk_feedback_coreporters")),
    )


def downgrade() -> None:
    op.drop_table("feedback_coreporters")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_guild_id_reporter_id"))
        batch_op.drop_column("review_message_id")
        batch_op.drop_column("review_channel_id")
