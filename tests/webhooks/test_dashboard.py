"""The dashboard's webhooks page: each endpoint's delivery log (status, attempts, last answer, latency) and the
resend button (CSRF-checked, staff only), with the real bot, emulator and a loopback receiver, on both DBs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from typing import Any

import aiohttp
import pytest

from bot.sandbox.harness import Harness
from tests.conftest import running_harness
from tests.dashboard.conftest import csrf_of, get, log_in
from tests.feedback.test_e2e import item, report
from tests.webhooks.receiver import Receiver

SECRET = "whsec_dashboard"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = await Receiver().start()
    yield r
    await r.stop()


@pytest.fixture(params=["sqlite", "postgres"])
async def hooked(request, receiver: Receiver, tmp_path, monkeypatch) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KUDOS_TEST_DASH_SECRET", SECRET)
    config: dict[str, Any] = {
        "web": {"enabled": True, "host": "127.0.0.1", "port": 0, "allow_private_webhooks": True},
        "guilds": {"default": {"webhooks": {"endpoints": [
            {"name": "crm", "url": receiver.url, "secret_env": "KUDOS_TEST_DASH_SECRET",
             "events": ["feedback.status_changed"]}]}}},
    }
    async with running_harness(request.param, partial(Harness, None, config), tmp_path) as harness:
        receiver.clock = harness.clock
        yield harness


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def test_the_log_shows_deliveries_and_resend_sends_again(hooked: Harness, receiver: Receiver,
                                                               http: aiohttp.ClientSession) -> None:
    h = hooked
    await report(h)
    row = await item(h)
    await h.member("sam").slash("feedback status", status="planned", item=row.id)
    await h.advance(timedelta(seconds=1))
    [first] = receiver.received
    base = await log_in(h, http)
    status, page = await get(http, f"{base}/webhooks")
    assert status == 200
    assert "crm" in page and receiver.url in page and "feedback.status_changed" in page
    assert "delivered" in page and first.document["id"] in page and " ms" in page
    token = await csrf_of(http, f"{base}/webhooks")
    assert h.bot is not None
    [delivery] = await h.bot.app.webhooks.log(h.guild_id, (await h.bot.app.webhooks.endpoints(h.guild_id))[0].id)
    # Without the CSRF token: refused, nothing sent.
    async with http.post(f"{base}/webhooks/deliveries/{delivery.id}/resend", data={}) as resp:
        assert resp.status == 403
    assert len(receiver.received) == 1
    async with http.post(f"{base}/webhooks/deliveries/{delivery.id}/resend", data={"csrf": token}) as resp:
        assert resp.status == 200 and "being sent again" in await resp.text()
    await h.settle()
    assert len(receiver.received) == 2 and receiver.received[1].document["id"] == first.document["id"]
    async with http.post(f"{base}/webhooks/deliveries/999999/resend", data={"csrf": token}) as resp:
        assert resp.status == 404
