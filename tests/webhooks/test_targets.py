"""Which targets webhooks may reach: http(s) only; no loopback, private or link-local address (literal, or
what a name resolves to) unless ``[web] allow_private_webhooks``; redirects are not followed. On both
databases where a delivery is involved."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.platform.clock import FakeClock
from bot.platform.config import ConfigError, parse_config
from bot.platform.db import Database
from bot.platform.events import Outbound
from bot.platform.jobs.scheduler import TimerScheduler
from bot.platform.webhook_targets import address_problem, url_problem
from bot.webhooks import store as repo
from bot.webhooks.http import CheckedResolver, RefusedTarget
from bot.webhooks.service import WebhooksService
from bot.webhooks.tables import webhook_deliveries
from tests.webhooks.receiver import Receiver

G = 100


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254",
                                     "::1", "fe80::1", "fc00::5", "::ffff:127.0.0.1", "100.64.0.1"])
def test_private_addresses_are_refused_unless_allowed(address: str) -> None:
    assert address_problem(address, allow_private=False) is not None
    assert address_problem(address, allow_private=True) is None


@pytest.mark.parametrize("address", ["0.0.0.0", "224.0.0.1", "::"])
def test_unspecified_and_multicast_are_refused_always(address: str) -> None:
    assert address_problem(address, allow_private=True) is not None


def test_urls() -> None:
    assert url_problem("https://hooks.example.com/kudos", allow_private=False) is None
    assert url_problem("http://93.184.215.14:8080/x", allow_private=False) is None
    assert "http:// or https://" in (url_problem("ftp://example.com/x", allow_private=True) or "")
    assert "http:// or https://" in (url_problem("file:///etc/passwd", allow_private=True) or "")
    assert "password" in (url_problem("https://u:p@example.com/", allow_private=True) or "")
    assert "localhost" in (url_problem("http://localhost:8000/", allow_private=False) or "")
    assert "loopback" in (url_problem("http://[::1]/", allow_private=False) or "")
    assert url_problem("http://localhost:8000/", allow_private=True) is None


def test_config_refuses_a_private_endpoint_and_names_the_key() -> None:
    endpoint = {"name": "lan", "url": "http://192.168.1.20/hook", "secret_env": "HOOK_SECRET"}
    with pytest.raises(ConfigError) as refused:
        parse_config({"guilds": {"123": {"webhooks": {"endpoints": [endpoint]}}}}, source="t")
    assert "guilds.123.webhooks.endpoints[0].url" in str(refused.value)
    assert "allow_private_webhooks" in str(refused.value)
    allowed = parse_config({"web": {"allow_private_webhooks": True},
                            "guilds": {"123": {"webhooks": {"endpoints": [endpoint]}}}}, source="t")
    assert allowed.guild(123).webhooks.endpoints[0].url == endpoint["url"]
    with pytest.raises(ConfigError, match="events\\[0\\]"):
        parse_config({"guilds": {"123": {"webhooks": {"endpoints": [
            {**endpoint, "url": "https://x.example/", "events": ["feedback.creatd"]}]}}}}, source="t")


async def test_the_resolver_refuses_a_name_that_resolves_to_loopback() -> None:
    resolver = CheckedResolver(allow_private=False)
    try:
        with pytest.raises(RefusedTarget, match="loopback"):
            await resolver.resolve("localhost", 80)
    finally:
        await resolver.close()


@pytest.fixture
async def receiver(clock: FakeClock) -> AsyncIterator[Receiver]:
    r = await Receiver().start()
    r.clock = clock
    yield r
    await r.stop()


async def _service(db: Database, clock: FakeClock, *, allow_private: bool) -> tuple[WebhooksService, TimerScheduler]:
    jobs = TimerScheduler(db, clock)
    from bot.platform.config import parse_config as parse

    config = parse({}, source="t")
    svc = WebhooksService(db, clock, guild_config=config.guild, configured_guilds=lambda: (),
                          allow_private=allow_private, schedule=jobs.schedule, env={"S": "secret"})
    jobs.register("webhooks.deliver", svc.deliver)
    await jobs.start()
    return svc, jobs


async def _endpoint(db: Database, clock: FakeClock, url: str) -> None:
    async with db.begin() as conn:
        await repo.save_endpoint(conn, guild_id=G, name="x", url=url, events=["*"], source="staff",
                                 secret_env=None, secret="secret", enabled=True, now=clock.now())


async def _send(db: Database, svc: WebhooksService, clock: FakeClock) -> None:
    async with db.begin() as conn:
        await svc.on_outbound(conn, Outbound(G, "beta.closed", "1", clock.now(), {"n": 1}))
    await clock.advance(timedelta(seconds=1))


async def test_a_private_endpoint_is_refused_on_delivery(db: Database, clock: FakeClock, receiver: Receiver) -> None:
    # An endpoint on loopback (registered while private targets were allowed, say) with them not allowed now.
    svc, jobs = await _service(db, clock, allow_private=False)
    try:
        await _endpoint(db, clock, receiver.url)
        await _send(db, svc, clock)
        for _ in range(3):
            await clock.advance(timedelta(minutes=5))
    finally:
        await jobs.stop()
        await svc.close()
    assert receiver.received == []
    async with db.connect() as conn:
        [row] = list(await conn.execute(select(webhook_deliveries)))
    assert row.status == "pending" and row.attempts >= 3 and row.last_status is None
    assert "refused target" in row.last_error and "loopback" in row.last_error


async def test_a_redirect_is_not_followed_and_is_retried(db: Database, clock: FakeClock, receiver: Receiver) -> None:
    receiver.status = 307
    svc, jobs = await _service(db, clock, allow_private=True)
    try:
        await _endpoint(db, clock, receiver.url)
        await _send(db, svc, clock)
    finally:
        await jobs.stop()
        await svc.close()
    assert [r.headers.get("Kudos-Event-Type") for r in receiver.received] == ["beta.closed"]  # /elsewhere: never
    async with db.connect() as conn:
        [row] = list(await conn.execute(select(webhook_deliveries)))
    assert row.status == "pending" and row.last_status == 307 and "not followed" in row.last_error


async def test_retries_stop_after_24_hours(db: Database, clock: FakeClock, receiver: Receiver) -> None:
    receiver.status = 503
    svc, jobs = await _service(db, clock, allow_private=True)
    try:
        await _endpoint(db, clock, receiver.url)
        await _send(db, svc, clock)
        for _ in range(30):
            await clock.advance(timedelta(hours=1))
    finally:
        await jobs.stop()
        await svc.close()
    async with db.connect() as conn:
        [row] = list(await conn.execute(select(webhook_deliveries)))
    assert row.status == "failed" and row.last_status == 503
    assert row.last_attempt_at - row.created_at <= timedelta(hours=24)
    tries = len(receiver.received)
    assert tries == row.attempts and 10 <= tries <= 40  # back-off: 30 s doubling, at most an hour apart
