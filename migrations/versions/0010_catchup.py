"""catch-up: the newest message id seen live per guild (reconciliation after a full gateway reconnect)

Revision ID: 0010_catchup
Revises: 0001
Create Date: 2026-11-29 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0010_catchup"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catchup_marks",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_message_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_catchup_marks")),
    )


def downgrade() -> None:
    op.drop_table("catchup_marks")
