"""GitHub Issues → Kudos: a feedback item linked to an issue follows it (see docs/integrations.md).

``link`` ties an item to ``owner/repo#number`` (the repository must be listed in ``[guilds.<id>.github]
repos``). :meth:`GithubService.receive` takes one webhook delivery whose ``X-Hub-Signature-256`` the web
route verified: it records the delivery id once (a replay is ignored), parses the payload with githubkit's
typed models, and maps ``issues`` events through ``[guilds.<id>.github.statuses]`` to a status change made
through :meth:`bot.feedback.FeedbackService.change_status` — so the reporter, co-reporters, voters and
followers hear back through the normal status flow (its DM and thread jobs).

Loop safety: nothing that came from GitHub is sent back to it (Kudos writes no status to GitHub). Deliveries
about repositories no server links are ignored and counted (``outcome = 'unlinked'``). Text from GitHub is
never shown as it came: the version is the milestone title reduced to ``[A-Za-z0-9._+-]``; notes are Kudos'
own words with the (config-checked) ``owner/repo#n``.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.feedback import FeedbackService
from bot.github.auth import API_URL_ENV, MISSING, GithubAuthError, credentials
from bot.github.tables import github_deliveries, github_links
from bot.platform import audit
from bot.platform.clock import Clock
from bot.platform.config import GuildConfig
from bot.platform.db import Database
from bot.platform.db.upsert import insert_for
from bot.platform.errors import Conflict, InvalidInput, KudosError
from bot.platform.events import Outbound
from bot.platform.i18n import N_
from bot.platform.jobs.effects import GiveUp

ISSUE_REF = re.compile(r"^\s*([A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100})#([0-9]{1,9})\s*$")
SAFE_VERSION = re.compile(r"[^A-Za-z0-9._+-]")
SUMMARY_EVENT = "github.summary"
MERGE_NOTE_EVENT = "github.merge_note"
GITHUB_ACTOR = 0  # the actor of changes GitHub made (audit entries, credits): no member


@dataclass(frozen=True, slots=True)
class Link:
    guild_id: int
    feedback_id: int
    repo: str
    issue_number: int
    summary_comment: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.repo}#{self.issue_number}"


def parse_ref(ref: str) -> tuple[str, int]:
    found = ISSUE_REF.match(ref)
    if not found:
        raise InvalidInput(N_("Give the issue as owner/repo#123."))
    return found.group(1).lower(), int(found.group(2))


def summary_text(item_id: int, votes: int) -> str:
    """The summary comment: Kudos' own words and numbers only (no member text)."""
    who = "1 member" if votes == 1 else f"{votes} members"
    return (f"**Kudos:** {who} of the community asked for this in Discord (feedback #{item_id}). "
            "This comment is updated as votes come in.")


def merge_note_text(duplicate: Link, original: Link) -> str:
    """The comment on a merged duplicate's issue: Kudos' own words and the two config-checked references."""
    return (f"**Kudos:** feedback #{duplicate.feedback_id} was merged in Discord into feedback "
            f"#{original.feedback_id}, which is tracked in {original.ref}. Votes and updates continue there.")


def _fenced(text: str) -> str:
    """Member text inside a code fence longer than any run of backticks in it: GitHub renders it as text (no
    markdown, no @mentions that would notify GitHub users)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def issue_text(guild_id: int, item: Any) -> str:
    """The issue /feedback open-issue creates: the report's text (fenced), its votes, a jump link back."""
    parts = [f"Reported in Discord through Kudos: feedback #{item.id} ({item.type}), "
             f"{item.vote_count} vote(s) so far."]
    if item.thread_id:
        parts.append(f"Discussion: https://discord.com/channels/{guild_id}/{item.thread_id}")
    parts.append("**Details**\n" + _fenced(item.details or "(none)"))
    if item.steps:
        parts.append("**Steps to reproduce**\n" + _fenced(item.steps))
    if item.version:
        parts.append("**Version**\n" + _fenced(item.version))
    return "\n\n".join(parts)


def safe_version(title: str | None, fallback: str) -> str:
    text = SAFE_VERSION.sub("", (title or "").replace(" ", "-"))[:50]
    return text or fallback


