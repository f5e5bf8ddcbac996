"""Staff announcements beyond betas (``/announce``), reply counts of discussion threads, and the "what we
changed because of you" post of a closed beta.

Every broadcast takes its slot through :meth:`BetaService.reserve_slot` (one budget, one code path): an
``/announce`` post is an ``announcements`` row with ``subject = "news"`` that carries its own content (title,
text, image bytes, role to ping) until it goes out, so a post scheduled days ahead needs nothing else. The
image bytes are dropped once the post is out (Discord has the file then).

Reply counts: when any announcement is posted with a discussion thread, a durable ``announce.replies`` timer
is set ``announcements.reply_count_after_hours`` later; the cog counts the distinct members (not bots) who wrote in
the thread and :meth:`AnnouncementsService.record_replies` stores the number and puts a line in the staff log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.announcements import store as repo
from bot.betas import queries as beta_queries
from bot.betas.models import Slot
from bot.betas.service import NEWS_EVENT, BetaService
from bot.feedback import queries as feedback_queries
from bot.github import queries as github_queries
from bot.ledger.explain import ts
from bot.platform import audit
from bot.platform.errors import Conflict, InvalidInput, NotFound
from bot.platform.i18n import N_
from bot.platform.jobs.keys import BetaAnnounce
from bot.platform.jobs.store import cancel_series
from bot.platform.markdown import inline
from bot.platform.text import check_text, is_invisible

MAX_TITLE = 256
MAX_BODY = 4000
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


@dataclass(frozen=True, slots=True)
class AnnouncementDraft:
    body: str
    title: str = ""
    image: bytes | None = None
    image_name: str | None = None
    ping_role_id: int | None = None

    def content(self) -> dict[str, Any]:
        return {"title": self.title, "body": self.body, "image": self.image, "image_name": self.image_name,
                "ping_role_id": self.ping_role_id}


@dataclass(frozen=True, slots=True)
class ChangesPost:
    """The "what we changed because of you" text and exactly the members it mentions."""

    beta_id: int
    beta_name: str
    text: str
    user_ids: tuple[int, ...]
    items: int


def github_lines(shipped: list[feedback_queries.ShippedItem], issues: dict[int, str]) -> list[str]:
    """The GitHub issues behind the shipped items, by the release they shipped in (the version: the issue's
    milestone when GitHub closed it, or what staff gave), each linked to its page (no embed). Version and
    reference escaped; at most 30 issues."""
    by_release: dict[str, list[str]] = {}
    for item in shipped:
        if item.id in issues:
            by_release.setdefault(item.version or "", []).append(issues[item.id])
    if not by_release:
        return []
    lines = ["Shipped on GitHub:"]
    shown = 0
    for version, refs in by_release.items():
        links = [f"[{inline(ref)}](<{github_queries.issue_url(ref)}>)" for ref in refs[:max(0, 30 - shown)]]
        shown += len(links)
        if links:
            lines.append((f"• in **{inline(version)}**: " if version else "• ") + ", ".join(links))
    total = sum(len(refs) for refs in by_release.values())
    if total > shown:
        lines.append(f"…and {total - shown} more issue{'s' if total - shown != 1 else ''}.")
    return lines


def validate_news(draft: AnnouncementDraft) -> AnnouncementDraft:
    check_text(draft.body, "text")
    body, title = draft.body.strip(), " ".join((check_text(draft.title, "title", title=True) or "").split())
    if is_invisible(title):
        title = ""  # the title is optional: one that shows as nothing is no title
    if is_invisible(body):
        raise InvalidInput(N_("The announcement needs some text (it is empty or only invisible characters)."))
    if len(body) > MAX_BODY:
        raise InvalidInput(N_("The text is too long ({length} characters; at most {max_body})."),
                           length=len(body), max_body=MAX_BODY)
    if len(title) > MAX_TITLE:
        raise InvalidInput(N_("Keep the title to {max_title} characters (it has {length})."),
                           max_title=MAX_TITLE, length=len(title))
    return AnnouncementDraft(body, title, draft.image, draft.image_name, draft.ping_role_id)


def check_image(filename: str, content_type: str | None, size: int, max_mb: int) -> None:
    """Refuse what Discord would not show as an embed image, before anything is written."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype not in IMAGE_TYPES:
        raise InvalidInput(N_("{filename} isn't an image I can show (PNG, JPEG, GIF or WebP; got {value})."),
                           filename=repr(filename), value=ctype or 'an unknown type')
    if size > max_mb * 1024 * 1024:
        raise InvalidInput(N_("The image is {value} MB; at most {max_mb} MB."),
                           value=format(size / 1024 / 1024, ".1f"), max_mb=max_mb)


