"""web: the staff dashboard's used login-link nonces and its sessions

Revision ID: 0008
Revises: 0002
Create Date: 2026-11-28 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0008"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_login_nonces",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("used_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_web_login_nonces")),
    )
    with op.batch_alter_table("web_login_nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_login_nonces_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", migrations._types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_web_sessions")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_guild_id_user_id"), ["guild_id", "user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_web_sessions_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_web_sessions_guild_id_user_id"))
    op.drop_table("web_sessions")
    with op.batch_alter_table("web_login_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_login_nonces_expires_at"))
    op.drop_table("web_login_nonces")
