"""feedback_screenshots (the images of a report's form) and feedback_drafts.screenshots

Revision ID: 0025_forms
Revises: 0023_i18n
Create Date: 2026-12-02 15:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_forms"
down_revision = "0024_priv"
branch_labels = None
depends_on = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "feedback_screenshots",
        sa.Column("feedback_id", _KEY, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["feedback_id"], ["feedback.id"],
                                name=op.f("fk_feedback_screenshots_feedback_id_feedback"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("feedback_id", "position", name=op.f("pk_feedback_screenshots")),
    )
    with op.batch_alter_table("feedback_drafts") as batch:
        batch.add_column(sa.Column("screenshots", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback_drafts") as batch:
        batch.drop_column("screenshots")
    op.drop_table("feedback_screenshots")
