"""A reversal's line keeps its post's title once the post is archived (issue #20, item 5): the title comes from
the entry it reverses, and the reversal's reason is shown as the reason, never where the title belongs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.sandbox.harness import Harness
from tests.contributions._helpers import ledger_rows, post_with_reply, reply_text

REASON = "Copied from the manual without credit"


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {"solutions": {"close_after_hours": 24}}}}


def latest(reply: Any) -> str:
    fields = {f["name"]: f["value"] for f in reply.embeds[0].get("fields", [])}
    return str(fields["Latest"])


async def test_a_reversal_of_an_archived_answer_shows_the_title_and_the_reason(kudos: Harness) -> None:
    thread, reply = await post_with_reply(kudos, "alice", "bob", title="Sync fails after update")
    await kudos.member("alice").context_menu("Mark as solution", message_id=reply.id)
    entry = (await ledger_rows(kudos, "bob"))[0]
    revoked = await kudos.member("sam").slash("contrib revoke", entry=entry.id, reason=REASON)
    assert "Reversed" in reply_text(revoked)
    await kudos.advance(timedelta(hours=25))  # the post closes: archived, so the bot no longer knows its name
    assert kudos.emu.state.channels[thread.id].archived is True
    assert kudos.bot is not None and kudos.bot.get_guild(kudos.guild_id).get_thread(thread.id) is None  # type: ignore[union-attr]

    lines = latest(await kudos.member("bob").slash("profile")).splitlines()
    reversal = next(line for line in lines if line.startswith("-10"))
    assert reversal.startswith(f"-10 answer in #help 'Sync fails after update', reversed by <@{kudos.members['sam']}>"
                               f" — reason: {REASON} (")
    assert f"'{REASON}'" not in reversal
    credit = next(line for line in lines if "+10" in line)
    assert "'Sync fails after update'" in credit and REASON not in credit
    # staff see the same in /contrib history
    history = (await kudos.member("sam").slash("contrib history", member=kudos.members["bob"])).embeds[0]["description"]
    assert "'Sync fails after update', reversed by" in history and f"'{REASON}'" not in history
