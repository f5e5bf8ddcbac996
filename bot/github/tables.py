"""The GitHub Issues sync's tables (SQLAlchemy Core). Alembic migrations create exactly these.

- ``github_links``: a feedback item linked to one GitHub issue (``owner/repo`` in lowercase, the number).
- ``github_deliveries``: every webhook delivery GitHub sent (``X-GitHub-Delivery``), once, with what Kudos did
  with it (``outcome``): a replayed delivery is recognised and ignored; ``unlinked`` ones are counted.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from bot.platform.db.metadata import metadata
from bot.platform.db.types import Snowflake, SurrogateKey, UTCDateTime

github_links = Table(
    "github_links",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("guild_id", Snowflake, nullable=False),
    Column("feedback_id", SurrogateKey, ForeignKey("feedback.id", ondelete="CASCADE"), nullable=False),
    Column("repo", String(140), nullable=False),
    Column("issue_number", Integer, nullable=False),
    # Kudos' one vote-summary comment on the issue (GitHub's comment id, as text), edited on every vote.
    Column("summary_comment", String(20)),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("feedback_id"),
    Index(None, "repo", "issue_number"),
)

github_deliveries = Table(
    "github_deliveries",
    metadata,
    Column("delivery_id", String(100), primary_key=True),
    Column("event", String(40), nullable=False),
    Column("repo", String(140)),
    Column("outcome", String(20), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Index(None, "outcome", "received_at"),
)
