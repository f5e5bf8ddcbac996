"""Staff commands and staff-log reports in the right language (docs/languages.md, issue #27): a German staff
member's `/perks`, `/beta info|participants|list` and `/announce list` replies are German while the server is
French; the French server's staff log gets the beta's closing summary, the reward-role drift report and a
missing-permission report (the action named in it too) in French. End to end on the emulator, on both
databases."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.announcements.tables import announcements
from bot.sandbox.harness import Harness, MemberSpec, RoleSpec, WorldSpec

CODES = ["LANG-CODE-0001", "LANG-CODE-0002", "LANG-CODE-0003"]
MESSAGE_ROUTE = "POST /channels/{channel_id}/messages"


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.locale = "fr"  # the server's preferred locale
    w.roles += [RoleSpec("Helper Star")]
    w.members += [MemberSpec("greta", roles=["Staff"], locale="de")]
    return w


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "perk_pools": [{"name": "storage", "low_stock_warning": 0}],
        "rewards": [{"name": "helper", "trigger": {"kind": "answer", "count": 1}, "role": "Helper Star"}],
        "betas": {"announcement_debounce_seconds": 0.2},
    }}}


def staff_log(h: Harness) -> list[str]:
    return [m.content or "" for m in h.emu.messages(h.channel_id("staff-log"))]


async def create_beta(h: Harness, name: str = "Photos v2", **options: Any) -> Any:
    opened = await h.member("sam").slash("beta create", name=name, **options)  # sam's client is English
    assert opened.modal is not None, opened.content
    await h.member("sam").submit_modal(opened, {"Description": "Try the new photo uploader."})
    posts = [m for m in h.emu.messages(h.channel_id("announcements"))
             if m.author_id == h.emu.bot_user_id and m.embeds and name in m.embeds[0]["title"]]
    assert posts, "no announcement posted"
    return posts[-1]


async def test_a_german_staff_member_gets_german_perks_replies_in_a_french_server(kudos: Harness) -> None:
    greta = kudos.member("greta")
    created = await greta.slash("perks pool create", name="stickers")
    assert created.ephemeral
    assert created.content == ("Perk-Pool **stickers** angelegt. Codes fügst du mit `/perks add-codes` hinzu."), \
        created.content
    added = await greta.slash("perks add-codes", pool="storage", codes=" ".join(CODES[:2]))
    assert added.content == "2 Codes zu **storage** hinzugefügt.", added.content
    one = await greta.slash("perks add-codes", pool="stickers", codes=CODES[2])
    assert one.content == "1 Code zu **stickers** hinzugefügt.", one.content
    stock = await greta.slash("perks stock")
    assert "• **storage**: 2 übrig" in (stock.content or "") and "• **stickers**: 1 übrig" in (stock.content or ""), \
        stock.content
    mine = await greta.slash("perks mine")
    assert mine.content == "Du hast noch keine Perk-Codes. Mach weiter so!", mine.content
    # an English client still reads English
    again = await kudos.member("sam").slash("perks stock")
    assert "• **storage**: 2 left" in (again.content or ""), again.content


async def test_german_beta_lists_and_french_closing_summary(kudos: Harness) -> None:
    post = await create_beta(kudos, capacity=1)
    await kudos.member("alice").click(post.id, label="Rejoindre")  # the public card speaks French
    await kudos.member("bob").click(post.id, label="Rejoindre")
    greta = kudos.member("greta")

    info = await greta.slash("beta info", name="Photos v2")
    assert info.ephemeral and info.embeds
    numbers = next(f for f in info.embeds[0]["fields"] if f["name"] == "Zahlen")
    assert numbers["value"] == "Status offen · 1 dabei · 1 wartet · 0 ausgestiegen", numbers

    listing = await greta.slash("beta participants", name="Photos v2")
    text = listing.content or ""
    assert text.startswith("**Photos v2**: 1 von 1 dabei, 1 wartet\n"), text
    assert re.search(rf"• <@{kudos.members['alice']}> seit <t:\d+:d>", text), text
    assert f"Warteliste: 1. <@{kudos.members['bob']}>" in text, text

    betas = await greta.slash("beta list")
    assert (betas.content or "").startswith("**Photos v2** · offen · "), betas.content
    english = await kudos.member("sam").slash("beta participants", name="Photos v2")
    assert "1 in of 1, 1 waiting" in (english.content or ""), english.content

    closed = await kudos.member("sam").slash("beta close", name="Photos v2")
    assert closed.ephemeral
    await kudos.settle()
    summary = [t for t in staff_log(kudos) if "Photos v2" in t]
    assert summary, staff_log(kudos)
    assert summary[-1].splitlines()[:3] == [
        "**Bêta Photos v2 terminée.**",
        "Inscrits : 1 (1 encore là à la fin, 0 partis) · liste d'attente à la clôture : 1 · actifs (ont donné "
        "un retour) : 0",
        "Retours : aucun"], summary[-1]


@pytest.mark.usefixtures("quick_discord_retries")
async def test_german_announce_list_and_a_french_missing_permission_report(kudos: Harness) -> None:
    opened = await kudos.member("sam").slash("announce post", at="1h")
    assert opened.modal is not None, opened.content
    await kudos.member("sam").submit_modal(opened, {"Title (optional)": "Teaser", "Text": "Coming soon"})
    listing = await kudos.member("greta").slash("announce list")
    assert re.search(r"· erscheint <t:\d+:f> \(<t:\d+:R>\)$", listing.content or ""), listing.content

    kudos.emu.faults.add(route=MESSAGE_ROUTE, status=403, code=50013, count=1)
    await kudos.advance(timedelta(hours=1, minutes=1))
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        (row,) = list(await conn.execute(select(announcements)))
    assert row.status == "failed"
    channel = kudos.channel_id("announcements")
    reports = [t for t in staff_log(kudos) if "permission" in t]
    assert len(reports) == 1, staff_log(kudos)
    assert reports[0].startswith(f"⚠️ Je n’ai pas pu effectuer ceci dans <#{channel}> : « publier l'annonce "
                                 f"n°{row.id} ». Discord indique qu’il me manque des permissions ("), reports[0]
    listing = await kudos.member("greta").slash("announce list")
    assert (listing.content or "").endswith("· fehlgeschlagen"), listing.content


async def test_the_french_server_gets_its_drift_report_in_french(kudos: Harness) -> None:
    assert kudos.bot is not None
    alice = kudos.members["alice"]
    await kudos.bot.app.ledger.credit(kudos.guild_id, alice, "answer", source_key="answer:alice", actor_id=None)
    await kudos.settle()
    star = kudos.role_id("Helper Star")
    assert star in kudos.emu.member_roles(kudos.guild_id, alice)
    await kudos.emu.set_member_roles(kudos.guild_id, alice, [])  # a moderator takes it away
    await kudos.settle()
    await kudos.advance(timedelta(days=1))  # the daily reconciliation reports it (reconcile = "report")
    drift = [t for t in staff_log(kudos) if "rôles de récompense" in t]
    assert drift == [f"Écart des rôles de récompense (1, non modifié) :\n<@{alice}> n'a pas <@&{star}> (helper)"], \
        staff_log(kudos)
