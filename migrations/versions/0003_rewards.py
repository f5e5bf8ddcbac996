"""rewards: dispatcher bookkeeping on grants, pool limits/budgets, code expiry and voiding

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("perk_pools", schema=None) as batch_op:
        batch_op.add_column(sa.Column("per_member_limit", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("low_stock_warning", sa.Integer(), server_default="5", nullable=False))
        batch_op.add_column(sa.Column("low_stock_alerted", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("budget", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("budget_period_days", sa.Integer(), server_default="30", nullable=False))
        batch_op.add_column(sa.Column("origin", sa.String(length=10), server_default="command", nullable=False))
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", migrations._types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", migrations._types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("hold", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("cause", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("notified_at", migrations._types.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("perk_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", migrations._types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("voided_at", migrations._types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("void_reason", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("perk_codes", schema=None) as batch_op:
        batch_op.drop_column("void_reason")
        batch_op.drop_column("voided_at")
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_column("notified_at")
        batch_op.drop_column("cause")
        batch_op.drop_column("hold")
        batch_op.drop_column("message_id")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("claimed_at")
    with op.batch_alter_table("perk_pools", schema=None) as batch_op:
        batch_op.drop_column("origin")
        batch_op.drop_column("budget_period_days")
        batch_op.drop_column("budget")
        batch_op.drop_column("low_stock_alerted")
        batch_op.drop_column("low_stock_warning")
        batch_op.drop_column("per_member_limit")
