"""beta_polls, beta_poll_votes, beta_poll_voters: native polls in a beta's thread and who voted

Revision ID: 0030_polls
Revises: 0023_i18n
Create Date: 2026-12-02 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0030_polls"
down_revision = "0027_perf"
branch_labels = None
depends_on = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "beta_polls",
        sa.Column("id", _KEY, autoincrement=True, nullable=False),
        sa.Column("beta_id", _KEY, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'posted', 'failed')", name=op.f("ck_beta_polls_status")),
        sa.ForeignKeyConstraint(["beta_id"], ["betas.id"], name=op.f("fk_beta_polls_beta_id_betas"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_beta_polls")),
    )
    op.create_index(op.f("ix_beta_polls_message_id"), "beta_polls", ["message_id"])
    op.create_table(
        "beta_poll_votes",
        sa.Column("poll_id", _KEY, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("answer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["beta_polls.id"], name=op.f("fk_beta_poll_votes_poll_id_beta_polls"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("poll_id", "user_id", "answer_id", name=op.f("pk_beta_poll_votes")),
    )
    op.create_table(
        "beta_poll_voters",
        sa.Column("poll_id", _KEY, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_voted_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("participant", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["beta_polls.id"],
                                name=op.f("fk_beta_poll_voters_poll_id_beta_polls"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("poll_id", "user_id", name=op.f("pk_beta_poll_voters")),
    )


def downgrade() -> None:
    op.drop_table("beta_poll_voters")
    op.drop_table("beta_poll_votes")
    op.drop_index(op.f("ix_beta_polls_message_id"), table_name="beta_polls")
    op.drop_table("beta_polls")
