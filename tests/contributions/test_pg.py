"""The key contribution paths on PostgreSQL (advisory locks, savepoints, timers): skipped without one."""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.harness import Harness
from tests.contributions._helpers import ledger_rows, points, post_with_reply, reply_text, tag_names


async def test_answer_move_close_and_profile_on_postgres(kudos_pg: Harness) -> None:
    kudos = kudos_pg
    thread, first = await post_with_reply(kudos, "alice", "bob")
    second = await kudos.member("carol").say("clear the cache", in_="sync fails")
    await kudos.member("alice").context_menu("Mark as solution", message_id=first.id)
    await kudos.member("alice").context_menu("Mark as solution", message_id=second.id)
    assert await points(kudos, "bob") == 0 and await points(kudos, "carol") == 10
    assert tag_names(kudos, thread.id) == ["Solved"]
    await kudos.restart()
    await kudos.advance(timedelta(hours=25))
    assert kudos.emu.state.channels[thread.id].archived is True
    shown = await kudos.member("carol").slash("profile")
    assert "**10** points" in shown.embeds[0]["fields"][0]["value"]


async def test_tag_failure_rolls_back_on_postgres(kudos_pg: Harness) -> None:
    kudos = kudos_pg
    thread, reply = await post_with_reply(kudos, "alice", "bob")
    kudos.emu.faults.add("PATCH /channels/{channel_id}", status=403, count=1)
    inter = await kudos.member("alice").context_menu("Mark as solution", message_id=reply.id)
    assert "Nothing was recorded" in reply_text(inter)
    assert await ledger_rows(kudos) == [] and tag_names(kudos, thread.id) == []


async def test_feature_and_thanks_on_postgres(kudos_pg: Harness) -> None:
    kudos = kudos_pg
    post = await kudos.member("bob").say("my build", in_="general")
    await kudos.member("carol").context_menu("Feature this post", message_id=post.id)
    await kudos.member("alice").slash("thanks", member=kudos.members["bob"])
    refused = await kudos.member("alice").slash("thanks", member=kudos.members["bob"])
    assert "recently" in reply_text(refused)
    assert await points(kudos, "bob") == 10 and await points(kudos, "carol", "curation") == 3
    assert kudos.bot is not None and await kudos.bot.app.ledger.totals_consistent(kudos.guild_id)
