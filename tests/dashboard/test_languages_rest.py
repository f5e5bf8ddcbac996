"""The dashboard's last English texts in the page's language (docs/languages.md, issue #27), over HTTP against
the real bot: each setting's description, a webhook endpoint's URL problems, the "Discord isn't answering" line
after creating a beta (the cog's text, via the effects), a disabled rule's reason and a failed grant's delivery
error on the Rewards page, for a German staff member."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.harness import Harness, MemberSpec, RoleSpec, WorldSpec
from tests.dashboard.conftest import csrf_of, get, post
from tests.dashboard.test_languages_forms import in_german


@pytest.fixture
def dash_world() -> WorldSpec:
    w = WorldSpec.default()
    w.roles += [RoleSpec("Mods", permissions=8)]  # Administrator: refused as a reward role
    w.members += [MemberSpec("dora", dms_open=False)]
    return w


@pytest.fixture
def dash_config() -> dict[str, Any]:
    return {"guilds": {"default": {"rewards": [
        {"name": "powers", "trigger": {"points": 500}, "role": "Mods"},
        {"name": "hello", "trigger": {"kind": "thanks", "count": 1}, "dm": "Thanks for the thanks!"},
    ]}}}


async def test_setting_descriptions_in_german(dash: Harness, http) -> None:
    base = await in_german(dash, http)
    status, page = await get(http, base + "/settings")
    assert status == 200, page
    assert '<span class="muted">Sprache öffentlicher Posts; Standard: die bevorzugte Sprache des Servers</span>' \
        in page
    assert "0 = nie automatisch schließen" in page
    assert "Language of public posts" not in page and "0 = never auto close" not in page


async def test_webhook_url_problems_in_german(dash: Harness, http) -> None:
    base = await in_german(dash, http)
    csrf = await csrf_of(http, base + "/webhooks")
    for url, says in (("ftp://hooks.example.com/x", "Die URL muss eine http://- oder https://-URL sein."),
                      ("https://user:pw@hooks.example.com/x", "Die URL darf keinen Benutzernamen und kein Passwort "
                                                              "enthalten (signiere stattdessen mit dem Secret)."),
                      ("http://127.0.0.1:9000/x", "Die URL 127.0.0.1 ist eine Loopback-Adresse; Webhooks gehen nur "
                                                  "an öffentliche Adressen")):
        status, page = await post(http, base + "/webhooks/endpoints", {"csrf": csrf, "name": "crm", "url": url,
                                                                       "events": "*"})
        assert status == 400 and says in page, (url, page[-1500:])
        assert "must be an" not in page and "webhooks go to public addresses only" not in page


async def test_a_beta_created_while_discord_is_not_answering_says_so_in_german(dash: Harness, http) -> None:
    base = await in_german(dash, http)
    outage = dash.emu.faults.add(route="POST /channels/{channel_id}/messages", status=500, count=15)
    csrf = await csrf_of(http, base + "/betas")
    status, page = await post(http, base + "/betas", {"csrf": csrf, "name": "Photos v2", "capacity": "5",
                                                      "ends": "14d"})
    assert status == 200, page[-2000:]
    assert outage.hits > 0
    assert ("Die Beta Photos v2 ist angelegt. Discord antwortet gerade nicht; die Ankündigung erscheint in "
            "#announcements, sobald es wieder antwortet.") in page, page[-2000:]
    assert "isn't answering" not in page


async def test_a_disabled_rules_reason_and_a_failed_grants_error_in_german(dash: Harness, http) -> None:
    assert dash.bot is not None
    await dash.bot.app.ledger.credit(dash.guild_id, dash.members["dora"], "thanks", source_key="thanks:dora",
                                     actor_id=None)
    await dash.settle()  # dora's DMs are closed: the DM grant fails
    base = await in_german(dash, http)
    status, page = await get(http, base + "/rewards")
    assert status == 200, page
    assert ("<td>nein: die Rolle Mods hat gefährliche Berechtigungen (Administrator); eine Belohnung darf keine "
            "Moderationsrechte vergeben</td>") in page, page
    assert "<td>die DMs des Mitglieds sind geschlossen</td>" in page, page
    assert "carries dangerous permissions" not in page and "DMs are closed" not in page
