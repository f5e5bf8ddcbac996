"""feedback_merge_proposals: duplicate merges proposed by privilege holders, confirmed by staff in one click

Revision ID: 0024_priv
Revises: 0023_i18n
Create Date: 2026-12-02 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0024_priv"
down_revision = "0023_i18n"
branch_labels = None
depends_on = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "feedback_merge_proposals",
        sa.Column("id", _KEY, autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("item_id", _KEY, nullable=False),
        sa.Column("into_id", _KEY, nullable=False),
        sa.Column("proposer_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", migrations._types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("credited", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("card_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('open', 'merged', 'declined')", name=op.f("ck_feedback_merge_proposals_state")),
        sa.ForeignKeyConstraint(["item_id"], ["feedback.id"], name=op.f("fk_feedback_merge_proposals_item_id_feedback"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["into_id"], ["feedback.id"], name=op.f("fk_feedback_merge_proposals_into_id_feedback"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_merge_proposals")),
    )
    op.create_index(op.f("ix_feedback_merge_proposals_guild_id_proposer_id"), "feedback_merge_proposals",
                    ["guild_id", "proposer_id"])
    op.create_index(op.f("ix_feedback_merge_proposals_item_id"), "feedback_merge_proposals", ["item_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_feedback_merge_proposals_item_id"), table_name="feedback_merge_proposals")
    op.drop_index(op.f("ix_feedback_merge_proposals_guild_id_proposer_id"), table_name="feedback_merge_proposals")
    op.drop_table("feedback_merge_proposals")
