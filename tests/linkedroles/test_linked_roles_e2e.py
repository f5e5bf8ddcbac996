"""Linked Roles end to end (issue #22, slice 1): a member links through the verification URL, the role connection
holds their ledger numbers, crediting an answer updates it (in one batch), erasure and unlinking clear it.

Discord's docs (github.com/discord/discord-api-docs), as the emulator follows them:
- developers/resources/application-role-connection-metadata.mdx: the app registers at most 5 metadata records
  (``PUT /applications/{id}/role-connections/metadata``); INTEGER_GREATER_THAN_OR_EQUAL is type 2.
- developers/topics/oauth2.mdx: the authorization-code grant with ``state`` (State and Security), the token URL
  with form bodies, ``expires_in`` 604800 and the refresh grant, and token revocation.
- developers/resources/user.mdx: Update/Delete Current User Application Role Connection with a bearer token
  of scope ``role_connections.write``; metadata values are strings.
Every REST call is validated against openapi.json; the run fails on a violation.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.emulator.routes_apps import qualifies
from bot.linkedroles.tables import linked_role_links
from bot.sandbox.harness import Harness
from tests.contributions._helpers import post_with_reply

SECRET = "emulated-client-secret-for-tests"
CONNECTION = "/users/@me/applications/{application_id}/role-connection"
KEYS = ["points", "accepted_answers", "stage", "betas_joined", "days_since_first_contribution"]


@pytest.fixture(autouse=True)
def client_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUDOS_OAUTH2_CLIENT_SECRET", SECRET)


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"web": {"enabled": True, "host": "127.0.0.1", "port": 0},
            "linked_roles": {"enabled": True, "batch_seconds": 30}}


async def accept_answer(kudos: Harness, asker: str, helper: str, title: str) -> None:
    _thread, reply = await post_with_reply(kudos, asker, helper, title=title)
    inter = await kudos.member(asker).context_menu("Mark as solution", message_id=reply.id)
    assert not inter.failed


def metadata(kudos: Harness, name: str) -> dict[str, str] | None:
    found = kudos.emu.oauth.connections.get(kudos.members[name])
    return found["metadata"] if found else None


def puts(kudos: Harness) -> int:
    return sum(1 for r in kudos.emu.request_log if r.key == f"PUT {CONNECTION}" and r.status == 200)


async def link_row(kudos: Harness, user_id: int) -> Any:
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        return (await conn.execute(select(linked_role_links).where(linked_role_links.c.user_id == user_id))).first()


async def test_link_publishes_the_numbers_and_an_accepted_answer_updates_them_in_one_batch(kudos: Harness) -> None:
    # at start: the five records, each "at least N" (type 2)
    assert [r["key"] for r in kudos.emu.oauth.metadata] == KEYS
    assert {r["type"] for r in kudos.emu.oauth.metadata} == {2}
    kudos.developer_portal_linked_roles(SECRET)
    await accept_answer(kudos, "alice", "bob", "first question")

    link = await kudos.member("bob").slash("kudos link")
    assert "/linked-roles>" in (link.content or "")
    status, page = await kudos.member("bob").link_roles()
    assert status == 200 and "Kudos is linked" in page
    assert metadata(kudos, "bob") == {"points": "10", "accepted_answers": "1", "stage": "0", "betas_joined": "0",
                                      "days_since_first_contribution": "0"}
    connection = kudos.emu.oauth.connections[kudos.members["bob"]]
    assert connection["platform_name"] == "Kudos" and connection["platform_username"] == "bob"
    assert qualifies(kudos.emu, kudos.members["bob"], "accepted_answers", 1)  # a role "≥ 1 accepted answer"
    assert not qualifies(kudos.emu, kudos.members["bob"], "accepted_answers", 2)

    # the tokens are stored sealed: neither appears in the row
    row = await link_row(kudos, kudos.members["bob"])
    live = [t for t, g in kudos.emu.oauth.access.items() if g.user_id == kudos.members["bob"]]
    assert len(live) == 1 and live[0] not in row.access_enc and live[0] not in row.refresh_enc

    # two accepted answers in one window: one update, at the window's end
    before = puts(kudos)
    await accept_answer(kudos, "alice", "bob", "second question")
    await accept_answer(kudos, "sam", "bob", "third question")
    assert metadata(kudos, "bob")["accepted_answers"] == "1"  # type: ignore[index]
    await kudos.advance(timedelta(seconds=31))
    assert metadata(kudos, "bob")["points"] == "30" and metadata(kudos, "bob")["accepted_answers"] == "3"  # type: ignore[index]
    assert puts(kudos) == before + 1
    assert qualifies(kudos.emu, kudos.members["bob"], "accepted_answers", 2)

    # a member who did not link is never published
    assert metadata(kudos, "alice") is None


async def test_erasure_deletes_the_role_connection_revokes_the_tokens_and_forgets_the_link(kudos: Harness) -> None:
    kudos.developer_portal_linked_roles(SECRET)
    await accept_answer(kudos, "alice", "bob", "a question")
    await kudos.member("bob").link_roles()
    assert metadata(kudos, "bob") is not None
    bob = kudos.member("bob")
    ask = await bob.slash("mydata forget")
    await bob.click(ask.message.id, label="Erase my data")
    await kudos.advance(timedelta(seconds=1))
    assert kudos.members["bob"] not in kudos.emu.oauth.connections
    assert not [g for g in kudos.emu.oauth.access.values() if g.user_id == kudos.members["bob"]]
    assert not [g for g in kudos.emu.oauth.refresh.values() if g.user_id == kudos.members["bob"]]
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        assert (await conn.execute(select(linked_role_links))).first() is None
    # later credits publish nothing
    before = puts(kudos)
    await accept_answer(kudos, "alice", "bob", "another question")
    await kudos.advance(timedelta(seconds=31))
    assert puts(kudos) == before and kudos.members["bob"] not in kudos.emu.oauth.connections


async def test_unlink_clears_and_link_again_works(kudos: Harness) -> None:
    kudos.developer_portal_linked_roles(SECRET)
    await kudos.member("bob").link_roles()
    assert metadata(kudos, "bob") == {k: "0" for k in KEYS}
    done = await kudos.member("bob").slash("kudos unlink")
    assert "Unlinked" in (done.content or "")
    await kudos.settle()
    assert kudos.members["bob"] not in kudos.emu.oauth.connections
    assert await link_row(kudos, kudos.members["bob"]) is None
    again = await kudos.member("bob").slash("kudos unlink")
    assert "nothing to unlink" in (again.content or "")
    await kudos.member("bob").link_roles()
    assert metadata(kudos, "bob") == {k: "0" for k in KEYS}


async def test_state_is_checked_a_refusal_links_nothing(kudos: Harness) -> None:
    kudos.developer_portal_linked_roles(SECRET)
    status, page = await kudos.member("bob").link_roles(approve=False)
    assert status == 200 and "Not linked" in page
    assert kudos.members["bob"] not in kudos.emu.oauth.connections
    assert kudos.bot is not None and kudos.bot.web is not None
    # a callback whose state this browser never got (a forged link): refused, no exchange
    async with aiohttp.ClientSession() as http:
        url = f"{kudos.bot.web.base_url}/linked-roles/callback?code=stolen&state=forged"
        async with http.get(url, headers={"Cookie": "kudos_link_state=other"}) as resp:
            assert resp.status == 403 and "state check" in await resp.text()
    assert "authorization_code" not in kudos.emu.oauth.exchanges
    assert await link_row(kudos, kudos.members["bob"]) is None


async def test_tokens_are_refreshed_before_expiry_and_a_429_delays_the_batch(kudos: Harness) -> None:
    kudos.developer_portal_linked_roles(SECRET)
    await kudos.member("bob").link_roles()
    # six and a half days on (the access token lives seven): the next update refreshes it first
    await kudos.advance(timedelta(days=6, hours=12))
    kudos.emu.oauth.expire_access_tokens()  # so a stale token would be refused, not quietly accepted
    kudos.emu.faults.add(f"PUT {CONNECTION}", status=429, retry_after=5.0)
    await accept_answer(kudos, "alice", "bob", "a question")
    await kudos.advance(timedelta(seconds=31))
    assert kudos.emu.oauth.exchanges.count("refresh_token") == 1
    assert metadata(kudos, "bob")["points"] == "0"  # type: ignore[index]  # Discord said wait 5 s
    await kudos.advance(timedelta(seconds=6))
    assert metadata(kudos, "bob")["points"] == "10"  # type: ignore[index]
    assert kudos.emu.oauth.exchanges.count("refresh_token") == 1  # the new token is used, not refreshed again


async def test_link_and_unlink_answer_in_the_members_language(kudos: Harness) -> None:
    """``/kudos link`` and ``/kudos unlink`` reply in the member's client language (issue #27); the URL and the
    command name in the text stay as they are."""
    kudos.developer_portal_linked_roles(SECRET)
    bob = kudos.member("bob")
    bob.set_locale("de")
    link = await bob.slash("kudos link")
    content = link.content or ""
    assert link.ephemeral and content.startswith("Öffne <http") and "/linked-roles>" in content, content
    assert "`/kudos unlink` beendet das." in content and "authorise" not in content
    await bob.link_roles()
    done = await bob.slash("kudos unlink")
    assert (done.content or "").startswith("Getrennt: Kudos entfernt deine Zahlen"), done.content
    bob.set_locale("en-US")
    again = await bob.slash("kudos link")
    assert (again.content or "").startswith("Open <http"), again.content
