"""Feedback with the review queue on, beta forums, the weekly digest, and PostgreSQL end to end."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from bot.betas.tables import betas
from bot.feedback.tables import feedback_screenshots
from bot.sandbox.harness import ChannelSpec, Harness, WorldSpec
from tests.feedback.test_e2e import BUG, credits, item, mentioned_users, report, tag_names


@pytest.fixture
def world() -> WorldSpec:
    spec = WorldSpec.default()
    spec.channels.append(ChannelSpec("feedback-review"))
    spec.channels.append(ChannelSpec("beta-feedback", "forum", ["Bug", "Idea", "New", "Shipped"]))
    return spec


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "guilds": {"default": {"feedback": {"review_queue": True, "review_channel": "feedback-review"}}},
        "scheduler": {"cron": [{"name": "feedback-digest", "event": "feedback.digest", "cron": "0 9 * * 1"}]},
    }


def review_message(h: Harness) -> Any:
    messages = [m for m in h.emu.messages(h.channel_id("feedback-review")) if m.author_id == h.emu.bot_user_id]
    assert messages, "nothing was posted for review"
    return messages[-1]


async def test_review_queue_approve_publishes_and_credits(kudos: Harness) -> None:
    done = await report(kudos)
    assert "review" in (done.content or "")
    row = await item(kudos)
    assert row.status == "pending_review" and row.thread_id is None
    assert kudos.emu.threads(kudos.channel_id("feedback")) == []
    assert await credits(kudos, "alice") == {}
    queued = review_message(kudos)
    assert queued.embeds[0]["title"].startswith(f"Review #{row.id}")
    denied = await kudos.member("bob").click(queued.id, label="Approve")
    assert denied.ephemeral and "Only staff" in (denied.content or "")
    approved = await kudos.member("sam").click(queued.id, label="Approve")
    assert not approved.failed
    row = await item(kudos)
    assert row.status == "new" and row.thread_id is not None
    assert tag_names(kudos, row.thread_id) == ["Bug", "New"]
    assert mentioned_users(kudos.emu.message(row.thread_id)) == [kudos.members["alice"]]
    assert "Approved by" in (kudos.emu.message(queued.id).embeds[0]["footer"]["text"])
    assert kudos.emu.message(queued.id).components == []
    assert await credits(kudos, "alice") == {"feedback_given": (5, 1)}


async def test_review_queue_reject_tells_the_reporter(kudos: Harness) -> None:
    await report(kudos, type_="idea", values={"Title": "Buy my stuff", "Details": "spam"})
    queued = review_message(kudos)
    await kudos.restart()  # the review buttons outlive the process
    opened = await kudos.member("sam").click(queued.id, label="Reject")
    assert opened.modal is not None
    done = await kudos.member("sam").submit_modal(opened, {"Reason": "Off topic"})
    assert done.ephemeral and "rejected" in (done.content or "")
    row = await item(kudos)
    assert row.status == "rejected" and row.thread_id is None
    dms = kudos.member("alice").dms()
    assert dms and "won't be published" in dms[-1].content and "Off topic" in dms[-1].content
    assert "Rejected by" in kudos.emu.message(queued.id).embeds[0]["footer"]["text"]
    assert await credits(kudos, "alice") == {}
    assert kudos.emu.message(queued.id).components == []  # the buttons are gone once handled


async def test_beta_feedback_goes_to_the_beta_forum(kudos: Harness) -> None:
    assert kudos.bot is not None
    forum_id = kudos.channel_id("beta-feedback")
    async with kudos.bot.db.begin() as conn:
        await conn.execute(insert(betas).values(
            id=7, guild_id=kudos.guild_id, name="Camera 2", eligibility={}, feedback_forum_id=forum_id,
            created_by=kudos.members["sam"], created_at=kudos.clock.now()))
    opened = await kudos.member("alice").slash("feedback new", type="bug", beta="Camera 2")
    await kudos.member("alice").submit_modal(opened, BUG)
    await kudos.member("sam").click(review_message(kudos).id, label="Approve")
    row = await item(kudos)
    assert row.beta_id == 7 and row.forum_id == forum_id
    assert kudos.emu.state.channels[row.thread_id].parent_id == forum_id
    board = await kudos.member("bob").slash("feedback top", beta="Camera 2")
    assert "Crash when saving" in board.embeds[0]["description"]
    unknown = await kudos.member("bob").slash("feedback top", beta="Nope")
    assert "no beta named" in (unknown.content or "")


async def test_weekly_digest_goes_to_the_staff_log(kudos: Harness) -> None:
    await report(kudos, type_="idea", values={"Title": "Dark mode", "Details": "d"})
    await kudos.member("sam").click(review_message(kudos).id, label="Approve")
    await kudos.advance(timedelta(days=7, hours=1))
    digests = [m for m in kudos.emu.messages(kudos.channel_id("staff-log"))
               if m.embeds and m.embeds[0].get("title") == "Feedback this week"]
    assert digests, "no digest was posted"
    fields = {f["name"]: f["value"] for f in digests[-1].embeds[0]["fields"]}
    assert "Dark mode" in fields["Oldest without a staff answer (1)"]


async def test_review_flow_on_postgres(kudos_pg: Harness) -> None:
    await report(kudos_pg)
    await kudos_pg.member("sam").click(review_message(kudos_pg).id, label="Approve")
    row = await item(kudos_pg)
    await kudos_pg.member("bob").click(row.thread_id, label="Me too")
    await kudos_pg.member("bob").click(row.thread_id, label="Me too")
    await kudos_pg.member("sam").slash("feedback status", status="shipped", version="3.0", item=row.id)
    row = await item(kudos_pg)
    assert row.status == "shipped" and row.vote_count == 1
    assert "shipped" in kudos_pg.member("bob").dms()[-1].content
    assert await credits(kudos_pg, "alice") == {"feedback_given": (5, 1), "feedback_shipped": (10, 1)}


class TestWithoutManageThreads:
    @pytest.fixture
    def world(self) -> WorldSpec:
        from bot.emulator import rules

        spec = WorldSpec.default()
        spec.bot_permissions = rules.DEFAULT_BOT & ~rules.MANAGE_THREADS
        return spec

    @pytest.fixture
    def bot_config(self) -> dict[str, Any]:
        return {}

    async def test_locked_thread_is_an_error_and_nothing_changes(self, kudos: Harness) -> None:
        await report(kudos, type_="idea", values={"Title": "Dark mode", "Details": "d"})
        row = await item(kudos)
        kudos.emu.state.channels[row.thread_id].locked = True
        done = await kudos.member("sam").slash("feedback status", status="planned", item=row.id)
        assert done.ephemeral and "locked" in (done.content or "") and "Manage Threads" in (done.content or "")
        assert (await item(kudos)).status == "new"
        assert not kudos.member("alice").dms()

    async def test_own_archived_post_is_reopened_without_manage_threads(self, kudos: Harness) -> None:
        await report(kudos, type_="idea", values={"Title": "Dark mode", "Details": "d"})
        row = await item(kudos)
        kudos.emu.state.channels[row.thread_id].archived = True
        await kudos.member("sam").slash("feedback status", status="planned", item=row.id)
        assert (await item(kudos)).status == "planned"
        assert not kudos.emu.state.channels[row.thread_id].archived


class TestShippedReward:
    @pytest.fixture
    def world(self) -> WorldSpec:
        from bot.sandbox.harness import RoleSpec

        spec = WorldSpec.default()
        spec.roles.append(RoleSpec("Implemented"))
        spec.roles.append(RoleSpec("Shipper"))
        return spec

    @pytest.fixture
    def bot_config(self) -> dict[str, Any]:
        return {"guilds": {"default": {"rewards": [
            {"name": "implemented", "trigger": {"kind": "feedback_shipped", "count": 1}, "role": "Implemented"},
            {"name": "shipper", "trigger": {"event": "feedback_shipped"}, "role": "Shipper", "bonus_points": 2},
            {"name": "first-report", "trigger": {"event": "first_feedback"}, "dm": "Thanks for your first report!",
             "bonus_points": 1},
            {"name": "heard", "trigger": {"kind": "feedback_acknowledged", "count": 1}, "dm": "You were heard!"},
        ]}}}

    async def test_shipping_gives_the_implemented_role(self, kudos: Harness) -> None:
        await report(kudos, type_="idea", values={"Title": "Dark mode", "Details": "d"})
        dms = kudos.member("alice").dms()
        assert any("first report" in (e.get("description") or "") for m in dms for e in m.embeds)
        assert await credits(kudos, "alice") == {"feedback_given": (5 + 1, 2)}  # the event's bonus kind
        row = await item(kudos)
        await kudos.member("sam").slash("feedback status", status="acknowledged", item=row.id)
        assert any("You were heard" in (e.get("description") or "")
                   for m in kudos.member("alice").dms() for e in m.embeds)
        assert "Implemented" not in kudos.member("alice").roles()
        assert "Shipper" not in kudos.member("alice").roles()
        await kudos.member("sam").slash("feedback status", status="shipped", version="2.0", item=row.id)
        assert {"Implemented", "Shipper"} <= set(kudos.member("alice").roles())
        assert await credits(kudos, "alice") == {"feedback_given": (6, 2), "feedback_acknowledged": (3, 1),
                                                 "feedback_shipped": (10 + 2, 2)}


class TestBetaButtonEntryPoint:
    """How the beta announcement's "Give feedback" button (built elsewhere) opens the form."""

    @pytest.fixture
    def bot_config(self) -> dict[str, Any]:
        return {}

    async def test_a_beta_button_opens_the_form_with_its_type_picker(self, kudos: Harness) -> None:
        import re

        import discord

        from bot.core.errors import GuardedCallback
        from cogs.feedback import open_feedback_form

        class GiveFeedback(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button],
                           template=r"beta:feedback:(?P<id>\d+)"):
            def __init__(self, beta_id: int) -> None:
                super().__init__(discord.ui.Button(label="Give feedback", custom_id=f"beta:feedback:{beta_id}"))
                self.beta_id = beta_id

            @classmethod
            async def from_custom_id(cls, interaction, item, match: re.Match[str]):  # type: ignore[no-untyped-def]
                return cls(int(match["id"]))

            async def run(self, interaction: discord.Interaction) -> None:
                await open_feedback_form(interaction, beta_id=self.beta_id)

        assert kudos.bot is not None
        kudos.bot.add_dynamic_items(GiveFeedback)
        forum_id = kudos.channel_id("beta-feedback")
        async with kudos.bot.db.begin() as conn:
            await conn.execute(insert(betas).values(
                id=3, guild_id=kudos.guild_id, name="Lens", eligibility={}, feedback_forum_id=forum_id,
                created_by=kudos.members["sam"], created_at=kudos.clock.now()))
        view = discord.ui.View(timeout=None)
        view.add_item(GiveFeedback(3))
        channel = kudos.bot.get_channel(kudos.channel_id("announcements"))
        announcement = await channel.send("Lens beta is open!", view=view)  # type: ignore[union-attr]
        await kudos.settle()
        opened = await kudos.member("alice").click(announcement.id, label="Give feedback")
        assert opened.modal is not None  # the form itself asks for the type
        await kudos.member("alice").submit_modal(opened, {"Type": "Praise", "Title": "Sharp!",
                                                          "Details": "Love the lens"})
        row = await item(kudos)
        assert (row.beta_id, row.type, row.forum_id) == (3, "praise", forum_id)
        missing = GiveFeedback(99)
        view2 = discord.ui.View(timeout=None)
        view2.add_item(missing)
        gone = await channel.send("old beta", view=view2)  # type: ignore[union-attr]
        await kudos.settle()
        reply = await kudos.member("bob").click(gone.id, label="Give feedback")
        assert reply.ephemeral and "no beta #99" in (reply.content or "")


