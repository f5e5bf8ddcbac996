"""Kudos → GitHub end to end, on both databases: votes on a linked item update ONE summary comment on the
issue (created once, then edited), through githubkit against a loopback GitHub stand-in whose answers
githubkit's typed models parse; a change that came from GitHub is not sent back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from typing import Any

import pytest

from bot.sandbox.harness import Harness
from tests.conftest import running_harness
from tests.feedback.test_e2e import item, report
from tests.github.payloads import example
from tests.github.standin import GitHubStandIn
from tests.github.test_receiver import CONFIG, REPO, SECRET, deliver


@pytest.fixture
async def standin() -> AsyncIterator[GitHubStandIn]:
    s = await GitHubStandIn().start()
    yield s
    await s.stop()


@pytest.fixture(params=["sqlite", "postgres"])
async def gh(request, tmp_path, monkeypatch, standin: GitHubStandIn) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KUDOS_GITHUB_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("KUDOS_GITHUB_TOKEN", "github_pat_test")
    monkeypatch.setenv("KUDOS_GITHUB_API_URL", standin.url)
    async with running_harness(request.param, partial(Harness, None, CONFIG), tmp_path) as harness:
        yield harness


async def test_votes_update_one_summary_comment(gh: Harness, standin: GitHubStandIn) -> None:
    h = gh
    await report(h)
    row = await item(h)
    assert h.bot is not None
    await h.bot.app.github.link(h.guild_id, row.id, f"{REPO}#1", actor_id=h.members["sam"])
    starter = h.emu.message(row.thread_id)
    await h.member("bob").click(starter.id, label="Me too")
    await h.advance(timedelta(seconds=1))
    await h.member("carol").click(starter.id, label="Me too")
    await h.advance(timedelta(seconds=1))
    assert [c.method for c in standin.calls] == ["POST", "PATCH"]
    created, edited = standin.calls
    assert created.path == "/repos/codertocat/hello-world/issues/1/comments"
    assert created.authorization in ("token github_pat_test", "Bearer github_pat_test")
    [comment_id] = standin.comments
    assert edited.path == f"/repos/codertocat/hello-world/issues/comments/{comment_id}"
    assert "1 member of" in created.body["body"] and "2 members" in edited.body["body"]
    assert standin.comments[comment_id]["body"] == edited.body["body"]
    link = await h.bot.app.github.link_of(row.id)
    assert link is not None and link.summary_comment == str(comment_id)
    # A change from GitHub (the issue reopened) changes the item and sends nothing back to GitHub.
    status, answer = await deliver(h, example("reopened"), delivery="s-1")
    assert (status, answer) == (200, {"outcome": "changed"})
    await h.advance(timedelta(minutes=5))
    assert len(standin.calls) == 2
    # A vote after a restart edits the same comment again.
    await h.restart()
    await h.member("alice").click(starter.id, label="Me too")  # the reporter's own vote: not counted
    await h.advance(timedelta(seconds=1))
    assert len(standin.calls) == 2 and len(standin.comments) == 1
    calls: list[Any] = standin.calls
    assert all(c.method in ("POST", "PATCH") for c in calls)


async def test_open_issue_creates_the_issue_with_the_report_and_links_it(gh: Harness, standin: GitHubStandIn) -> None:
    h = gh
    await report(h, values={"Title": "Crash when saving", "Details": "@octocat ```boom``` <b>", "Steps to reproduce":
                            "1. Save\nVersion: 2.4.1"})
    row = await item(h)
    answer = await h.member("sam").slash("feedback open-issue", item=row.id, repo=REPO)
    assert "Opened codertocat/hello-world#100" in (answer.content or "")
    [call] = standin.calls
    assert call.method == "POST" and call.path == "/repos/codertocat/hello-world/issues"
    assert call.body["title"] == "Crash when saving"
    body = call.body["body"]
    assert f"https://discord.com/channels/{h.guild_id}/{row.thread_id}" in body
    assert "````text\n@octocat ```boom``` <b>\n````" in body  # member text fenced: no markdown, no @-notify
    assert h.bot is not None
    link = await h.bot.app.github.link_of(row.id)
    assert link is not None and link.ref == "codertocat/hello-world#100"
    # Not allowed for a member: staff only (checked when the command runs).
    refused = await h.member("bob").slash("feedback open-issue", item=row.id, repo=REPO)
    assert refused.ephemeral and len(standin.calls) == 1
