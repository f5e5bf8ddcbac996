"""one head: merge every branch of the history (0003_contrib, 0006, 0007, 0008, 0009, 0010_catchup, 0011)

The feature branches each added their revision on top of an older one, leaving seven heads. This revision
changes no table: it joins them, so the history has one head again and a new revision has one parent.
A database at any of the old heads (or any set of them) upgrades to it by applying what it lacks.

Revision ID: 0012
Revises: 0003_contrib, 0006, 0007, 0008, 0009, 0010_catchup, 0011
Create Date: 2026-12-01 10:00:00.000000
"""

from __future__ import annotations

revision = "0012"
down_revision = ("0003_contrib", "0006", "0007", "0008", "0009", "0010_catchup", "0011")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
