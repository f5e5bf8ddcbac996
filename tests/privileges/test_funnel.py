"""The ladder's promotion/demotion funnel per stage and month, staff excluded (issue #26 part 5): /stats funnel."""

from __future__ import annotations

from bot.sandbox.harness import Harness
from tests.contributions._helpers import ledger_rows
from tests.privileges._helpers import give


async def test_funnel_counts_promotions_and_demotions_and_leaves_staff_out(kudos: Harness) -> None:
    await give(kudos, "alice", 3, kind="curation")  # consumer -> curator
    await give(kudos, "bob", 8, kind="creation")  # consumer -> creator: crosses curator and creator
    assert kudos.bot is not None  # sam (staff) reaches creator too: left out of the funnel
    await kudos.bot.app.ledger.credit(kudos.guild_id, kudos.members["sam"], "creation", source_key="creation:sam",
                                      actor_id=None)
    entry = (await ledger_rows(kudos, "bob"))[-1].id
    await kudos.member("sam").slash("contrib revoke", entry=entry, reason="not a guide")  # bob back to consumer
    month = kudos.clock.now().strftime("%Y-%m")
    refused = await kudos.member("alice").slash("stats funnel")
    assert refused.failed or "staff" in (refused.content or "").lower()
    shown = await kudos.member("sam").slash("stats funnel")
    text = shown.embeds[0]["description"]
    assert f"`{month}` **curator**: ▲ 2 · ▼ 1" in text, text
    assert f"`{month}` **creator**: ▲ 1 · ▼ 1" in text, text
