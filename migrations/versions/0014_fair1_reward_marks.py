"""rewards: marks that survive erasure (rules earned, codes held per keyed hash of the member; issue #19)

Two tables keyed by a member's *mark* (HMAC-SHA256 of guild and member id, 64 hex digits): ``reward_earned``
(the rules a mark earned, with the day of the latest earning) and ``perk_holders`` (codes of a pool held under
a mark). Nothing is backfilled: the key lives outside the database, and members' own rows still count.

Revision ID: 0014_fair1
Revises: 0013_rewards2
Create Date: 2026-12-02 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0014_fair1"
down_revision = "0013_rewards2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reward_earned",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("member_mark", sa.String(length=64), nullable=False),
        sa.Column("rule_name", sa.String(length=100), nullable=False),
        sa.Column("earned_on", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "member_mark", "rule_name", name=op.f("pk_reward_earned")),
    )
    op.create_table(
        "perk_holders",
        sa.Column("pool_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False,
                  nullable=False),
        sa.Column("member_mark", sa.String(length=64), nullable=False),
        sa.Column("held", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["pool_id"], ["perk_pools.id"], name=op.f("fk_perk_holders_pool_id_perk_pools"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pool_id", "member_mark", name=op.f("pk_perk_holders")),
    )


def downgrade() -> None:
    op.drop_table("perk_holders")
    op.drop_table("reward_earned")
