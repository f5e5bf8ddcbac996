"""privileges and give-back: member_privileges, privilege_moves, staging_posts,
staging_reviews and giveback (issue #26)

Revision ID: 0021_ladder
Revises: 0020_hooks
Create Date: 2026-12-02 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0021_ladder"
down_revision = "0020_hooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_privileges",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("privilege", sa.String(length=32), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("pin", sa.String(length=10), server_default="", nullable=False),
        sa.Column("pin_reason", sa.String(length=300), server_default="", nullable=False),
        sa.Column("pinned_by", sa.BigInteger(), nullable=True),
        sa.Column("since", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("pin IN ('', 'pinned', 'revoked')", name=op.f("ck_member_privileges_pin")),
        sa.PrimaryKeyConstraint("guild_id", "user_id", "privilege", name=op.f("pk_member_privileges")),
    )
    op.create_index(op.f("ix_member_privileges_guild_id_privilege_held"), "member_privileges",
                    ["guild_id", "privilege", "held"], unique=False)
    op.create_table(
        "privilege_moves",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("privilege", sa.String(length=32), nullable=False),
        sa.Column("gained", sa.Boolean(), nullable=False),
        sa.Column("cause", sa.String(length=10), nullable=False),
        sa.Column("at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privilege_moves")),
    )
    op.create_index(op.f("ix_privilege_moves_guild_id_at"), "privilege_moves", ["guild_id", "at"], unique=False)
    op.create_index(op.f("ix_privilege_moves_guild_id_user_id_privilege"), "privilege_moves",
                    ["guild_id", "user_id", "privilege"], unique=False)
    op.create_table(
        "giveback",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source_key", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.String(length=200), server_default="", nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('perk', 'role', 'beta', 'shipped', 'staff_answer', 'staff_thanks')",
                           name=op.f("ck_giveback_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_giveback")),
        sa.UniqueConstraint("guild_id", "kind", "source_key", name=op.f("uq_giveback_guild_id_kind_source_key")),
    )
    op.create_index(op.f("ix_giveback_guild_id_user_id_at"), "giveback", ["guild_id", "user_id", "at"], unique=False)
    op.create_index(op.f("ix_giveback_guild_id_at"), "giveback", ["guild_id", "at"], unique=False)
    op.create_table(
        "staging_posts",
        sa.Column("thread_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("author_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("release_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('review', 'released')", name=op.f("ck_staging_posts_state")),
        sa.PrimaryKeyConstraint("thread_id", name=op.f("pk_staging_posts")),
    )
    op.create_index(op.f("ix_staging_posts_guild_id_author_id"), "staging_posts", ["guild_id", "author_id"],
                    unique=False)
    op.create_table(
        "staging_reviews",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("thread_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("reviewer_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=100), server_default="", nullable=False),
        sa.Column("note", sa.String(length=500), server_default="", nullable=False),
        sa.Column("accepted", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action IN ('pass', 'suggest')", name=op.f("ck_staging_reviews_action")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staging_reviews")),
        sa.UniqueConstraint("thread_id", "reviewer_id", name=op.f("uq_staging_reviews_thread_id_reviewer_id")),
    )


def downgrade() -> None:
    op.drop_table("staging_reviews")
    op.drop_index(op.f("ix_staging_posts_guild_id_author_id"), table_name="staging_posts")
    op.drop_table("staging_posts")
    op.drop_index(op.f("ix_giveback_guild_id_at"), table_name="giveback")
    op.drop_index(op.f("ix_giveback_guild_id_user_id_at"), table_name="giveback")
    op.drop_table("giveback")
    op.drop_index(op.f("ix_privilege_moves_guild_id_user_id_privilege"), table_name="privilege_moves")
    op.drop_index(op.f("ix_privilege_moves_guild_id_at"), table_name="privilege_moves")
    op.drop_table("privilege_moves")
    op.drop_index(op.f("ix_member_privileges_guild_id_privilege_held"), table_name="member_privileges")
    op.drop_table("member_privileges")
