"""/announce posts, reply counts and "what we changed" posts on both backends: one broadcast budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.announcements.service import AnnouncementDraft, AnnouncementsService
from bot.announcements.tables import announcements
from bot.betas import BetaDraft, BetaPolicy
from bot.feedback.tables import feedback
from bot.platform.clock import FakeClock
from bot.platform.db import Database
from bot.platform.errors import Conflict, InvalidInput, LimitReached, NotFound
from bot.platform.tables import timers
from bot.rewards.tables import grants
from tests.betas.test_service import CHANNEL, STAFF, Env, G


@pytest.fixture
def env(db: Database, clock: FakeClock) -> Env:
    clock._now = datetime(2026, 3, 4, 10, tzinfo=UTC)  # a Wednesday
    return Env(db, clock)


@pytest.fixture
def news(env: Env) -> AnnouncementsService:
    return AnnouncementsService(env.svc)


async def pending(env: Env, event: str) -> list[tuple[str, datetime]]:
    async with env.db.connect() as conn:
        rows = await conn.execute(select(timers.c.dedupe_key, timers.c.due_at)
                                  .where(timers.c.event == event, timers.c.status == "pending"))
        return [(k, d) for k, d in rows]


async def test_news_and_betas_share_one_budget(env: Env, news: AnnouncementsService) -> None:
    await env.open_beta(name="a")
    slot = await news.create(G, CHANNEL, STAFF, AnnouncementDraft("Dark mode is here", "Dark mode"))
    assert not slot.scheduled
    with pytest.raises(LimitReached, match="next slot opens <t:"):
        await news.create(G, CHANNEL, STAFF, AnnouncementDraft("one more"))
    with pytest.raises(LimitReached):
        await news.check(G, CHANNEL, None)
    third = await env.svc.create(G, STAFF, BetaDraft(name="c"))
    with pytest.raises(LimitReached):
        await env.svc.reserve_slot(G, CHANNEL, subject="beta", subject_id=third.id, actor_id=STAFF)
    async with env.db.connect() as conn:
        rows = list(await conn.execute(select(announcements.c.subject, announcements.c.title, announcements.c.body)))
    assert sorted(rows) == [("beta", "", ""), ("news", "Dark mode", "Dark mode is here")]


async def test_scheduled_news_can_move_and_be_cancelled(env: Env, news: AnnouncementsService, clock: FakeClock) -> None:
    env.policy = BetaPolicy(per_channel_per_day=2, per_channel_per_week=10)
    at = clock.now() + timedelta(hours=2)
    slot = await news.create(G, CHANNEL, STAFF, AnnouncementDraft("Later", image=b"png", image_name="a.png"), at=at)
    assert slot.scheduled and slot.at == at
    assert [d for _, d in await pending(env, "announce.post")] == [at]
    # fill the day, then moving into it is refused and nothing changes
    await news.create(G, CHANNEL, STAFF, AnnouncementDraft("now"))
    tomorrow = clock.now() + timedelta(days=1)
    await news.create(G, CHANNEL, STAFF, AnnouncementDraft("tomorrow"), at=tomorrow)
    await news.create(G, CHANNEL, STAFF, AnnouncementDraft("tomorrow 2"), at=tomorrow)
    with pytest.raises(LimitReached):
        await news.edit(G, slot.announcement_id, STAFF, at=tomorrow + timedelta(hours=1))
    assert (await news.get(G, slot.announcement_id)).scheduled_for == at
    # its own slot does not count against a new time on the same day
    edited = await news.edit(G, slot.announcement_id, STAFF, body="Later, edited", at=at + timedelta(hours=3),
                             remove_image=True)
    assert edited.body == "Later, edited" and edited.image is None and edited.scheduled_for == at + timedelta(hours=3)
    keys = await pending(env, "announce.post")
    assert (f"betas:announce:{slot.announcement_id}:{(at + timedelta(hours=3)).isoformat()}",
            at + timedelta(hours=3)) in keys
    assert all(d != at for _, d in keys)
    cancelled = await news.cancel(G, slot.announcement_id, STAFF)
    assert cancelled.status == "cancelled"
    assert all(not k.startswith(f"betas:announce:{slot.announcement_id}:") for k, _ in await pending(env, "announce.post"))
    with pytest.raises(Conflict, match="cancelled already"):
        await news.edit(G, slot.announcement_id, STAFF, body="x")
    with pytest.raises(NotFound):
        await news.cancel(G + 1, slot.announcement_id, STAFF)


async def test_bad_news_input(env: Env, news: AnnouncementsService, clock: FakeClock) -> None:
    with pytest.raises(InvalidInput, match="needs some text"):
        await news.create(G, CHANNEL, STAFF, AnnouncementDraft("   "))
    with pytest.raises(InvalidInput, match="in the past"):
        await news.create(G, CHANNEL, STAFF, AnnouncementDraft("x"), at=clock.now() - timedelta(hours=1))
    with pytest.raises(InvalidInput, match="in the past"):
        await news.check(G, CHANNEL, clock.now() - timedelta(days=1))
    async with env.db.connect() as conn:
        assert list(await conn.execute(select(announcements.c.id))) == []


async def test_reply_count_timer_and_staff_notice(env: Env, news: AnnouncementsService) -> None:
    slot = await news.create(G, CHANNEL, STAFF, AnnouncementDraft("Hi", "Launch", image=b"png", image_name="a.png"))
    await env.svc.mark_posted(slot.announcement_id, message_id=5, thread_id=6)
    (key, due), = await pending(env, "announce.replies")
    assert key == f"announce:replies:{slot.announcement_id}" and due == env.clock.now() + timedelta(hours=24)
    ann = await news.get(G, slot.announcement_id)
    assert ann.image is None and ann.status == "posted"  # Discord has the file now
    text = await news.record_replies(slot.announcement_id, 3)
    assert text is not None and "Members who replied: 3**" in text and "*Launch*" in text
    assert await news.record_replies(slot.announcement_id, 3) is not None  # stored again, noticed once
    async with env.db.connect() as conn:
        notices = list(await conn.execute(select(grants.c.payload).where(grants.c.action == "notice")))
    assert len(notices) == 1 and (await news.get(G, slot.announcement_id)).replies == 3


async def test_changes_post_mentions_exactly_the_shipped_reporters(env: Env, news: AnnouncementsService) -> None:
    beta_id = await env.open_beta()
    now = env.clock.now()

    async def item(reporter: int, status: str, title: str, dup: int | None = None) -> int:
        async with env.db.begin() as conn:
            result = await conn.execute(feedback.insert().values(
                guild_id=G, beta_id=beta_id, reporter_id=reporter, type="idea", title=title, status=status,
                duplicate_of=dup, created_at=now, updated_at=now).returning(feedback.c.id))
            return int(result.scalar_one())

    shipped = await item(1, "shipped", "Bulk upload")
    await item(2, "duplicate", "Upload many at once", dup=shipped)
    await item(3, "planned", "Albums")
    await item(4, "shipped", "Faster thumbnails")
    with pytest.raises(Conflict, match="close it first"):
        await news.changes_post(G, beta_id)
    await env.svc.close(G, beta_id, actor_id=STAFF)
    post = await news.changes_post(G, beta_id)
    assert post.user_ids == (1, 2, 4) and post.items == 2
    assert "Bulk upload" in post.text and "<@2>" in post.text and "Albums" not in post.text and "<@3>" not in post.text
    slot = await env.svc.reserve_slot(G, CHANNEL, subject="changes", subject_id=beta_id, actor_id=STAFF)
    await env.svc.mark_posted(slot.announcement_id, message_id=9, thread_id=None)
    with pytest.raises(Conflict, match="out already"):
        await env.svc.reserve_slot(G, CHANNEL, subject="changes", subject_id=beta_id, actor_id=STAFF)


async def test_changes_post_lists_the_github_issues_shipped_by_release(env: Env, news: AnnouncementsService) -> None:
    """Items linked to GitHub issues (bot.github) show their issues, linked (no embed) and escaped, grouped by
    the release they shipped in; an item without an issue shows none."""
    from bot.github.tables import github_links

    beta_id = await env.open_beta()
    now = env.clock.now()
    ids = []
    async with env.db.begin() as conn:
        for reporter, title, version in ((1, "Bulk upload", "v1.0"), (2, "Albums", "v1.0"),
                                         (3, "Thumbnails", "v1.1*"), (4, "Dark mode", "v1.1*")):
            result = await conn.execute(feedback.insert().values(
                guild_id=G, beta_id=beta_id, reporter_id=reporter, type="idea", title=title, status="shipped",
                version=version, created_at=now, updated_at=now).returning(feedback.c.id))
            ids.append(int(result.scalar_one()))
        for fid, ref in zip(ids[:3], ("acme/app#12", "acme/app#15", "acme/my_app#3"), strict=True):
            repo, number = ref.split("#")
            await conn.execute(github_links.insert().values(guild_id=G, feedback_id=fid, repo=repo,
                                                            issue_number=int(number), created_at=now))
    await env.svc.close(G, beta_id, actor_id=STAFF)
    post = await news.changes_post(G, beta_id)
    lines = post.text.splitlines()
    at = lines.index("Shipped on GitHub:")
    assert lines[at + 1:at + 3] == [
        "• in **v1.0**: [acme/app#12](<https://github.com/acme/app/issues/12>), "
        "[acme/app#15](<https://github.com/acme/app/issues/15>)",
        "• in **v1.1\\***: [acme/my\\_app#3](<https://github.com/acme/my_app/issues/3>)",
    ]
    assert "#4" not in post.text and lines[-1].startswith("Keep the feedback coming")
    assert post.user_ids == (1, 2, 3, 4)
