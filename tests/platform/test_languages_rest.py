"""The last English texts in the right language (docs/languages.md, issue #27), end to end on the emulator: a
French member's `/profile` "Next reward" lines, a French staff member's `/rewards rule list` with the reason a
rule is disabled (a role refused by the safety check, turned off by staff) and `/rewards history` with a grant's
delivery error, in French while the server is German (the staff log's notice of that failed grant, reason
included, in German); the announcement's discussion thread (its name and first message) in the German server's
language."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from bot.platform.i18n import translator
from bot.rewards import tables as reward_tables
from bot.rewards.delivery_errors import delivery_error
from bot.rewards.safety import RoleFacts, role_problems
from bot.sandbox.harness import Harness, MemberSpec, RoleSpec, WorldSpec
from tests.platform.test_languages_cogs_staff import credit


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.locale = "de"  # the server's preferred locale
    w.roles += [RoleSpec("Helper Star"), RoleSpec("Mods", permissions=8)]  # 8: Administrator
    w.members += [MemberSpec("fleur", roles=["Staff"], locale="fr"), MemberSpec("dora", dms_open=False)]
    return w


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "perk_pools": [{"name": "storage", "low_stock_warning": 0}],
        "rewards": [
            {"name": "helper", "trigger": {"kind": "answer", "count": 3}, "role": "Helper Star"},
            {"name": "powers", "trigger": {"points": 500}, "role": "Mods"},  # refused: stored disabled
            {"name": "hello", "trigger": {"kind": "thanks", "count": 1}, "dm": "Thanks for the thanks!"},
        ],
    }}}


async def next_reward(h: Harness, name: str) -> str | None:
    shown = await h.member(name).slash("profile")
    assert shown.ephemeral
    return {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}.get("Prochaine récompense")


async def test_the_next_reward_lines_are_in_the_readers_language(kudos: Harness) -> None:
    await credit(kudos, "fleur", 2, "answer")
    star = kudos.role_id("Helper Star")
    assert await next_reward(kudos, "fleur") == (
        f"**helper** — rôle <@&{star}>\n2/3 crédits réponse ▰▰▰▰▰▰▰▱▱▱ 67%\nencore 1 crédit réponse"), \
        await next_reward(kudos, "fleur")
    english = await kudos.member("alice").slash("profile")
    shown = {f["name"]: f["value"] for f in english.embeds[0]["fields"]}["Next reward"]
    assert shown == "**hello** — a DM\n0/1 thanks credit ▱▱▱▱▱▱▱▱▱▱ 0%\n1 more thanks credit to go", shown


async def test_a_disabled_rules_reason_is_in_the_readers_language(kudos: Harness) -> None:
    fleur = kudos.member("fleur")
    listing = (await fleur.slash("rewards rule list")).content or ""
    line = next(x for x in listing.splitlines() if x.startswith("• **powers**"))
    assert ("**désactivée** : le rôle Mods porte des permissions dangereuses (Administrator) ; une récompense ne "
            "doit pas donner de pouvoirs de modération") in line, line
    added = await fleur.slash("rewards rule add", name="thanks5", trigger="kind:thanks:5", bonus_points=10)
    assert not added.failed, added.content
    off = await fleur.slash("rewards rule disable", name="thanks5")
    assert not off.failed, off.content
    listing = (await fleur.slash("rewards rule list")).content or ""
    assert any(x.startswith("• **thanks5**") and "— **désactivée** : désactivée par l’équipe" in x
               for x in listing.splitlines()), listing
    english = (await kudos.member("sam").slash("rewards rule list")).content or ""
    assert "**disabled**: turned off by staff" in english and "carries dangerous permissions" in english, english

    # a rule stored before the reason kept its message shows its stored English text
    assert kudos.bot is not None
    async with kudos.bot.db.begin() as conn:
        rules = reward_tables.reward_rules
        stored = (await conn.execute(select(rules.c.definition).where(rules.c.name == "thanks5"))).scalar_one()
        assert stored["disabled_message"] == {"join": "; ", "items": [{"m": "turned off by staff", "v": {}}]}
        old = {k: v for k, v in stored.items() if k != "disabled_message"}
        await conn.execute(update(rules).where(rules.c.name == "thanks5").values(definition=old))
    listing = (await fleur.slash("rewards rule list")).content or ""
    assert any(x.startswith("• **thanks5**") and "— **désactivée** : turned off by staff" in x
               for x in listing.splitlines()), listing


async def test_a_grants_delivery_error_is_in_the_readers_language(kudos: Harness) -> None:
    await credit(kudos, "dora", 1, "thanks")  # dora's DMs are closed: the DM grant fails
    history = await kudos.member("fleur").slash("rewards history", member=kudos.members["dora"])
    assert history.content is not None and history.content.endswith(
        "**hello**: MP — échouée — les MP du membre sont fermés"), history.content
    english = await kudos.member("sam").slash("rewards history", member=kudos.members["dora"])
    assert (english.content or "").endswith("— the member's DMs are closed"), english.content
    # the staff log's notice of the failed grant: the German server's language, its reason too
    await kudos.settle()
    staff_log = kudos.emu.messages(kudos.channel_id("staff-log"))
    notices = [m.content or "" for m in staff_log if "hello" in (m.content or "")]
    assert notices == [f"Die Belohnung **hello** (dm) für <@{kudos.members['dora']}> ist fehlgeschlagen: die DMs des "
                       "Mitglieds sind geschlossen"], notices


async def test_the_announcement_thread_speaks_the_servers_language(kudos: Harness) -> None:
    opened = await kudos.member("sam").slash("announce post")  # sam's client is English, the server German
    assert opened.modal is not None, opened.content
    done = await kudos.member("sam").submit_modal(opened, {"Title (optional)": "Acme 2.0", "Text": "It is out"})
    assert not done.failed, done.content
    await kudos.settle()
    threads = [t for t in kudos.emu.threads(kudos.channel_id("announcements"))]
    assert [t.name for t in threads] == ["Acme 2.0 · Diskussion"], threads
    first = kudos.emu.messages(threads[0].id)[0]
    assert first.content == ("Fragen und Gedanken zu dieser Ankündigung gehören hierher: Das Team liest mit und "
                             "antwortet."), first.content


def test_a_stored_delivery_error_says_kudos_own_words_and_keeps_discords() -> None:
    de = translator("de")
    assert delivery_error("Discord refused (50013): I'm missing permissions: Manage Roles", de) == \
        "Discord hat abgelehnt (50013): Mir fehlen Berechtigungen: Manage Roles"
    assert delivery_error("Discord refused (50001): Missing Access", de) == \
        "Discord hat abgelehnt (50001): Missing Access"  # Discord's own text, as Discord wrote it
    assert delivery_error("Discord unavailable (503: upstream) (gave up after 5 attempts)", de) == \
        "Discord nicht erreichbar (503: upstream) (nach 5 Versuchen aufgegeben)"
    both = "; ".join(role_problems(RoleFacts(1, "Mods", 5, 8), bot_top_position=3))  # two reasons, one with "; "
    assert delivery_error(both, de) == (
        "die Rolle Mods steht über (oder gleichauf mit) meiner höchsten Rolle; zieh meine Rolle unter "
        "Servereinstellungen → Rollen darüber; die Rolle Mods hat gefährliche Berechtigungen (Administrator); "
        "eine Belohnung darf keine Moderationsrechte vergeben")
    for text in ("something else; entirely", "ledger: refused", ""):
        assert delivery_error(text, de) == text
