"""outbound webhooks: endpoints, events (each once) and the per-endpoint delivery log; GitHub issue links and
webhook deliveries

Revision ID: 0020_hooks
Revises: 0019_perf
Create Date: 2026-12-02 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import migrations._types

revision = "0020_hooks"
down_revision = "0019_perf"
branch_labels = None
depends_on = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", _KEY, autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("secret_env", sa.String(length=100), nullable=True),
        sa.Column("secret", sa.String(length=100), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('config', 'staff')", name=op.f("ck_webhook_endpoints_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
        sa.UniqueConstraint("guild_id", "name", name=op.f("uq_webhook_endpoints_guild_id_name")),
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", _KEY, autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.BigInteger(), autoincrement=False, nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_webhook_events_event_id")),
    )
    op.create_index(op.f("ix_webhook_events_guild_id_member_id"), "webhook_events", ["guild_id", "member_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", _KEY, autoincrement=True, nullable=False),
        sa.Column("endpoint_id", _KEY, nullable=False),
        sa.Column("event_pk", _KEY, nullable=False),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_latency_ms", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_attempt_at", migrations._types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", migrations._types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", migrations._types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name=op.f("ck_webhook_deliveries_status")),
        sa.ForeignKeyConstraint(["endpoint_id"], ["webhook_endpoints.id"],
                                name=op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_pk"], ["webhook_events.id"],
                                name=op.f("fk_webhook_deliveries_event_pk_webhook_events"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("endpoint_id", "event_pk", name=op.f("uq_webhook_deliveries_endpoint_id_event_pk")),
    )
    op.create_index(op.f("ix_webhook_deliveries_endpoint_id_created_at"), "webhook_deliveries",
                    ["endpoint_id", "created_at"])
    op.create_table(
        "github_links",
        sa.Column("id", _KEY, autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("feedback_id", _KEY, nullable=False),
        sa.Column("repo", sa.String(length=140), nullable=False),
        sa.Column("issue_number", sa.Integer(), nullable=False),
        sa.Column("summary_comment", sa.String(length=20), nullable=True),
        sa.Column("created_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["feedback_id"], ["feedback.id"], name=op.f("fk_github_links_feedback_id_feedback"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_github_links")),
        sa.UniqueConstraint("feedback_id", name=op.f("uq_github_links_feedback_id")),
    )
    op.create_index(op.f("ix_github_links_repo_issue_number"), "github_links", ["repo", "issue_number"])
    op.create_table(
        "github_deliveries",
        sa.Column("delivery_id", sa.String(length=100), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("repo", sa.String(length=140), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("received_at", migrations._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_github_deliveries")),
    )
    op.create_index(op.f("ix_github_deliveries_outcome_received_at"), "github_deliveries",
                    ["outcome", "received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_github_deliveries_outcome_received_at"), table_name="github_deliveries")
    op.drop_table("github_deliveries")
    op.drop_index(op.f("ix_github_links_repo_issue_number"), table_name="github_links")
    op.drop_table("github_links")
    op.drop_index(op.f("ix_webhook_deliveries_endpoint_id_created_at"), table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index(op.f("ix_webhook_events_guild_id_member_id"), table_name="webhook_events")
    op.drop_table("webhook_events")
    op.drop_table("webhook_endpoints")
