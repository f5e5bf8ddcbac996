"""The dashboard overview shows the give-back balance, the people to thank and the ladder funnel (issue #26)."""

from __future__ import annotations

from bot.sandbox.harness import Harness
from tests.dashboard.conftest import get, log_in


async def test_overview_lists_people_to_thank_and_the_funnel(dash: Harness, http) -> None:
    assert dash.bot is not None
    for i in range(10):  # carol: 10 contributions, nothing back
        await dash.bot.app.ledger.credit(dash.guild_id, dash.members["carol"], "creation",
                                         source_key=f"creation:carol:{i}", actor_id=None)
    await dash.settle()
    base = await log_in(dash, http)
    status, page = await get(http, base + "/")
    assert status == 200
    month = dash.clock.now().strftime("%Y-%m")
    assert "Give-back balance" in page and f"<td>{month}</td><td>0</td><td>10</td>" in page
    people = page.split("<h2>People to thank</h2>", 1)[1].split("<h2>", 1)[0]
    assert f"/members/{dash.members['carol']}" in people and "<td>10</td>" in people
    funnel = page.split("<h2>Ladder funnel (staff excluded)</h2>", 1)[1].split("<h2>", 1)[0]
    assert "<td>creator</td><td>1</td><td>0</td>" in funnel
