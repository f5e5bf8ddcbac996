"""member_locales: the locale of each member's last interaction (their DMs speak it)

Revision ID: 0023_i18n
Revises: 0022_similar
Create Date: 2026-12-02 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0023_i18n"
down_revision = "0022_similar"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_locales",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("updated_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_member_locales")),
    )


def downgrade() -> None:
    op.drop_table("member_locales")
