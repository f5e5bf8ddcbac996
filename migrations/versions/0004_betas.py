"""betas: waitlist order and reminder opt-out of participants, discussion threads of announcements

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("betas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thread_id", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("beta_participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("reminders", sa.Boolean(), server_default="1", nullable=False))
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thread_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.drop_column("thread_id")
    with op.batch_alter_table("beta_participants", schema=None) as batch_op:
        batch_op.drop_column("reminders")
        batch_op.drop_column("seq")
    with op.batch_alter_table("betas", schema=None) as batch_op:
        batch_op.drop_column("thread_id")
