"""privacy and insights: tracking opt-outs (/mydata tracking off) and help-forum posts (answer rate)

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-25 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_optouts",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tracking_off_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_privacy_optouts")),
    )
    op.create_table(
        "help_posts",
        sa.Column("thread_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("forum_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("thread_id", name=op.f("pk_help_posts")),
    )
    with op.batch_alter_table("help_posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_help_posts_guild_id_created_at"), ["guild_id", "created_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("help_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_help_posts_guild_id_created_at"))
    op.drop_table("help_posts")
    op.drop_table("privacy_optouts")
