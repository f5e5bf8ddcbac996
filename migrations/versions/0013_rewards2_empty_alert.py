"""perk pools: an "out of codes" alert flag of its own (the "running low" one no longer silences it)

Revision ID: 0013_rewards2
Revises: 0012
Create Date: 2026-12-02 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_rewards2"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("perk_pools") as batch:
        batch.add_column(sa.Column("empty_alerted", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("perk_pools") as batch:
        batch.drop_column("empty_alerted")
