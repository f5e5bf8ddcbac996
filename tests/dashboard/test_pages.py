"""Dashboard pages against the real bot: every page renders, member text is escaped, and a status change
from the page reaches the reporter's DMs exactly as /feedback status does."""

from __future__ import annotations

from bot.sandbox.harness import Harness
from tests.dashboard.conftest import csrf_of, get, log_in, post

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


async def report(h: Harness, who: str = "alice", title: str = "Dark mode") -> int:
    opened = await h.member(who).slash("feedback new", type="idea")
    assert opened.modal is not None, opened.content
    await h.member(who).submit_modal(opened, {"Title": title, "Details": f"Please {EVIL}"})
    assert h.bot is not None
    page = await h.bot.app.feedback.page(h.guild_id)
    return max(i.id for i in page.items)


async def test_every_page_renders(dash: Harness, http) -> None:
    item_id = await report(dash)
    base = await log_in(dash, http)
    alice = dash.members["alice"]
    for path, text in (("/", "This week"), ("/?period=30d", "Charts"), ("/members?q=ali", "alice"),
                       (f"/members/{alice}", "Ledger"), ("/betas", "Betas"), ("/feedback", "Dark mode"),
                       ("/feedback?status=new&type=idea", "Dark mode"), (f"/feedback/{item_id}", "Change the status"),
                       ("/rewards", "Perk pools"), ("/audit", "Audit log"), (f"/audit?member={alice}&from=2020-01-01",
                                                                             "Audit log")):
        status, page = await get(http, base + path)
        assert status == 200, (path, page)
        assert text in page, path
    status, page = await get(http, base + "/")
    assert page.count("data:image/svg+xml;base64,") == 5


async def test_member_written_html_is_escaped(dash: Harness, http) -> None:
    item_id = await report(dash, title="<b>bold</b> & <i>co</i>")
    base = await log_in(dash, http)
    for path in ("/feedback", f"/feedback/{item_id}"):
        _, page = await get(http, base + path)
        assert "<script>alert" not in page and "<b>bold</b>" not in page and "<img src=x" not in page
        assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;co&lt;/i&gt;" in page
    _, page = await get(http, base + f"/feedback/{item_id}")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    _, page = await get(http, base + "/members", params={"q": "<script>"})
    assert "<script>" not in page and "&lt;script&gt;" in page


async def test_a_status_change_from_the_page_reaches_the_reporter_and_voters(dash: Harness, http) -> None:
    item_id = await report(dash)
    assert dash.bot is not None
    item = await dash.bot.app.feedback.get(dash.guild_id, item_id)
    await dash.member("bob").click(item.status_message_id, label="Me too")
    alice_dms, bob_dms = len(dash.member("alice").dms()), len(dash.member("bob").dms())
    base = await log_in(dash, http)
    csrf = await csrf_of(http, base + f"/feedback/{item_id}")
    status, page = await post(http, base + f"/feedback/{item_id}/status",
                              {"csrf": csrf, "status": "planned", "note": "Next sprint <3"})
    assert status == 200 and "is now planned" in page and "2 members will be told" in page
    await dash.settle()
    new_alice = dash.member("alice").dms()[alice_dms:]
    new_bob = dash.member("bob").dms()[bob_dms:]
    assert new_alice and "Planned" in new_alice[-1].content and "Next sprint" in new_alice[-1].content
    assert new_bob and "Planned" in new_bob[-1].content
    assert (await dash.bot.app.feedback.get(dash.guild_id, item_id)).status == "planned"
    thread_messages = dash.emu.messages(item.thread_id)
    assert any("Planned" in (m.content or "") for m in thread_messages)  # the thread got its status line
    # A refused transition comes back as the service's message.
    status, page = await post(http, base + f"/feedback/{item_id}/status", {"csrf": csrf, "status": "planned"})
    assert status == 400 and "already planned" in page


async def test_the_page_does_not_count_a_member_who_left_as_told(dash: Harness, http) -> None:
    """Like /feedback status: a voter who left the server gets no DM, so the page does not count them."""
    item_id = await report(dash)
    assert dash.bot is not None
    item = await dash.bot.app.feedback.get(dash.guild_id, item_id)
    await dash.member("bob").click(item.status_message_id, label="Me too")
    await dash.member("bob").leave()
    base = await log_in(dash, http)
    csrf = await csrf_of(http, base + f"/feedback/{item_id}")
    status, page = await post(http, base + f"/feedback/{item_id}/status", {"csrf": csrf, "status": "planned"})
    assert status == 200 and "is now planned" in page
    assert "1 member will be told (1 who left the server won&#39;t be); the thread&#39;s status line is on its way." in page, page


async def test_another_guilds_item_ids_are_not_found(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    for path in ("/feedback/999", "/betas/999", "/members/999"):
        status, _ = await get(http, base + path)
        assert status == 404, path
