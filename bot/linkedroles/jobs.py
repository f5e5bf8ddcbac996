"""The linked-roles jobs (durable timers) and their keys."""

from __future__ import annotations

from datetime import datetime

METADATA_EVENT = "linkedroles.metadata"  # register the metadata records (at start)
SYNC_EVENT = "linkedroles.sync"          # publish the numbers of every member queued (one batch)
CLEAR_EVENT = "linkedroles.clear"        # delete a member's role connection, revoke the tokens, drop the row


def sync_key(due: datetime) -> str:
    """One batch per window: every change of the window is published by the job due at its end."""
    return f"{SYNC_EVENT}:{int(due.timestamp())}"


def clear_key(user_id: int, now: datetime) -> str:
    """Once per unlinking (a member may link and unlink again)."""
    return f"{CLEAR_EVENT}:{user_id}:{int(now.timestamp() * 1_000_000)}"
