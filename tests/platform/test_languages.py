"""Languages end to end (docs/languages.md), the real bot on the emulator in a French server: a German client
gets German replies and forms, the server's public posts are French, a Japanese member's DM is Japanese with
the code verbatim, and the registered commands carry every language's names and descriptions (checked by the
emulator against Discord's rules: application-commands.mdx "Localization", reference.mdx "Locales")."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.feedback.tables import feedback
from bot.platform.i18n import DISCORD_LOCALES
from bot.platform.tables import member_locales
from bot.sandbox.harness import Harness, MemberSpec, WorldSpec

CODES = ["KUDOS-7Q2X-AAAA", "KUDOS-7Q2X-BBBB"]
SHIPPED = {loc for locs in DISCORD_LOCALES.values() for loc in locs}  # de, fr, es-ES, es-419, pt-BR, ja


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.locale = "fr"  # the server's preferred locale
    w.members += [MemberSpec("hans", locale="de"), MemberSpec("yuki", locale="ja")]
    return w


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "perk_pools": [{"name": "storage", "description": "500 MB"}],
        "rewards": [{"name": "helper", "trigger": {"kind": "answer", "count": 1}, "perk_pool": "storage"}],
    }}}


def fields(message: Any) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embeds[0]["fields"]}


def labels(message: Any) -> list[str]:
    return [c.get("label") for row in message.components for c in row.get("components", [])]


def modal_labels(modal: dict[str, Any]) -> list[str]:
    out = []
    for top in modal["components"]:
        if top.get("type") == 18:
            out.append(top["label"])
        for c in top.get("components") or []:
            out.append(c["label"])
    return out


async def thread_of(h: Harness, item_id: int = 1) -> int:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return int((await conn.execute(select(feedback.c.thread_id).where(feedback.c.id == item_id))).scalar_one())


async def test_german_client_gets_german_replies_and_form_while_the_french_server_posts_in_french(
        kudos: Harness) -> None:
    hans = kudos.member("hans")
    opened = await hans.slash("feedback new", type="bug")
    assert opened.modal is not None
    assert opened.modal["title"] == "Fehler melden"
    assert modal_labels(opened.modal) == ["Art", "Titel", "Details", "Schritte zum Nachstellen", "Screenshots"]
    options = opened.modal["components"][0]["component"]["options"]
    assert [(o["label"], o.get("default", False)) for o in options][0] == ("Fehler", True)  # the type, in German
    assert "Version: 2.4.1" in opened.modal["components"][3]["description"]
    done = await hans.submit_modal(opened, {"Titel": "Absturz beim Speichern", "Details": "Die App schließt sich",
                                            "Schritte zum Nachstellen": "1. Speichern\nVersion: 2.4.1"})
    assert done.ephemeral and (done.content or "").startswith("Danke! Dein Feedback ist online: <#")

    thread_id = await thread_of(kudos)
    post = kudos.emu.message(thread_id)  # the forum post: public, in the server's language
    assert post.content == f"Signalé par <@{kudos.members['hans']}>"
    assert fields(post)["Statut"] == "**Nouveau**" and fields(post)["Type"] == "Bug"
    assert fields(post)["Étapes pour reproduire"] == "1. Speichern"  # member text stays as written
    assert labels(post) == ["Moi aussi", "Suivre"]

    await kudos.member("sam").slash("feedback status", status="acknowledged", item=1, note="Merci, on regarde")
    lines = [m.content for m in kudos.emu.messages(thread_id) if m.author_id == kudos.emu.bot_user_id]
    assert "Statut : **Pris en compte** — Merci, on regarde" in lines

    shown = await hans.slash("profile")
    assert shown.ephemeral
    embed = shown.embeds[0]
    assert embed["title"] == "Kudos von hans"
    assert list(fields(shown))[:3] == ["Punkte", "Nach Art", "Stufe"]
    assert fields(shown)["Punkte"].endswith("Punkte") or fields(shown)["Punkte"].endswith("Punkt")

    board = await hans.slash("leaderboard")  # a public post: the server's language, not the client's
    assert board.embeds[0]["title"] == "Meilleurs contributeurs — depuis le début"


async def test_french_server_gets_a_french_beta_card_and_discussion_thread(kudos: Harness) -> None:
    sam = kudos.member("sam")
    opened = await sam.slash("beta create", name="Photos v2", capacity=10, incentive="500 Mo offerts")
    assert opened.modal is not None
    await sam.submit_modal(opened, {"Description": "Essayez le nouvel outil d'import."})
    post = next(m for m in kudos.emu.messages(kudos.channel_id("announcements")) if m.embeds)
    assert post.embeds[0]["title"] == "Bêta : Photos v2"
    assert fields(post)["Ce que tu y gagnes"] == "500 Mo offerts"
    assert fields(post)["Places"] == "**10** places restantes sur 10"
    assert labels(post) == ["Rejoindre", "Quitter", "Donner mon avis"]
    assert post.embeds[0]["footer"]["text"].startswith("beta #")  # the retry marker stays as it is
    thread = kudos.emu.state.channels[next(c for c, ch in kudos.emu.state.channels.items()
                                           if ch.parent_id == post.channel_id and ch.type in (10, 11, 12))]
    assert thread.name == "Photos v2 · discussion"
    first = kudos.emu.messages(thread.id)[0]
    assert first.content.startswith("Questions et premières impressions sur **Photos v2**")

    joined = await kudos.member("hans").click(post.id, label="Rejoindre")  # the card is French, his answer German
    assert joined.ephemeral and (joined.content or "").startswith("Du bist in der Beta **Photos v2**!")
    assert labels(joined.message) == ["Erinnerungen stummschalten"]
    english = await kudos.member("alice").click(post.id, label="Rejoindre")
    assert (english.content or "").startswith("You're in the **Photos v2** beta!")


async def test_japanese_member_gets_the_perk_dm_in_japanese_with_the_code_verbatim(kudos: Harness) -> None:
    yuki = kudos.member("yuki")
    shown = await yuki.slash("profile")  # her last interaction: its locale is remembered for DMs
    assert shown.embeds[0]["title"] == "yuki さんの Kudos"
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        stored = (await conn.execute(select(member_locales.c.locale)
                                     .where(member_locales.c.user_id == kudos.members["yuki"]))).scalar_one()
    assert stored == "ja"

    sam = kudos.member("sam")
    await sam.slash("perks add-codes", pool="storage", codes=" ".join(CODES))
    for name in ("yuki", "bob"):
        await sam.slash("contrib give", member=kudos.members[name], kind="answer", reason="helped in voice")
    await kudos.settle()

    dm = yuki.dms()
    assert len(dm) == 1
    text = dm[0].embeds[0]["description"]
    assert text.startswith("ご協力ありがとうございます！**storage** からの報酬です：||KUDOS-7Q2X-")
    assert any(f"||{code}||" in text for code in CODES)  # the code exactly as it was added
    # bob never used Kudos here: his DM speaks the server's language
    bob = kudos.member("bob").dms()
    assert bob[0].embeds[0]["description"].startswith("Merci pour ta contribution ! Ta récompense de **storage** : ||")


async def test_registered_commands_carry_every_language_and_pass_discord_s_rules(kudos: Harness) -> None:
    commands = kudos.emu.state.guild_commands[kudos.guild_id]
    assert len(commands) > 15
    missing: list[str] = []

    def check(obj: dict[str, Any], where: str, *, description: bool = True) -> None:
        if set(obj.get("name_localizations") or {}) != SHIPPED:
            missing.append(f"{where} name")
        if description and set(obj.get("description_localizations") or {}) != SHIPPED:
            missing.append(f"{where} description")

    def walk(options: list[dict[str, Any]], where: str) -> None:
        for opt in options:
            check(opt, f"{where} {opt['name']}")
            for choice in opt.get("choices") or []:
                check(choice, f"{where} {opt['name']}={choice['name']}", description=False)
            walk(opt.get("options") or [], f"{where} {opt['name']}")

    for cmd in commands:
        check(cmd, cmd["name"], description=cmd["type"] == 1)
        walk(cmd.get("options") or [], cmd["name"])
    assert not missing, missing[:10]
    profile = next(c for c in commands if c["name"] == "profile")
    assert profile["name_localizations"]["de"] == "profil"
    assert profile["name_localizations"]["ja"] == "プロフィール"
    assert profile["description_localizations"]["fr"] == "Points, palier et derniers kudos d'un membre"
    menu = next(c for c in commands if c["name"] == "Mark as solution")
    assert menu["name_localizations"]["pt-BR"] == "Marcar como solução"
