"""``/beta poll`` end to end: the real bot posts a native poll in the beta's thread through the emulator,
members vote (MESSAGE_POLL_VOTE_ADD / _REMOVE, gateway-events.mdx), a vote counts as participation once per
member and poll, and the close summary shows the answer counts. The emulator refuses polls Discord refuses
(poll.mdx, "Poll Create Request Object")."""

from __future__ import annotations

from datetime import timedelta

import discord
import pytest

from bot.betas.tables import beta_poll_voters, beta_polls, betas
from bot.emulator import rules, world_polls
from bot.emulator.rules import ApiError
from bot.sandbox.harness import Harness
from tests.betas.test_e2e import announcement, bot_config, create, rows, world  # noqa: F401 - fixtures

QUESTION = "Which uploader feels faster?"


async def _open_beta(h: Harness) -> object:
    await create(h, ends="7d")
    post = announcement(h)
    for name in ("alice", "bob"):
        joined = await h.member(name).click(post.id, label="Join")
        assert "You're in" in (joined.content or ""), joined.content
    return (await rows(h, betas))[0]


def _poll_message(h: Harness, channel_id: int) -> object:
    found = [m for m in h.emu.messages(channel_id) if m.poll is not None]
    assert len(found) == 1, found
    return found[0]


async def test_poll_vote_counts_once_and_the_result_lands_in_the_close_summary(kudos: Harness) -> None:
    beta = await _open_beta(kudos)
    done = await kudos.member("sam").slash("beta poll", beta="Photos v2", question=QUESTION,
                                           answers="old; new ;same", hours=48)
    assert done.ephemeral and "The poll is up" in (done.content or ""), done.content
    msg = _poll_message(kudos, beta.thread_id)
    assert msg.poll.question == QUESTION
    assert [a["poll_media"]["text"] for a in msg.poll.answers] == ["old", "new", "same"]
    assert timedelta(hours=47) < msg.poll.expiry - msg.timestamp <= timedelta(hours=48)
    assert (await rows(kudos, beta_polls))[0].message_id == msg.id

    alice, bob, carol = (kudos.members[n] for n in ("alice", "bob", "carol"))
    emu = kudos.emu
    await emu.vote_poll(msg.channel_id, msg.id, alice, 2)
    await emu.unvote_poll(msg.channel_id, msg.id, alice, 2)
    await emu.vote_poll(msg.channel_id, msg.id, alice, 3)  # vote, unvote, vote again: participation once
    await emu.vote_poll(msg.channel_id, msg.id, bob, 2)
    await emu.vote_poll(msg.channel_id, msg.id, carol, 1)  # not in the beta: counted in the answers only
    await kudos.settle()
    names = [e.name for e in emu.gateway.events if e.name.startswith("MESSAGE_POLL_VOTE")]
    assert names.count("MESSAGE_POLL_VOTE_ADD") == 4 and names.count("MESSAGE_POLL_VOTE_REMOVE") == 1
    voters = {r.user_id: r.participant for r in await rows(kudos, beta_poll_voters)}
    assert voters == {alice: True, bob: True, carol: False}

    closed = await kudos.member("sam").slash("beta close", name="Photos v2")
    assert "2 participant" in (closed.content or ""), closed.content
    summary = next(m.content for m in emu.messages(kudos.channel_id("staff-log"))
                   if "Beta Photos v2 closed" in (m.content or ""))
    assert "active (gave feedback or voted in a poll): 2" in summary, summary
    assert f"Poll “{QUESTION}”: old 1 · new 1 · same 1 (2 participants voted)" in summary, summary


async def test_poll_is_for_staff_and_checks_its_answers(kudos: Harness) -> None:
    await _open_beta(kudos)
    refused = await kudos.member("alice").slash("beta poll", beta="Photos v2", question="Q?", answers="a;b")
    assert refused.ephemeral and "poll is up" not in (refused.content or "")
    one = await kudos.member("sam").slash("beta poll", beta="Photos v2", question="Q?", answers="only one")
    assert "at least 2 answers" in (one.content or ""), one.content
    many = await kudos.member("sam").slash("beta poll", beta="Photos v2", question="Q?",
                                           answers=";".join(f"a{i}" for i in range(11)))
    assert "at most 10 answers" in (many.content or ""), many.content
    assert await rows(kudos, beta_polls) == []


