"""linked_role_links: members who linked Kudos as a Discord Linked Roles connection (tokens encrypted)

Revision ID: 0018_surfaces
Revises: 0017_public
Create Date: 2026-12-02 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0018_surfaces"
down_revision = "0017_public"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "linked_role_links",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("access_enc", sa.Text(), nullable=False),
        sa.Column("refresh_enc", sa.Text(), nullable=False),
        sa.Column("expires_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("linked_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=10), server_default="linked", nullable=False),
        sa.Column("dirty_since", migrations._types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published", sa.JSON(), nullable=True),
        sa.Column("published_at", migrations._types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('linked', 'clearing')", name=op.f("ck_linked_role_links_state")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_linked_role_links")),
    )
    with op.batch_alter_table("linked_role_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_linked_role_links_state_dirty_since"), ["state", "dirty_since"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_linked_role_links_guild_id_state"), ["guild_id", "state"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("linked_role_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_linked_role_links_guild_id_state"))
        batch_op.drop_index(batch_op.f("ix_linked_role_links_state_dirty_since"))
    op.drop_table("linked_role_links")
