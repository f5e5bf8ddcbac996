"""contributions on Discord: accepted solutions of help posts and featured posts

Revision ID: 0003_contrib
Revises: 0002
Create Date: 2026-11-24 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0003_contrib"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "solutions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("answerer_id", sa.BigInteger(), nullable=False),
        sa.Column("accepted_by", sa.BigInteger(), nullable=False),
        sa.Column("contribution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", migrations._types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solutions")),
        sa.UniqueConstraint("thread_id", "message_id", name=op.f("uq_solutions_thread_id_message_id")),
    )
    op.create_index(op.f("ix_solutions_guild_id_thread_id_active"), "solutions",
                    ["guild_id", "thread_id", "active"], unique=False)
    op.create_table(
        "featured_posts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("featured_by", sa.BigInteger(), nullable=True),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("showcase_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("via IN ('curator', 'starboard')", name=op.f("ck_featured_posts_via")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_featured_posts")),
        sa.UniqueConstraint("guild_id", "message_id", name=op.f("uq_featured_posts_guild_id_message_id")),
    )


def downgrade() -> None:
    op.drop_table("featured_posts")
    op.drop_index(op.f("ix_solutions_guild_id_thread_id_active"), table_name="solutions")
    op.drop_table("solutions")
