"""GitHub → Kudos end to end: the real bot with its web server on loopback receives GitHub's example
deliveries at ``/hooks/github`` (tests/github/examples, from octokit/webhooks), on both databases.

- an ``issues.closed`` (completed) delivery with a valid signature makes the linked item shipped, with the
  milestone as the version, and the reporter's DM arrives (the normal status flow);
- a bad signature is answered 401 and nothing changes;
- a replayed ``X-GitHub-Delivery`` is ignored;
- deliveries about an issue no item links to are ignored and counted;
- GitHub's text reaches Discord only as Kudos' own words (the version keeps [A-Za-z0-9._+-])."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import aiohttp
import pytest

from bot.sandbox.harness import Harness
from tests.conftest import running_harness
from tests.feedback.test_e2e import item, report
from tests.github.payloads import closed, example, labeled, signed

SECRET = "gh-webhook-secret-for-tests"
REPO = "Codertocat/Hello-World"  # the repository of octokit's examples
CONFIG: dict[str, Any] = {"web": {"enabled": True, "host": "127.0.0.1", "port": 0},
                          "guilds": {"default": {"github": {"repos": [REPO]}}}}


@pytest.fixture(params=["sqlite", "postgres"])
async def gh(request, tmp_path, monkeypatch) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KUDOS_GITHUB_WEBHOOK_SECRET", SECRET)
    async with running_harness(request.param, partial(Harness, None, CONFIG), tmp_path) as harness:
        yield harness


async def deliver(h: Harness, payload: dict[str, Any], *, delivery: str, secret: str = SECRET,
                  event: str = "issues") -> tuple[int, dict[str, Any]]:
    assert h.bot is not None and h.bot.web is not None
    body, signature = signed(secret, payload)
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": signature,
               "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as http, http.post(h.bot.web.base_url + "/hooks/github", data=body,
                                                          headers=headers) as resp:
        answer = await resp.json()
        status = resp.status
    await h.settle()
    return status, answer


def test_githubkit_parses_the_examples_and_the_closed_payload() -> None:
    from githubkit.webhooks import parse_obj

    assert parse_obj("issues", example("reopened")).action == "reopened"
    assert parse_obj("issues", labeled()).label.name == "bug"  # type: ignore[union-attr]
    done = parse_obj("issues", closed())
    assert type(done).__name__ == "WebhookIssuesClosed" and done.issue.state_reason == "completed"  # type: ignore[union-attr]


async def test_closed_as_completed_ships_the_linked_item_and_the_reporter_hears(gh: Harness) -> None:
    h = gh
    await report(h)
    row = await item(h)
    assert h.bot is not None
    # Before the link: the issue is nobody's, the delivery is ignored and counted.
    assert await deliver(h, example("opened"), delivery="d-0") == (200, {"outcome": "unlinked"})
    assert await h.bot.app.github.unlinked_count() == 1
    answer = await h.member("sam").slash("feedback link", item=row.id, issue=f"{REPO}#1")
    assert answer.ephemeral and "linked to codertocat/hello-world#1" in (answer.content or "")
    dms_before = len(h.emu.dms(h.members["alice"]))

    # A wrong signature: 401, nothing changes.
    assert (await deliver(h, closed(), delivery="d-1", secret="wrong"))[0] == 401
    assert (await item(h)).status == "new"

    assert await deliver(h, closed(), delivery="d-2") == (200, {"outcome": "changed"})
    shipped = await item(h)
    assert shipped.status == "shipped" and shipped.version == "v1.0"  # the example's milestone
    dms = h.emu.dms(h.members["alice"])[dms_before:]
    assert len(dms) == 1 and "v1.0" in (dms[0].content or "") + str(dms[0].embeds)
    # The same delivery again (GitHub's redelivery, or a replay): ignored.
    assert await deliver(h, closed(), delivery="d-2") == (200, {"outcome": "duplicate"})
    assert len(h.emu.dms(h.members["alice"])) == dms_before + 1


async def test_reopened_labels_and_not_planned_follow_the_mapping(gh: Harness) -> None:
    h = gh
    await report(h)
    row = await item(h)
    assert h.bot is not None
    await h.bot.app.github.link(h.guild_id, row.id, f"{REPO}#1", actor_id=h.members["sam"])
    assert await deliver(h, example("reopened"), delivery="r-1") == (200, {"outcome": "changed"})
    assert (await item(h)).status == "acknowledged"
    # The example's label is "bug": not in the mapping (default: planned → planned), so nothing changes.
    assert await deliver(h, labeled(), delivery="r-2") == (200, {"outcome": "unchanged"})
    assert await deliver(h, labeled("planned"), delivery="r-3") == (200, {"outcome": "changed"})
    # A payload githubkit's typed model refuses (the raw older example): refused as invalid, nothing changes.
    assert await deliver(h, example("labeled"), delivery="r-x") == (400, {"outcome": "invalid"})
    assert (await item(h)).status == "planned"
    nasty = closed("not_planned")
    nasty["issue"]["milestone"] = {**nasty["issue"]["milestone"], "title": "@everyone [x](https://evil.example)"}
    assert await deliver(h, nasty, delivery="r-4") == (200, {"outcome": "changed"})
    declined = await item(h)
    assert declined.status == "declined"
    assert declined.status_note == "Closed on GitHub as not planned (codertocat/hello-world#1)."