class GithubService:
    def __init__(self, db: Database, clock: Clock, feedback: FeedbackService,
                 guild_config: Callable[[int], GuildConfig], *, schedule: Callable[..., Awaitable[Any]],
                 env: Mapping[str, str] | None = None) -> None:
        self.db = db
        self.clock = clock
        self.feedback = feedback
        self.guild_config = guild_config
        self.schedule = schedule
        self.env = env if env is not None else os.environ
        self._locks: dict[int, asyncio.Lock] = {}
        self._client: Any = None

    # ------------------------------------------------------------------ links

    async def link(self, guild_id: int, item_id: int, ref: str, *, actor_id: int) -> Link:
        repo, number = parse_ref(ref)
        allowed = self.guild_config(guild_id).github.repos
        if repo not in allowed:
            listed = ", ".join(allowed) if allowed else "none yet"
            raise InvalidInput(N_("{repo} is not one of this server's repositories ([guilds.<id>.github] "
                                  "repos: {listed})."),
                               repo=repo, listed=listed)
        item = await self.feedback.get(guild_id, item_id)
        now = self.clock.now()
        async with self.db.begin() as conn:
            existing = await self._link_of(conn, item.id)
            if existing is not None:
                raise Conflict(N_("Feedback #{item_id} is already linked to {ref}."),
                               item_id=item.id, ref=existing.ref)
            await conn.execute(insert_for(conn, github_links).values(
                guild_id=guild_id, feedback_id=item.id, repo=repo, issue_number=number, created_at=now))
            await audit.record(conn, now=now, action="github.link", guild_id=guild_id, actor_id=actor_id,
                               target_id=item.id, details={"issue": f"{repo}#{number}"})
        return Link(guild_id, item.id, repo, number)

    async def open_issue(self, guild_id: int, item_id: int, repo: str, *, actor_id: int) -> Link:
        """Create an issue in ``repo`` with the report's text, its votes and a jump link back, and link it."""
        repo = repo.strip().lower()
        allowed = self.guild_config(guild_id).github.repos
        if repo not in allowed:
            listed = ", ".join(allowed) if allowed else "none yet"
            raise InvalidInput(N_("{repo} is not one of this server's repositories ([guilds.<id>.github] "
                                  "repos: {listed})."),
                               repo=repo, listed=listed)
        item = await self.feedback.get(guild_id, item_id)
        if await self.link_of(item.id) is not None:
            raise Conflict(N_("Feedback #{item_id} is already linked to an issue."), item_id=item.id)
        gh = self.client()
        if gh is None:
            raise InvalidInput(MISSING)
        owner, name = repo.split("/", 1)
        from githubkit.exception import GitHubException, RequestFailed

        try:
            made = await gh.rest.issues.async_create(owner, name, title=item.title[:256],
                                                     body=issue_text(guild_id, item))
        except GitHubException as exc:
            failed = exc if isinstance(exc, RequestFailed) else getattr(exc, "exc", None)
            status = f"HTTP {failed.response.status_code}" if isinstance(failed, RequestFailed) else "no answer"
            raise InvalidInput(N_("GitHub did not create the issue ({status}): check Kudos' GitHub credentials and "
                                  "that they may write issues in {repo}."), status=status, repo=repo) from None
        number = int(made.parsed_data.number)
        return await self.link(guild_id, item.id, f"{repo}#{number}", actor_id=actor_id)

    async def _link_of(self, conn: AsyncConnection, feedback_id: int) -> Link | None:
        row = (await conn.execute(select(github_links).where(github_links.c.feedback_id == feedback_id))).first()
        if row is None:
            return None
        return Link(row.guild_id, row.feedback_id, row.repo, row.issue_number, row.summary_comment)

    async def link_of(self, feedback_id: int) -> Link | None:
        async with self.db.connect() as conn:
            return await self._link_of(conn, feedback_id)

    async def unlinked_count(self) -> int:
        """How many deliveries were about repositories no server links (ignored)."""
        async with self.db.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(github_deliveries)
                                           .where(github_deliveries.c.outcome == "unlinked"))).scalar_one())

    # ------------------------------------------------------------------ Kudos → GitHub: the vote summary

    async def on_outbound(self, conn: AsyncConnection, event: Outbound) -> None:
        """A vote on a linked item: a job (in the vote's transaction) that edits the issue's summary comment.
        A merge: :meth:`_on_merged`, in the merge's transaction."""
        if event.type == "feedback.merged":
            await self._on_merged(conn, event)
            return
        if event.type != "feedback.voted":
            return
        feedback = event.data["feedback"]
        if await self._link_of(conn, int(feedback["id"])) is None:
            return
        await self._schedule_summary(conn, event.guild_id, int(feedback["id"]), int(feedback["vote_count"]))

    async def _schedule_summary(self, conn: AsyncConnection, guild_id: int, feedback_id: int, votes: int) -> None:
        await self.schedule(SUMMARY_EVENT, {"guild_id": guild_id, "feedback_id": feedback_id},
                            dedupe_key=f"{SUMMARY_EVENT}:{feedback_id}:{votes}", conn=conn)

    async def _on_merged(self, conn: AsyncConnection, event: Outbound) -> None:
        """A duplicate linked to an issue was merged into an item (by the staff member ``actor_id``):

        - the item has no issue: it takes the duplicate's (with its summary comment, so the issue keeps one),
          and the issue now moves the item; the summary job shows the votes the merge moved over;
        - the item follows another issue: a job comments on the duplicate's issue that it is tracked as the
          item's ``owner/repo#n`` (GitHub cross-links the two issues from that reference).

        Either way one ``github.link`` audit line names the staff member who merged."""
        duplicate, original = event.data["feedback"], event.data["into"]
        dup_id, into_id = int(duplicate["id"]), int(original["id"])
        dup_link = await self._link_of(conn, dup_id)
        if dup_link is None:
            return
        actor = int(event.data.get("actor_id") or GITHUB_ACTOR)
        into_link = await self._link_of(conn, into_id)
        now = self.clock.now()
        if into_link is None:
            await conn.execute(insert_for(conn, github_links).values(
                guild_id=event.guild_id, feedback_id=into_id, repo=dup_link.repo, issue_number=dup_link.issue_number,
                summary_comment=dup_link.summary_comment, created_at=now))
            await audit.record(conn, now=now, action="github.link", guild_id=event.guild_id, actor_id=actor,
                               target_id=into_id, details={"issue": dup_link.ref, "merged_from": dup_id})
            await self._schedule_summary(conn, event.guild_id, into_id, int(original["vote_count"]))
            return
        if into_link.ref == dup_link.ref:
            return
        await audit.record(conn, now=now, action="github.link", guild_id=event.guild_id, actor_id=actor,
                           target_id=into_id, details={"issue": dup_link.ref, "tracked_as": into_link.ref,
                                                       "merged_from": dup_id})
        await self.schedule(MERGE_NOTE_EVENT, {"guild_id": event.guild_id, "duplicate_id": dup_id,
                                               "original_id": into_id},
                            dedupe_key=f"{MERGE_NOTE_EVENT}:{dup_id}:{into_id}", conn=conn)

    async def merge_note(self, payload: dict[str, Any], _timer: Any = None) -> None:
        """The :data:`MERGE_NOTE_EVENT` job: one comment on the duplicate's issue naming the item's issue."""
        dup_link = await self.link_of(int(payload["duplicate_id"]))
        into_link = await self.link_of(int(payload["original_id"]))
        if dup_link is None or into_link is None or dup_link.ref == into_link.ref:
            return
        gh = self._job_client()
        owner, name = dup_link.repo.split("/", 1)
        await gh.rest.issues.async_create_comment(owner, name, dup_link.issue_number,
                                                  body=merge_note_text(dup_link, into_link))

    def client(self) -> Any:
        """githubkit's client, authenticated from the environment only (a GitHub App's installation tokens or
        a fine-grained token: :mod:`bot.github.auth`; the API's base URL from :data:`API_URL_ENV`, for GitHub
        Enterprise Server), or ``None`` without credentials. One client per service, with its own cache, so
        an App's installation token is minted once and reused until githubkit renews it."""
        if self._client is None:
            auth = credentials(self.env)  # GithubAuthError (InvalidInput) names a half-configured App
            if auth is None:
                return None
            from githubkit import GitHub
            from githubkit.cache import MemCacheStrategy

            self._client = GitHub(auth, base_url=self.env.get(API_URL_ENV) or None, timeout=15.0,
                                  auto_retry=False, http_cache=False, user_agent="Kudos", follow_redirects=False,
                                  cache_strategy=MemCacheStrategy())
        return self._client

    def _job_client(self) -> Any:
        try:
            gh = self.client()
        except GithubAuthError as exc:
            raise GiveUp(str(exc)) from None
        if gh is None:
            raise GiveUp(MISSING)
        return gh

    async def summary(self, payload: dict[str, Any], _timer: Any = None) -> None:
        """The :data:`SUMMARY_EVENT` job: create the issue's one summary comment, or edit it to the current
        count. Nothing that came from GitHub is written back (status changes are never sent)."""
        from githubkit.exception import RequestFailed

        feedback_id = int(payload["feedback_id"])
        lock = self._locks.setdefault(feedback_id, asyncio.Lock())
        async with lock:  # one create per item, however many vote jobs run at once
            link = await self.link_of(feedback_id)
            if link is None:
                return
            gh = self._job_client()
            item = await self.feedback.get(link.guild_id, feedback_id)
            body = summary_text(item.id, item.vote_count)
            owner, name = link.repo.split("/", 1)
            if link.summary_comment is not None:
                try:
                    await gh.rest.issues.async_update_comment(owner, name, int(link.summary_comment), body=body)
                    return
                except RequestFailed as exc:
                    if exc.response.status_code != 404:
                        raise
                    # the comment was deleted on GitHub: write a new one
            made = await gh.rest.issues.async_create_comment(owner, name, link.issue_number, body=body)
            comment_id = made.parsed_data.id
            async with self.db.begin() as conn:
                await conn.execute(github_links.update().where(github_links.c.feedback_id == feedback_id)
                                   .values(summary_comment=str(comment_id)))

    # ------------------------------------------------------------------ webhooks

    async def receive(self, event: str, delivery_id: str, payload: dict[str, Any]) -> str:
        """Handle one verified delivery; returns its outcome (``duplicate``, ``unlinked``, ``ignored``,
        ``changed``, ``unchanged``, ``invalid``: githubkit's typed model refused the payload)."""
        repo = str((payload.get("repository") or {}).get("full_name") or "").lower() or None
        now = self.clock.now()
        async with self.db.begin() as conn:
            stmt = insert_for(conn, github_deliveries).values(
                delivery_id=delivery_id[:100], event=event[:40], repo=repo, outcome="received", received_at=now,
            ).on_conflict_do_nothing(index_elements=["delivery_id"])
            if (await conn.execute(stmt)).rowcount != 1:
                return "duplicate"
        outcome = await self._handle(event, repo, payload)
        async with self.db.begin() as conn:
            await conn.execute(github_deliveries.update().where(github_deliveries.c.delivery_id == delivery_id[:100])
                               .values(outcome=outcome))
        return outcome

    async def _handle(self, event: str, repo: str | None, payload: dict[str, Any]) -> str:
        if event != "issues" or repo is None:
            return "ignored"
        from githubkit.webhooks import parse_obj  # typed models: a payload of the wrong shape fails here
        from pydantic import ValidationError

        try:
            parsed: Any = parse_obj("issues", payload)
        except ValidationError:
            return "invalid"
        number = int(parsed.issue.number)
        async with self.db.connect() as conn:
            rows = list(await conn.execute(select(github_links).where(
                github_links.c.repo == repo, github_links.c.issue_number == number)))
        links = [Link(r.guild_id, r.feedback_id, r.repo, r.issue_number) for r in rows
                 if repo in self.guild_config(r.guild_id).github.repos]
        if not links:
            return "unlinked"
        changed = False
        for link in links:
            target = self._status_for(link.guild_id, parsed)
            if target is None:
                continue
            status, note, version = target
            try:
                await self.feedback.change_status(link.guild_id, link.feedback_id, status, actor_id=GITHUB_ACTOR,
                                                  note=note, version=version)
            except KudosError:
                continue  # not a move the item can make now (e.g. it has that status already)
            changed = True
        return "changed" if changed else "unchanged"

    def _status_for(self, guild_id: int, parsed: Any) -> tuple[str, str | None, str | None] | None:
        statuses = self.guild_config(guild_id).github.statuses
        ref = f"{parsed.repository.full_name.lower()}#{int(parsed.issue.number)}"
        action = parsed.action
        status = ""
        note: str | None = f"Updated from GitHub ({ref})."
        version: str | None = None
        if action in ("opened", "reopened"):
            status = statuses.opened if action == "opened" else statuses.reopened
        elif action == "labeled" and getattr(parsed, "label", None) is not None:
            status = statuses.labels.get(parsed.label.name, "")
        elif action == "closed":
            reason = getattr(parsed.issue, "state_reason", None)
            if reason == "not_planned":
                status, note = statuses.closed_not_planned, f"Closed on GitHub as not planned ({ref})."
            elif reason in (None, "completed"):
                status, note = statuses.closed_completed, f"Fixed on GitHub ({ref})."
                milestone = getattr(parsed.issue, "milestone", None)
                version = safe_version(milestone.title if milestone is not None else None,
                                       f"issue-{int(parsed.issue.number)}")
        if not status:
            return None
        return status, note, version if status == "shipped" else None


__all__ = ["GITHUB_ACTOR", "MERGE_NOTE_EVENT", "SUMMARY_EVENT", "GithubService", "Link", "parse_ref"]
