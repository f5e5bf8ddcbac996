"""The GitHub sync's reads for other features, inside the caller's transaction.

Announcements list the GitHub issues behind a closed beta's shipped items in the "what we changed because of
you" post (in the transaction that gathers the items), so this takes the caller's ``conn``. Other features
import this, never ``bot.github.tables``.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.github.tables import github_links

WEB_URL = "https://github.com"


def issue_url(ref: str) -> str:
    """``owner/repo#n`` → the issue's page on github.com."""
    repo, number = ref.rsplit("#", 1)
    return f"{WEB_URL}/{repo}/issues/{number}"


async def issues_of(conn: AsyncConnection, feedback_ids: Iterable[int]) -> dict[int, str]:
    """``{feedback id: "owner/repo#n"}`` of those items that are linked to an issue."""
    ids = list(feedback_ids)
    if not ids:
        return {}
    t = github_links.c
    rows = await conn.execute(select(t.feedback_id, t.repo, t.issue_number).where(t.feedback_id.in_(ids)))
    return {int(r.feedback_id): f"{r.repo}#{int(r.issue_number)}" for r in rows}


__all__ = ["WEB_URL", "issue_url", "issues_of"]
