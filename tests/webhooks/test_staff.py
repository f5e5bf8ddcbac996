"""Staff register endpoints without the config file, end to end on both databases (the real bot, emulator,
dashboard and a loopback receiver): ``/webhooks add|list|remove|test`` and the dashboard's form.

- ``/webhooks add`` answers the generated secret once, ephemerally; ``/webhooks list``, the dashboard page
  after that, the audit log and every public message never show it;
- ``/webhooks test`` sends a signed ``webhook.test`` (schema-valid) to that endpoint only; the endpoint then
  receives ``feedback.status_changed`` signed with that secret; after ``/webhooks remove`` nothing more;
- members are refused; a private-address endpoint is refused without ``[web] allow_private_webhooks``."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from typing import Any

import aiohttp
import jsonschema
import pytest
from sqlalchemy import select

from bot.platform.tables import audit_log
from bot.sandbox.harness import Harness
from bot.webhooks.schemas import schema
from tests.conftest import running_harness
from tests.dashboard.conftest import csrf_of, get, log_in, post
from tests.feedback.test_e2e import item, report
from tests.webhooks.receiver import Receiver

WEB: dict[str, Any] = {"enabled": True, "host": "127.0.0.1", "port": 0}


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = await Receiver().start()
    yield r
    await r.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request) -> str:  # type: ignore[no-untyped-def]
    return str(request.param)


@pytest.fixture
async def hooked(backend: str, receiver: Receiver, tmp_path) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    config = {"web": {**WEB, "allow_private_webhooks": True}}
    async with running_harness(backend, partial(Harness, None, config), tmp_path) as harness:
        receiver.clock = harness.clock
        yield harness


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def every_text(h: Harness) -> str:
    """Every message in every channel and the audit log's details, as one text."""
    assert h.bot is not None
    texts = [str((m.content, m.embeds)) for cid in list(h.emu.state.channels) for m in h.emu.messages(cid)]
    async with h.bot.db.connect() as conn:
        texts += [str(d) for d in (await conn.execute(select(audit_log.c.details))).scalars()]
    return "\n".join(texts)


async def test_slash_commands_register_test_list_and_remove(hooked: Harness, receiver: Receiver) -> None:
    h = hooked
    sam = h.member("sam")
    refused = await h.member("bob").slash("webhooks add", name="product", url=receiver.url)
    assert refused.ephemeral and "whsec_" not in (refused.content or "")
    added = await sam.slash("webhooks add", name="Product", url=receiver.url, events="feedback.status_changed")
    assert added.ephemeral, added.content
    found = re.search(r"`(whsec_[0-9a-f]{48})`", added.content or "")
    assert found, added.content
    secret = found.group(1)

    sent = await sam.slash("webhooks test", name="product")
    assert sent.ephemeral and "webhook.test" in (sent.content or "")
    await h.advance(timedelta(seconds=1))
    [ping] = receiver.received
    assert ping.at is not None and ping.verified(secret, ping.at)
    jsonschema.validate(ping.document, schema("webhook.test"), format_checker=jsonschema.FormatChecker())
    assert ping.document["data"] == {"endpoint": "product", "actor_id": str(h.members["sam"])}

    await report(h)
    row = await item(h)
    await sam.slash("feedback status", status="planned", item=row.id)
    await h.advance(timedelta(seconds=1))
    [change] = receiver.of_type("feedback.status_changed")
    assert change.at is not None and change.verified(secret, change.at)
    assert receiver.of_type("feedback.created") == []  # not among its events

    listed = await sam.slash("webhooks list")
    assert listed.ephemeral and "**product** (on, staff)" in (listed.content or "")
    assert "last delivery: delivered" in (listed.content or "") and secret not in (listed.content or "")
    assert secret not in await every_text(h)

    assert "removed" in ((await sam.slash("webhooks remove", name="product")).content or "")
    await sam.slash("feedback status", status="shipped", item=row.id, version="2.0")
    await h.advance(timedelta(minutes=5))
    assert len(receiver.received) == 2
    assert "(off, staff)" in ((await sam.slash("webhooks list")).content or "")
    again = await sam.slash("webhooks test", name="product")
    assert "disabled" in (again.content or "")


async def test_the_dashboard_form_registers_shows_the_secret_once_and_tests(hooked: Harness, receiver: Receiver,
                                                                          http: aiohttp.ClientSession) -> None:
    h = hooked
    base = await log_in(h, http)
    token = await csrf_of(http, f"{base}/webhooks")
    assert (await post(http, f"{base}/webhooks/endpoints", {"name": "crm", "url": receiver.url}))[0] == 403
    status, page = await post(http, f"{base}/webhooks/endpoints", {"csrf": token, "name": "crm", "url": receiver.url,
                                                                   "events": "*"})
    assert status == 200, page
    found = re.search(r"<code>(whsec_[0-9a-f]{48})</code>", page)
    assert found and "Endpoint crm registered" in page
    secret = found.group(1)
    status, later = await get(http, f"{base}/webhooks")
    assert status == 200 and "crm" in later and secret not in later  # shown once
    status, page = await post(http, f"{base}/webhooks/endpoints/crm/test", {"csrf": token})
    assert status == 200 and "on its way to crm" in page
    await h.settle()
    await h.advance(timedelta(seconds=1))
    [ping] = receiver.of_type("webhook.test")
    assert ping.at is not None and ping.verified(secret, ping.at)
    status, page = await post(http, f"{base}/webhooks/endpoints", {"csrf": token, "name": "bad",
                                                                   "url": "ftp://example.com/x"})
    assert status == 400
    status, page = await post(http, f"{base}/webhooks/endpoints/crm/remove", {"csrf": token})
    assert status == 200 and "removed" in page and "(disabled)" in page
    assert secret not in await every_text(h)


async def test_a_private_address_endpoint_is_refused(backend: str, receiver: Receiver, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running_harness(backend, partial(Harness, None, {"web": WEB}), tmp_path) as h:
        for url in (receiver.url, "http://10.1.2.3/hook", "http://169.254.169.254/latest", "http://[::1]:80/x"):
            refused = await h.member("sam").slash("webhooks add", name="internal", url=url)
            assert refused.ephemeral and "whsec_" not in (refused.content or ""), url
            assert "private" in (refused.content or "") or "loopback" in (refused.content or "") \
                or "link-local" in (refused.content or ""), refused.content
        assert h.bot is not None and await h.bot.app.webhooks.endpoints(h.guild_id) == []
        assert receiver.received == []