def _poll(question: str = "Q?", answers: int = 2, hours: int = 24) -> discord.Poll:
    poll = discord.Poll(question=question, duration=timedelta(hours=hours))
    for i in range(answers):
        poll.add_answer(text=f"answer {i}")
    return poll


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"answers": 11}, "answers"),  # poll.mdx: "Each of the answers available in the poll, up to 10"
    ({"question": "x" * 301}, "question"),  # poll.mdx: "The maximum length of `text` is 300 for the question"
    ({"hours": 32 * 24 + 1}, "duration"),  # poll.mdx: duration "up to 32 days"
])
async def test_emulator_refuses_polls_discord_refuses(kudos: Harness, kwargs: dict, field: str) -> None:
    assert kudos.bot is not None
    channel = kudos.bot.get_channel(kudos.channel_id("general"))
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send(poll=_poll(**kwargs))
    assert refused.value.status == 400 and refused.value.code == 50035
    assert not [m for m in kudos.emu.messages(channel.id) if m.poll is not None]
    # the spec says so too (where it is present): a violation provoked here on purpose
    assert all("poll" in message for _, _, message in kudos.emu.validator.violations)
    kudos.emu.validator.violations.clear()
    # and the emulator's own model refuses it, without the spec
    with pytest.raises(ApiError) as own:
        world_polls.check({"poll": _poll(**kwargs)._to_dict()})
    assert own.value.code == 50035 and field in own.value.errors["poll"]


async def test_emulator_poll_votes_and_answer_voters(kudos: Harness) -> None:
    """gateway-events.mdx: one MESSAGE_POLL_VOTE_ADD per answer with user_id, channel_id, message_id, guild_id
    and answer_id; poll.mdx, Get Answer Voters lists who picked an answer; a poll message can't be edited."""
    assert kudos.bot is not None
    channel = kudos.bot.get_channel(kudos.channel_id("general"))
    sent = await channel.send(poll=_poll())
    alice = kudos.members["alice"]
    await kudos.emu.vote_poll(channel.id, sent.id, alice, 1)
    event = [e for e in kudos.emu.gateway.events if e.name == "MESSAGE_POLL_VOTE_ADD"][-1]
    assert event.data == {"user_id": str(alice), "channel_id": str(channel.id), "message_id": str(sent.id),
                          "guild_id": str(channel.guild.id), "answer_id": 1}
    with pytest.raises(Exception, match="one answer"):
        await kudos.emu.vote_poll(channel.id, sent.id, alice, 2)
    voters = [u async for u in sent.poll.get_answer(1).voters()]
    assert [u.id for u in voters] == [alice]
    with pytest.raises(discord.HTTPException) as refused:
        await sent.edit(content="changed")
    assert refused.value.code == 50035


async def test_the_poll_job_survives_500s_and_posts_once(kudos: Harness) -> None:
    """A 5xx is retried (opcodes-and-status-codes.mdx): the poll goes out once Discord answers, once."""
    beta = await _open_beta(kudos)
    outage = kudos.emu.faults.add(route="POST /channels/{channel_id}/messages", status=500, count=10)
    done = await kudos.member("sam").slash("beta poll", beta="Photos v2", question=QUESTION, answers="a;b")
    assert "Discord isn't answering" in (done.content or ""), done.content
    assert outage.hits > 0 and (await rows(kudos, beta_polls))[0].status == "pending"
    for _ in range(8):
        await kudos.advance(timedelta(minutes=5))
        if (await rows(kudos, beta_polls))[0].status == "posted":
            break
    msg = _poll_message(kudos, beta.thread_id)  # exactly one
    assert (await rows(kudos, beta_polls))[0].message_id == msg.id


async def test_a_poll_without_send_polls_is_told_to_the_staff_log(kudos: Harness) -> None:
    """permissions.mdx: SEND_POLLS; without it Discord answers 50013, the job fails at once, staff hear why."""
    await _open_beta(kudos)
    everyone = kudos.emu.state.guilds[kudos.guild_id].roles[kudos.guild_id]
    everyone.permissions &= ~rules.SEND_POLLS
    done = await kudos.member("sam").slash("beta poll", beta="Photos v2", question=QUESTION, answers="a;b")
    assert "could not be posted" in (done.content or ""), done.content
    assert (await rows(kudos, beta_polls))[0].status == "failed"
    staff_log = [m.content or "" for m in kudos.emu.messages(kudos.channel_id("staff-log"))]
    assert any("post a poll of beta" in line and "Send Polls" in line for line in staff_log), staff_log
