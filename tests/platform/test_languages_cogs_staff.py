"""More staff texts in the right language (docs/languages.md, issue #27), end to end on the emulator: a German
staff member's `/stats` replies (the overview's labels, the giveback and funnel embeds, the `/export` reply), the
announcement form, and the `/rewards` replies (rule lines, preview, dry run and its buttons, history) are German
while the server is French; the feedback review card (a staff channel's post) speaks the French server's
language whoever approves or rejects it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.sandbox.harness import ChannelSpec, Harness, MemberSpec, RoleSpec, WorldSpec
from tests.feedback.test_e2e import report


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.locale = "fr"  # the server's preferred locale
    w.roles += [RoleSpec("Helper Star")]
    w.channels.append(ChannelSpec("feedback-review"))
    w.members += [MemberSpec("greta", roles=["Staff"], locale="de")]
    return w


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "perk_pools": [{"name": "storage", "low_stock_warning": 0}],
        "rewards": [{"name": "helper", "trigger": {"kind": "answer", "count": 1}, "role": "Helper Star"}],
        "giveback": {"thank_min_contributions": 5},
        "feedback": {"review_queue": True, "review_channel": "feedback-review"},
    }}}


async def credit(h: Harness, name: str, n: int, kind: str) -> None:
    assert h.bot is not None
    for i in range(n):
        await h.bot.app.ledger.credit(h.guild_id, h.members[name], kind, source_key=f"{kind}:{name}:{i}",
                                      actor_id=None)
    await h.settle()


def fields(reply: Any) -> dict[str, str]:
    return {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}


def texts_of(component: Any) -> list[str]:
    """Every label, title and placeholder in a modal's payload."""
    if isinstance(component, list):
        return [t for c in component for t in texts_of(c)]
    if not isinstance(component, dict):
        return []
    found = [str(component[k]) for k in ("title", "label", "placeholder") if component.get(k)]
    return found + [t for v in component.values() if isinstance(v, (list, dict)) for t in texts_of(v)]


async def test_a_german_staff_member_reads_stats_and_export_in_german(kudos: Harness) -> None:
    greta = kudos.member("greta")
    funnel = await greta.slash("stats funnel")
    assert funnel.embeds[0]["title"] == "Stufentrichter: aufgestiegen ▲ / abgestiegen ▼ pro Stufe und Monat"
    assert funnel.embeds[0]["description"] == "Keine Stufenwechsel in den letzten Monaten.", funnel.embeds[0]
    await credit(kudos, "carol", 6, "creation")

    overview = await greta.slash("stats overview", period="30d")
    labels = [line.split(":", 1)[0] for line in (overview.content or "").splitlines()]
    assert labels == ["**Beiträge**", "**Stufen**", "**Betas**", "**Feedback**", "**Hilfe**"], overview.content

    giveback = await greta.slash("stats giveback")
    assert giveback.ephemeral and giveback.embeds[0]["title"] == "Bilanz des Zurückgebens"
    shown = fields(giveback)
    people = shown["Menschen, denen ihr danken solltet (5+ Beiträge, nichts zurück)"]
    assert people == f"<@{kudos.members['carol']}>: 6 Beiträge, 48 Punkte", shown  # a creation is worth 8
    month = kudos.clock.now().strftime("%Y-%m")
    assert f"`{month}` 0 · 6" in shown["Pro Monat: zurückgegeben · erhaltene Beiträge"].splitlines(), shown

    export = await greta.slash("export", what="contributions", period="30d")
    assert export.followups[0].content == "6 Zeilen Beiträge. Perk-Codes sind unkenntlich gemacht.", \
        export.followups[0].content
    english = await kudos.member("sam").slash("export", what="contributions", period="30d")
    assert english.followups[0].content == "6 rows of contributions. Perk codes are masked."


async def test_the_announcement_form_speaks_the_staff_members_language(kudos: Harness) -> None:
    opened = await kudos.member("greta").slash("announce post", at="1h")
    assert opened.modal is not None, opened.content
    assert texts_of(opened.modal) == ["Ankündigung schreiben", "Titel (optional)", "Text",
                                      "Was gibt's Neues? Mitglieder antworten in einem Thread."], opened.modal
    done = await kudos.member("greta").submit_modal(opened, {"Titel (optional)": "Teaser", "Text": "Bald"})
    assert not done.failed, done.content
    english = await kudos.member("sam").slash("announce post", at="2h")
    assert texts_of(english.modal)[:2] == ["Write the announcement", "Title (optional)"], english.modal


