"""announce: content of staff announcements (/announce), their reply count, private beta channels

``announcements`` rows now carry what ``/announce`` posts (title, text, an optional image kept as bytes so
a post scheduled days ahead does not depend on an expiring attachment URL, an optional role to ping) and the
number of members who replied in the discussion thread, counted by a timer after posting. ``betas`` gets the
private channel its cohort role opens.

Revision ID: 0009
Revises: 0004
Create Date: 2026-11-28 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title", sa.String(length=256), server_default="", nullable=False))
        batch_op.add_column(sa.Column("body", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("image", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("image_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("ping_role_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("replies", sa.Integer(), nullable=True))
    with op.batch_alter_table("betas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("private_channel_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("betas", schema=None) as batch_op:
        batch_op.drop_column("private_channel_id")
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.drop_column("replies")
        batch_op.drop_column("ping_role_id")
        batch_op.drop_column("image_name")
        batch_op.drop_column("image")
        batch_op.drop_column("body")
        batch_op.drop_column("title")
