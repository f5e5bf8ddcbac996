"""public pages: feedback.public (staff's choice; NULL = the type's default) and privacy_public_names
(members who let their name appear on the public pages)

Revision ID: 0017_public
Revises: 0016_settings
Create Date: 2026-12-02 05:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0017_public"
down_revision = "0016_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("public", sa.Boolean(), nullable=True))
    op.create_table(
        "privacy_public_names",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("since", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_privacy_public_names")),
    )


def downgrade() -> None:
    op.drop_table("privacy_public_names")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("public")
