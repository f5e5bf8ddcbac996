"""feedback_dms_closed: members whose DMs were found closed, remembered for a while

Revision ID: 0015_emu2
Revises: 0014_fair1
Create Date: 2026-12-02 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0015_emu2"
down_revision = "0014_fair1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback_dms_closed",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("until", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_feedback_dms_closed")),
    )


def downgrade() -> None:
    op.drop_table("feedback_dms_closed")