async def test_screenshots_of_a_held_report_are_exported_and_erased(kudos: Harness) -> None:
    """A report held for review keeps its screenshots' links (Discord's attachment URLs) until it is approved and
    the job posts them: they are the reporter's, so ``/mydata export`` shows them and ``/mydata forget`` deletes
    them; approved afterwards, the report posts no image."""
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(32))
    alice = kudos.member("alice")
    await report(kudos, values=BUG | {"Screenshots": [("crash.png", png, "image/png")]})
    assert (await item(kudos)).status == "pending_review"

    await alice.slash("mydata export")
    data = json.loads(alice.dms()[-1].files[0][1])
    [shot] = data["feedback_screenshots"]
    assert shot["feedback_id"] == 1 and shot["filename"] == "crash.png" and shot["url"].startswith("http")

    ask = await alice.slash("mydata forget")
    done = await alice.click(ask.message.id, label="Erase my data")
    assert "was erased" in (done.content or ""), done.content
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(feedback_screenshots))).scalar_one() == 0
    await alice.slash("mydata export")
    assert json.loads(alice.dms()[-1].files[0][1])["feedback_screenshots"] == []

    approved = await kudos.member("sam").click(review_message(kudos).id, label="Approve")
    assert not approved.failed, approved.content
    row = await item(kudos)
    assert row.thread_id is not None and row.title == "(erased)"
    assert [m for m in kudos.emu.messages(row.thread_id) if m.files] == []
