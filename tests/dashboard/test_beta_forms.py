"""Creating and editing a beta from the dashboard, as ``/beta create`` and ``/beta edit``: the same checks, the
announcement posted through its durable job (now, or at the start date), and an edit refreshing it and
moving members in from the waitlist as the command does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.betas.tables import betas
from bot.platform.tables import audit_log
from bot.sandbox.harness import Harness
from tests.dashboard.conftest import csrf_of, get, log_in, post, refused_for_non_staff, refused_without_csrf


def announcements(h: Harness, name: str) -> list[Any]:
    return [m for m in h.emu.messages(h.channel_id("announcements"))
            if m.author_id == h.emu.bot_user_id and m.embeds and m.embeds[0]["title"].startswith(f"Beta: {name}")]


def spots(message: Any) -> str:
    return next(f["value"] for f in message.embeds[0]["fields"] if f["name"] == "Spots")


async def beta_row(h: Harness, name: str) -> Any:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return (await conn.execute(select(betas).where(betas.c.name == name))).one()


async def test_create_a_beta_from_the_page(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    status, page = await get(http, base + "/betas/new")
    assert status == 200 and 'id="beta-form"' in page and "#announcements" in page
    csrf = await csrf_of(http, base + "/betas")
    form = {"csrf": csrf, "name": "Photos v2", "description": "Try the new <b>uploader</b>.", "capacity": "1",
            "waitlist": "on", "incentive": "500 MB free", "ends": "14d"}
    status, page = await post(http, base + "/betas", form)
    assert status == 200 and "Beta Photos v2 is announced in #announcements." in page, page[-2000:]
    assert "Try the new &lt;b&gt;uploader&lt;/b&gt;." in page
    await dash.settle()
    posted = announcements(dash, "Photos v2")
    assert len(posted) == 1 and posted[0].embeds[0]["description"] == "Try the new <b>uploader</b>."
    row = await beta_row(dash, "Photos v2")
    assert row.status == "open" and row.capacity == 1 and row.announcement_message_id == posted[0].id
    assert dash.bot is not None
    async with dash.bot.db.connect() as conn:
        created = list(await conn.execute(select(audit_log).where(audit_log.c.action == "beta.created")))
    assert len(created) == 1 and created[0].actor_id == dash.members["sam"]

    # The command's refusals, on the form as it was sent.
    for change, status_code, says in (({"name": "Photos v2"}, 409, "already exists"),
                                      ({"name": "\u200b\u2060"}, 400, "needs a name"),
                                      ({"name": "Later", "ends": "9999-12-31"}, 400, "too far ahead"),
                                      ({"name": "Later", "channel": "123"}, 400, "names no such channel"),
                                      ({"name": "Later", "capacity": "lots"}, 400, "takes a whole number")):
        status, page = await post(http, base + "/betas", {**form, **change})
        assert status == status_code and says in page, (change, status, page[-1500:])
        assert 'id="beta-form"' in page and "500 MB free" in page
    assert [r.row.name for r in await dash.bot.app.betas.all(dash.guild_id)] == ["Photos v2"]


async def test_a_beta_starting_later_is_announced_by_its_job(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    csrf = await csrf_of(http, base + "/betas")
    status, page = await post(http, base + "/betas", {"csrf": csrf, "name": "Dark mode", "description": "Night",
                                                     "starts": "3d", "waitlist": "on"})
    assert status == 200 and "Beta Dark mode is created; its announcement goes out in #announcements at" in page
    await dash.settle()
    assert announcements(dash, "Dark mode") == []
    await dash.advance(timedelta(days=3, minutes=1))
    assert len(announcements(dash, "Dark mode")) == 1
    assert (await beta_row(dash, "Dark mode")).status == "open"


async def test_edit_a_beta_refreshes_the_announcement_and_moves_the_waitlist(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    csrf = await csrf_of(http, base + "/betas")
    status, _ = await post(http, base + "/betas", {"csrf": csrf, "name": "Photos", "description": "Try it",
                                                  "capacity": "1", "waitlist": "on"})
    assert status == 200
    await dash.settle()
    message = announcements(dash, "Photos")[0]
    await dash.member("alice").click(message.id, label="Join")
    await dash.member("bob").click(message.id, label="Join")
    await dash.settle()
    row = await beta_row(dash, "Photos")
    status, page = await get(http, base + f"/betas/{row.id}")
    assert status == 200 and 'id="beta-edit"' in page
    status, page = await post(http, base + f"/betas/{row.id}/edit", {
        "csrf": csrf, "name": "Photos", "description": "Try it", "capacity": "2", "waitlist": "on",
        "incentive": "A month free"})
    assert status == 200 and "Updated Photos. 1 moved in from the waitlist." in page, page[-1500:]
    await dash.settle()
    row = await beta_row(dash, "Photos")
    assert row.capacity == 2 and row.incentive == "A month free"
    assert dash.bot is not None
    people = {p.user_id: p.status for p in await dash.bot.app.betas.participants(dash.guild_id, row.id)}
    assert people == {dash.members["alice"]: "joined", dash.members["bob"]: "joined"}
    edited = [m for m in announcements(dash, "Photos") if m.id == message.id]
    assert len(edited) == 1 and "Full (2 of 2)" in spots(edited[0])  # the announcement was refreshed by its job
    # Nothing changed, and a change the service refuses: its message, nothing saved.
    status, page = await post(http, base + f"/betas/{row.id}/edit", {
        "csrf": csrf, "name": "Photos", "description": "Try it", "capacity": "2", "waitlist": "on",
        "incentive": "A month free"})
    assert status == 400 and "Nothing to change" in page
    status, page = await post(http, base + f"/betas/{row.id}/edit", {
        "csrf": csrf, "name": "Photos", "description": "Try it", "capacity": "1", "waitlist": "on"})
    assert status == 400 and "capacity can&#39;t go below" in page
    assert (await beta_row(dash, "Photos")).capacity == 2
    status, page = await post(http, base + "/betas/999999/edit", {"csrf": csrf, "name": "x"})
    assert status == 404


async def test_beta_forms_need_csrf_and_a_current_staff_member(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    csrf = await csrf_of(http, base + "/betas")
    status, _ = await post(http, base + "/betas", {"csrf": csrf, "name": "Photos", "description": "Try it"})
    assert status == 200
    row = await beta_row(dash, "Photos")
    for path, data in (("/betas", {"name": "Sneaky", "description": "x"}),
                       (f"/betas/{row.id}/edit", {"name": "Renamed", "description": "Try it"})):
        await refused_without_csrf(http, base + path, data)
        await refused_for_non_staff(dash, path, data)
    assert dash.bot is not None
    assert [b.row.name for b in await dash.bot.app.betas.all(dash.guild_id)] == ["Photos"]
