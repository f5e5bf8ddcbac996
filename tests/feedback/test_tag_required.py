"""Feedback in a forum that requires a tag on every post (channel flag REQUIRE_TAG).

Discord's channel.mdx, Channel Flags: "REQUIRE_TAG ... whether a tag is required to be specified when creating a
thread in a GUILD_FORUM or a GUILD_MEDIA channel"; an untagged post is refused with 40067 ("A tag is required to
create a forum post in this channel", opcodes-and-status-codes.mdx). Kudos tags every post with its type and
status tags; when the forum has none of them it says so, and nothing is half-written.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.feedback.tables import feedback
from bot.sandbox.harness import ChannelSpec, Harness, WorldSpec
from tests.feedback.test_e2e import report, tag_names

REQUIRE_TAG = 1 << 4
KUDOS_TAGS = ["Bug", "Idea", "Praise", "Question", "New", "Acknowledged", "Planned", "In progress", "Shipped",
              "Declined", "Duplicate"]


def _world(tags: list[str]) -> WorldSpec:
    spec = WorldSpec.default()
    spec.channels = [c for c in spec.channels if c.name != "feedback"]
    spec.channels.append(ChannelSpec("feedback", "forum", tags, flags=REQUIRE_TAG))
    return spec


async def _items(h: Harness) -> int:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(feedback))).scalar_one())


class TestWithKudosTags:
    @pytest.fixture(name="world")
    def _world_fixture(self) -> WorldSpec:
        return _world(KUDOS_TAGS)

    async def test_a_post_in_a_tag_required_forum_carries_its_tags(self, kudos: Harness) -> None:
        done = await report(kudos)
        assert done.ephemeral and "posted" in (done.content or ""), done.content
        forum = kudos.channel_id("feedback")
        threads = [c for c in kudos.emu.state.channels.values() if c.parent_id == forum]
        assert len(threads) == 1
        assert tag_names(kudos, threads[0].id) == ["Bug", "New"]


class TestWithoutKudosTags:
    @pytest.fixture(name="world")
    def _world_fixture(self) -> WorldSpec:
        return _world(["Hardware", "Software"])

    async def test_a_forum_without_kudos_tags_gets_a_clear_refusal_and_nothing_half_written(
            self, kudos: Harness) -> None:
        done = await report(kudos)
        assert done.ephemeral, done.content
        text = done.content or ""
        assert "requires a tag on every post" in text and "**Bug**" in text and "**New**" in text, text
        forum = kudos.channel_id("feedback")
        assert not [c for c in kudos.emu.state.channels.values() if c.parent_id == forum]
        assert await _items(kudos) == 0  # the draft was discarded with the refused post