async def test_german_rewards_replies(kudos: Harness) -> None:
    greta = kudos.member("greta")
    star = kudos.role_id("Helper Star")
    added = await greta.slash("rewards rule add", name="thanks5", trigger="kind:thanks:5", role=star,
                              bonus_points=10)
    assert added.ephemeral
    assert added.content == (f"Hinzugefügt: **thanks5**: ab 5 Gutschriften thanks → Rolle <@&{star}>, 10 Bonuspunkte "
                             "(einmal pro Mitglied)\nSie gilt ab jetzt; `/rewards sync thanks5` wendet sie auf "
                             "Mitglieder an, die sie schon erfüllen."), added.content
    listing = await greta.slash("rewards rule list")
    assert f"• **helper**: ab 1 Gutschrift answer → Rolle <@&{star}> (einmal pro Mitglied) *(Konfiguration)*" \
        in (listing.content or "").splitlines(), listing.content
    off = await greta.slash("rewards rule disable", name="thanks5")
    assert off.content == ("Die Regel **thanks5** ist aus: Sie vergibt nichts mehr bis "
                           "`/rewards rule enable thanks5`."), off.content

    await credit(kudos, "alice", 1, "answer")  # alice earns helper now
    preview = await greta.slash("rewards rule preview", name="helper")
    assert re.fullmatch(rf"0 Mitglieder würden <@&{star}> bekommen\. Nicht berechtigt: \d+ \(schon erhalten\)"
                        r"(, \d+ \([^)]+\))*\.", preview.content or ""), preview.content

    nothing = await greta.slash("rewards sync", rule="helper")
    assert (nothing.content or "").endswith(" Nichts anzuwenden."), nothing.content
    await greta.slash("rewards rule add", name="first-answer", trigger="kind:answer:1", bonus_points=1)
    dry = await greta.slash("rewards sync", rule="first-answer")
    assert dry.content == "Probelauf: 1 Mitglied würde 1 Bonuspunkt bekommen. Anwenden?", dry.content
    applied = await greta.click(dry.message.id, label="Anwenden")
    assert applied.followups[-1].content == ("**first-answer** angewendet: 1 Mitglied bekommt sie (die Zustellung "
                                             "läuft)."), applied.followups[-1].content
    await kudos.settle()

    history = await greta.slash("rewards history", member=kudos.members["alice"])
    assert sorted(re.sub(r"^#\d+ <t:\d+:d> ", "", line) for line in (history.content or "").splitlines()) == [
        "**first-answer**: +1 Punkt — zugestellt", f"**helper**: Rolle <@&{star}> — zugestellt"], history.content
    none = await greta.slash("rewards history", member=kudos.members["bob"])
    assert none.content == f"<@{kudos.members['bob']}> hat noch keine Belohnungen.", none.content


async def test_the_review_card_speaks_the_servers_language(kudos: Harness) -> None:
    await report(kudos)  # alice's client is English; the card goes to a staff channel: French
    queued = [m for m in kudos.emu.messages(kudos.channel_id("feedback-review"))
              if m.author_id == kudos.emu.bot_user_id][-1]
    card = queued.embeds[0]
    assert card["title"] == "Relecture n°1 · Crash when saving", card  # member text as written
    assert card["footer"]["text"] == "Approuver pour le publier dans le forum des retours ; rejeter pour l'écarter."
    assert [f["name"] for f in card["fields"]][:3] == ["Type", "Statut", "Votes"], card["fields"]
    approved = await kudos.member("greta").click(queued.id, label="Approuver")  # greta's client is German
    assert not approved.failed, approved.content
    footer = kudos.emu.message(queued.id).embeds[0]["footer"]["text"]
    assert re.fullmatch(r"Approuvé par greta : https://discord\.com/channels/\d+/\d+", footer), footer

    await report(kudos, type_="idea", values={"Title": "Buy my stuff", "Details": "spam"})
    second = [m for m in kudos.emu.messages(kudos.channel_id("feedback-review"))
              if m.author_id == kudos.emu.bot_user_id][-1]
    opened = await kudos.member("greta").click(second.id, label="Rejeter")
    assert opened.modal is not None  # the form and the reply: greta's own (German) client
    done = await kudos.member("greta").submit_modal(opened, {"Grund": "Off topic"})
    assert done.content == "Feedback #2 abgelehnt; die meldende Person wird informiert.", done.content
    await kudos.settle()
    assert kudos.emu.message(second.id).embeds[0]["footer"]["text"] == "Rejeté par greta : Off topic"
