"""Feedback posts in a quiet forum auto-archive (threads.mdx: after ``auto_archive_duration`` minutes without
activity), and "Users cannot edit messages, add reactions, use application commands, or join archived threads"
(50083 for the bot's edits too). A vote on such a post must still update the count on its card."""

from __future__ import annotations

from bot.sandbox.harness import Harness
from tests.feedback.test_e2e import embed_field, item, report, starter


async def test_a_vote_on_an_auto_archived_post_updates_its_count(kudos: Harness) -> None:
    await report(kudos, type_="idea")
    row = await item(kudos)
    archived = await kudos.emu.advance(days=8)  # longer than any auto_archive_duration (max one week)
    assert row.thread_id in {t.id for t in archived}
    assert kudos.emu.state.channels[row.thread_id].archived

    vote = await kudos.member("bob").click(row.thread_id, label="Me too")
    assert vote.ephemeral and "Counted" in (vote.content or ""), vote.content
    assert embed_field(starter(kudos, row.thread_id), "Votes") == "1"
    assert kudos.emu.state.channels[row.thread_id].archived  # and it rests again
