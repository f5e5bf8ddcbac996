"""setting_overrides, setting_versions: a server's own settings on top of config.toml

Revision ID: 0016_settings
Revises: 0015_emu2
Create Date: 2026-12-02 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0016_settings"
down_revision = "0015_emu2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "setting_overrides",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "key", name=op.f("pk_setting_overrides")),
    )
    op.create_table(
        "setting_versions",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_setting_versions")),
    )


def downgrade() -> None:
    op.drop_table("setting_versions")
    op.drop_table("setting_overrides")