def check_time(at: datetime | None, now: datetime) -> None:
    if at is not None and at < now - timedelta(minutes=1):
        raise InvalidInput(N_("That time is in the past ({value}); give a later time like 2h or "
                              "2026-03-01T18:00 (UTC), or leave it empty to post now."),
                           value=ts(at))


class AnnouncementsService:
    def __init__(self, betas: BetaService) -> None:
        self.betas = betas
        self.db = betas.db
        self.clock = betas.clock
        self.rewards = betas.rewards

    # ------------------------------------------------------------------ /announce

    async def check(self, guild_id: int, channel_id: int, at: datetime | None) -> None:
        """Before the text form: the time and the budget (nothing is written)."""
        check_time(at, self.clock.now())
        await self.betas.check_budget(guild_id, channel_id, at)

    async def create(self, guild_id: int, channel_id: int, actor_id: int, draft: AnnouncementDraft,
                     at: datetime | None = None) -> Slot:
        """Reserve the slot with the content in one transaction; a later time gets a durable timer."""
        draft = validate_news(draft)
        check_time(at, self.clock.now())
        slot = await self.betas.reserve_slot(guild_id, channel_id, subject="news", subject_id=None,
                                             actor_id=actor_id, at=at, event=NEWS_EVENT, content=draft.content())
        async with self.db.begin() as conn:
            await audit.record(conn, now=self.clock.now(), action="announce.created", guild_id=guild_id,
                               actor_id=actor_id, target_id=slot.announcement_id,
                               details={"channel_id": channel_id, "at": slot.at.isoformat(),
                                        "ping_role_id": draft.ping_role_id, "image": draft.image_name})
        return slot

    async def get(self, guild_id: int, announcement_id: int) -> repo.AnnouncementRow:
        async with self.db.connect() as conn:
            ann = await repo.announcement(conn, announcement_id)
        if ann is None or ann.guild_id != guild_id or ann.subject != "news":
            raise NotFound(N_("There is no announcement #{announcement_id} here; `/announce list` shows them."),
                           announcement_id=announcement_id)
        return ann

    async def _scheduled(self, guild_id: int, announcement_id: int) -> repo.AnnouncementRow:
        ann = await self.get(guild_id, announcement_id)
        if ann.status != "scheduled":
            raise Conflict(N_("Announcement #{announcement_id} is {ann_status} already; only one that hasn't "
                              "gone out yet can be edited or cancelled."),
                           announcement_id=announcement_id, ann_status=ann.status)
        return ann

    async def recent(self, guild_id: int, *, limit: int = 20) -> list[repo.AnnouncementRow]:
        async with self.db.connect() as conn:
            return await repo.recent_announcements(conn, guild_id, limit=limit)

    async def edit(self, guild_id: int, announcement_id: int, actor_id: int, *, title: str | None = None,
                   body: str | None = None, at: datetime | None = None, image: tuple[bytes, str] | None = None,
                   remove_image: bool = False, ping_role_id: int | None = None, no_ping: bool = False
                   ) -> repo.AnnouncementRow:
        """Change a scheduled announcement; a new time takes a new slot of the same budget (or is refused)."""
        ann = await self._scheduled(guild_id, announcement_id)
        draft = validate_news(AnnouncementDraft(body if body is not None else ann.body,
                                        title if title is not None else ann.title))
        check_time(at, self.clock.now())
        if at is not None:
            await self.betas.move_slot(guild_id, announcement_id, at, event=NEWS_EVENT)
        values: dict[str, Any] = {"title": draft.title, "body": draft.body}
        if image is not None:
            values.update(image=image[0], image_name=image[1])
        elif remove_image:
            values.update(image=None, image_name=None)
        if no_ping:
            values["ping_role_id"] = None
        elif ping_role_id is not None:
            values["ping_role_id"] = ping_role_id
        async with self.db.begin() as conn:
            current = await repo.announcement(conn, announcement_id)
            if current is None or current.status != "scheduled":
                raise Conflict(N_("Announcement #{announcement_id} went out meanwhile; it can't be edited "
                                  "now."),
                               announcement_id=announcement_id)
            await repo.update_announcement(conn, announcement_id, **values)
            await audit.record(conn, now=self.clock.now(), action="announce.edited", guild_id=guild_id,
                               actor_id=actor_id, target_id=announcement_id,
                               details={"fields": sorted(k for k in values if k != "image"),
                                        "at": at.isoformat() if at else None})
        return await self.get(guild_id, announcement_id)

    async def cancel(self, guild_id: int, announcement_id: int, actor_id: int) -> repo.AnnouncementRow:
        """Cancel before it goes out: its budget slot is free again."""
        now = self.clock.now()
        await self._scheduled(guild_id, announcement_id)
        async with self.db.begin() as conn:
            current = await repo.announcement(conn, announcement_id)
            if current is None or current.status != "scheduled":
                raise Conflict(N_("Announcement #{announcement_id} went out meanwhile; it can't be cancelled "
                                  "now."),
                               announcement_id=announcement_id)
            await repo.update_announcement(conn, announcement_id, status="cancelled", image=None)
            await cancel_series(conn, BetaAnnounce(announcement_id), now=now)
            await audit.record(conn, now=now, action="announce.cancelled", guild_id=guild_id, actor_id=actor_id,
                               target_id=announcement_id, details={})
        return await self.get(guild_id, announcement_id)

    # ------------------------------------------------------------------ replies in discussion threads

    async def record_replies(self, announcement_id: int, members: int) -> str | None:
        """Store how many members replied and tell staff (once per announcement)."""
        async with self.db.begin() as conn:
            ann = await repo.announcement(conn, announcement_id)
            if ann is None or ann.status != "posted":
                return None
            await repo.update_announcement(conn, announcement_id, replies=members)
            what = await self._describe(conn, ann)
            hours = self.betas.policy_for(ann.guild_id).reply_count_hours
            link = (f"https://discord.com/channels/{ann.guild_id}/{ann.channel_id}/{ann.message_id}"
                    if ann.message_id else f"<#{ann.channel_id}>")
            msgid = N_("**Members who replied: {count}** in the discussion of {what} ({link}) within {hours} h "
                       "of posting.")
            values = {"count": members, "what": what, "link": link, "hours": hours}
            await self.rewards.notice(conn, ann.guild_id, msgid, values=values, key=f"announce-replies:{announcement_id}")
            return msgid.format_map(values)

    async def _describe(self, conn: Any, ann: repo.AnnouncementRow) -> str:
        if ann.subject == "news":
            return f"announcement #{ann.id}" + (f" *{ann.title}*" if ann.title else "")
        row = await beta_queries.by_id(conn, ann.subject_id) if ann.subject_id is not None else None
        name = row.name if row is not None else f"#{ann.subject_id}"
        return f"the beta {name}" if ann.subject == "beta" else f"the changes post of the beta {name}"

    # ------------------------------------------------------------------ "what we changed because of you"

    async def changes_post(self, guild_id: int, beta_id: int, *, announcement_id: int | None = None) -> ChangesPost:
        """The post for a closed beta: its shipped feedback, and the members who gave it (duplicates merged
        into a shipped item count for their reporters too). ``announcement_id``: the post's own slot (its job
        builds the text when it runs), which does not count as "out already"."""
        async with self.db.connect() as conn:
            row = await beta_queries.get(conn, guild_id, beta_id)
            if row is None:
                raise NotFound(N_("There is no beta #{beta_id} in this server."), beta_id=beta_id)
            if row.status != "closed":
                raise Conflict(N_("**{row_name}** is still {row_status}: close it first (`/beta close`), "
                                  "then publish what changed."),
                               row_name=row.name, row_status=row.status)
            if any(a.status in ("scheduled", "posted") and a.id != announcement_id
                   for a in await repo.announcements_of(conn, guild_id, "changes", beta_id)):
                raise Conflict(N_("The changes post of **{row_name}** is out already."),
                               row_name=row.name)
            shipped = await feedback_queries.beta_shipped(conn, beta_id)
            issues = await github_queries.issues_of(conn, [item.id for item in shipped])
        if not shipped:
            raise Conflict(N_("No feedback of **{row_name}** is marked shipped yet; mark items shipped in "
                              "the feedback forum, then try again."),
                           row_name=row.name)
        users: list[int] = []
        lines = [f"## What we changed because of you: {row.name} beta",
                 f"Thank you to everyone who took part. {len(shipped)} thing{'s' if len(shipped) != 1 else ''} "
                 "you told us about shipped:"]
        for item in shipped[:15]:
            people = [u for u in item.reporters if u not in users]
            users += people
            lines.append(f"• **{inline(item.title)}** ({item.type}), thanks to " + ", ".join(f"<@{u}>" for u in item.reporters))
        if len(shipped) > 15:
            more = {u for item in shipped[15:] for u in item.reporters} - set(users)
            users += sorted(more)
            lines.append(f"…and {len(shipped) - 15} more" + (", with " + ", ".join(f"<@{u}>" for u in sorted(more))
                                                            if more else "") + ".")
        lines += github_lines(shipped, issues)
        lines.append("Keep the feedback coming: it shapes what we build next.")
        text = "\n".join(lines)
        if len(text) > 3900:
            text = text[:3890] + "…"
            users = [u for u in users if f"<@{u}>" in text]
        return ChangesPost(beta_id, row.name, text, tuple(users), len(shipped))
