"""The operations listener (``[metrics]``): a running bot scraped over HTTP on both databases, its metrics
moving with what the bot does, and ``/readyz`` following the gateway and the database (no mocks: the
emulator drops the gateway, the database really goes away).

Discord's ``developers/topics/opcodes-and-status-codes.mdx``: "5xx (SERVER ERROR) | The server had an error
processing your request (these are rare)." (the receipt job retries); ``developers/events/gateway.mdx``
(Resuming): a dropped connection is resumed by the client, which the emulator can hold back.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from bot.platform.metrics import Metrics, route_template
from bot.sandbox.harness import Harness, RoleSpec, WorldSpec
from tests.conftest import POSTGRES_URL, _admin_dsn, running_harness
from tests.contributions.test_receipt_jobs import until_delivered

MESSAGES = "POST /channels/{channel_id}/messages"


pytestmark = pytest.mark.usefixtures("quick_discord_retries")


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.roles += [RoleSpec("Helper Star")]
    return w


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "metrics": {"enabled": True, "port": 0},
        "guilds": {"default": {
            "ledger": {"receipts": "dm"}, "caps": {"thanks_pair_cooldown_hours": 0},
            "perk_pools": [{"name": "storage", "description": "500 MB"}],
            "rewards": [{"name": "helper", "trigger": {"kind": "answer", "count": 1}, "role": "Helper Star"}],
        }},
    }


def base(h: Harness) -> str:
    assert h.bot is not None and h.bot.observability is not None
    return f"http://127.0.0.1:{h.bot.observability.port}"


async def get(h: Harness, path: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(base(h) + path) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def scrape(h: Harness) -> tuple[str, dict[tuple[str, frozenset[tuple[str, str]]], float]]:
    status, ctype, body = await get(h, "/metrics")
    assert status == 200 and ctype.startswith("text/plain"), (status, ctype)
    samples = {}
    for family in text_string_to_metric_families(body):  # the text parses as Prometheus' exposition format
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return body, samples


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_route_templates_hide_ids_tokens_and_emoji() -> None:
    assert route_template("post", "/api/v10/interactions/123/aW50ZXJhY3Rpb24.tok-en/callback") == \
        "POST /interactions/{id}/{token}/callback"
    assert route_template("PATCH", "/api/v10/webhooks/42/secret_token/messages/@original") == \
        "PATCH /webhooks/{id}/{token}/messages/{param}"
    assert route_template("PUT", "/api/v10/channels/1/messages/2/reactions/%E2%AD%90/@me") == \
        "PUT /channels/{id}/messages/{id}/reactions/{emoji}/@me"
    assert route_template("GET", "/api/v10/guilds/9/members?limit=1000") == "GET /guilds/{id}/members"


def test_every_metric_is_documented() -> None:
    """docs/operations.md "Metrics and health" lists every metric the bot exports."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")
    names = {family.name + ("_total" if family.type == "counter" else "") for family in Metrics().registry.collect()}
    assert len(names) > 20
    for name in names:
        assert f"`{name}`" in docs, f"{name} is not in docs/operations.md"


async def test_a_rolled_back_credit_counts_nothing(kudos: Harness) -> None:
    assert kudos.bot is not None
    ledger = kudos.bot.app.ledger
    with pytest.raises(RuntimeError):
        async with kudos.bot.db.begin() as conn:
            await ledger.credit(kudos.guild_id, kudos.members["bob"], "answer", source_key="answer:bob:rb",
                                actor_id=None, conn=conn)
            raise RuntimeError("the cause failed after the credit")
    _, samples = await scrape(kudos)
    assert value(samples, "kudos_contributions_total", kind="answer", action="credit") == 0
    await ledger.credit(kudos.guild_id, kudos.members["bob"], "answer", source_key="answer:bob:ok", actor_id=None)
    _, samples = await scrape(kudos)
    assert value(samples, "kudos_contributions_total", kind="answer", action="credit") == 1


async def test_a_running_bot_is_scraped_and_its_metrics_move(kudos: Harness) -> None:
    assert kudos.bot is not None
    _, before = await scrape(kudos)
    assert value(before, "kudos_contributions_total", kind="thanks", action="credit") == 0
    assert value(before, "kudos_gateway_events_total", type="GUILD_CREATE") >= 1

    # A credit (a thanks) whose receipt DM meets a Discord outage: the job retries, then delivers.
    outage = kudos.emu.faults.add(route=MESSAGES, status=500, count=5)  # discord.py's five tries, once
    inter = await kudos.member("alice").slash("thanks", member=kudos.members["bob"], reason="fixed my sync")
    assert "Thanks sent" in (inter.content or ""), inter.content
    assert outage.hits == 5
    body, mid = await scrape(kudos)
    assert value(mid, "kudos_contributions_total", kind="thanks", action="credit") == 1
    assert value(mid, "kudos_interactions_total", command="thanks", outcome="ok") == 1
    assert value(mid, "kudos_interaction_duration_seconds_count", command="thanks") == 1
    assert value(mid, "kudos_job_retries_total", kind="contrib.receipt") == 1
    assert value(mid, "kudos_job_runs_total", kind="contrib.receipt", outcome="retry") == 1
    assert value(mid, "kudos_jobs", kind="contrib.receipt", state="pending") == 1
    assert value(mid, "kudos_discord_requests_total", route="POST /channels/{id}/messages", status="500") == 5
    assert value(mid, "kudos_discord_requests_total", route="POST /interactions/{id}/{token}/callback",
                 status="200") >= 1
    assert not any(k[0] == "kudos_discord_requests_total" and ("status", "101") in k[1] for k in mid)  # no ws
    assert value(mid, "kudos_gateway_events_total", type="INTERACTION_CREATE") >= 1
    assert value(mid, "kudos_perk_pool_codes_available", guild=str(kudos.guild_id), pool="storage") == 0
    assert await until_delivered(kudos) == 1

    # A reward rule met: the grant (a role) is delivered.
    await kudos.bot.app.ledger.credit(kudos.guild_id, kudos.members["bob"], "answer", source_key="answer:bob:1",
                                      actor_id=None)
    await kudos.settle()
    body, after = await scrape(kudos)
    assert value(after, "kudos_contributions_total", kind="answer", action="credit") == 1
    assert value(after, "kudos_grants", action="role_add", status="delivered") == 1
    assert value(after, "kudos_job_runs_total", kind="contrib.receipt", outcome="done") >= 1
    assert value(after, "kudos_jobs", kind="contrib.receipt", state="done") >= 1
    assert value(after, "kudos_discord_requests_total", route="PUT /guilds/{id}/members/{id}/roles/{id}",
                 status="204") == 1
    assert value(after, "kudos_db_statement_duration_seconds_count") > value(mid, "kudos_db_statement_duration_seconds_count")
    assert value(after, "kudos_db_pool_connections") >= 1 and ("kudos_db_pool_connections_in_use", frozenset()) in after
    assert value(after, "kudos_gateway_latency_seconds", shard="0") > 0

    # A refusal (thanking oneself) is counted as refused, and activity flushes are measured.
    inter = await kudos.member("alice").slash("thanks", member=kudos.members["alice"], reason="me")
    await kudos.member("alice").say("hello there", in_="general")
    assert kudos.bot.app.activity is not None
    await kudos.bot.app.activity.flush()
    body, after = await scrape(kudos)
    assert value(after, "kudos_interactions_total", command="thanks", outcome="refused") == 1, inter.content
    assert value(after, "kudos_activity_flush_rows_count") >= 1
    assert value(after, "kudos_activity_flush_duration_seconds_count") >= 1
    assert "interactions/" not in body.replace("/interactions/{id}/{token}", "")  # no token in a label
    for member_id in kudos.members.values():
        assert str(member_id) not in body  # never a member id


async def _db_down(h: Harness, tmp: Path) -> Any:
    """Make the database really unreachable; returns how to bring it back."""
    assert h.bot is not None
    url = make_url(h.bot.db.url)
    if h.bot.db.is_sqlite:
        path = Path(url.database or "")
        moved = tmp / "moved.db"
        await h.bot.db.engine.dispose()  # the pool's open connections go; new ones must open the file
        shutil.move(path, moved)
        os.mkdir(path)  # a folder where the file was: SQLite cannot open it ("unable to open database file")

        async def back() -> None:
            os.rmdir(path)
            shutil.move(moved, path)
        return back
    import asyncpg

    admin = await asyncpg.connect(_admin_dsn(POSTGRES_URL))
    name = url.database
    await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)

    async def back_pg() -> None:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
    return back_pg


async def test_readyz_follows_the_gateway_and_the_database(kudos: Harness, tmp_path: Path) -> None:
    assert (await get(kudos, "/healthz"))[0] == 200
    status, ctype, body = await get(kudos, "/readyz?verbose=1")
    assert status == 200 and ctype.startswith("application/json"), body
    assert '"connected": true' in body and '"database": "ok"' in body

    await kudos.emu.disconnect(hold=True)  # the shard is down until the emulator lets it back in
    status, _, body = await get(kudos, "/readyz")
    assert status == 503 and "gateway: shard(s) 0 not connected" in body, body
    kudos.emu.release_gateway()
    await kudos.emu.wait_until_connected()
    await kudos.settle()
    assert (await get(kudos, "/readyz"))[0] == 200

    back = await _db_down(kudos, tmp_path)
    try:
        status, _, body = await get(kudos, "/readyz?verbose=1")
        assert status == 503 and "database: unreachable" in body, body
        assert (await get(kudos, "/healthz"))[0] == 200  # alive, not ready
    finally:
        await back()
    status, _, body = await get(kudos, "/readyz")
    assert status == 200, body


async def test_buttons_and_forms_are_counted_by_what_they_do(kudos: Harness) -> None:
    """A view's button, a modal's submit and a persistent button each count once, under a label without ids."""
    import discord

    from cogs.feedback.ui import TypeButton

    picked = await kudos.member("bob").slash("feedback new")  # the form asks for the type itself
    assert picked.modal is not None
    assert kudos.bot is not None
    old = discord.ui.View(timeout=None)  # the type choice earlier versions posted: a persistent button
    old.add_item(TypeButton("idea", None))
    message = await kudos.bot.get_channel(kudos.channel_id("general")).send("pick", view=old)  # type: ignore[union-attr]
    await kudos.settle()
    opened = await kudos.member("bob").click(message.id, label="Idea")
    assert opened.modal is not None
    await kudos.member("bob").submit_modal(opened, {"Title": "Widgets", "Details": "More"})  # a KudosModal
    body, samples = await scrape(kudos)
    counted = {dict(k[1])["command"]: v for k, v in samples.items()
               if k[0] == "kudos_interactions_total" and dict(k[1])["outcome"] == "ok"}
    assert counted == {"feedback new": 1, "feedback:new": 1, "feedback:form": 1}, counted
    assert value(samples, "kudos_interaction_duration_seconds_count", command="feedback:form") == 1


@pytest.fixture
async def sharded(world: WorldSpec, bot_config: dict[str, Any], tmp_path: Path) -> AsyncIterator[Harness]:
    config = {**bot_config, "bot": {"shard_count": 2}}
    async with running_harness("sqlite", partial(Harness, world, config, emulator_options={"shard_count": 2}),
                               tmp_path) as harness:
        yield harness


async def test_readyz_names_the_shard_that_is_down(sharded: Harness) -> None:
    """Per-shard state in ``/readyz?verbose=1``; one shard of this process down is enough for a 503."""
    status, _, body = await get(sharded, "/readyz?verbose=1")
    assert status == 200, body
    assert '"shard": 0, "connected": true' in body and '"shard": 1, "connected": true' in body
    await sharded.emu.disconnect(shard_id=1, hold=True)
    status, _, body = await get(sharded, "/readyz?verbose=1")
    assert status == 503 and "gateway: shard(s) 1 not connected" in body, body
    assert '"shard": 0, "connected": true' in body and '"shard": 1, "connected": false' in body
    sharded.emu.release_gateway()
    await sharded.emu.wait_until_connected()
    await sharded.settle()
    status, _, body = await get(sharded, "/readyz")
    assert status == 200, body


async def test_rate_limits_count_by_scope_and_as_invalid_requests(kudos: Harness) -> None:
    """Discord's ``developers/topics/rate-limits.mdx``: ``X-RateLimit-Scope`` "can be user (per bot or user
    limit), global (per bot or user global limit), or shared (per resource limit)"; and "IP addresses that make
    too many invalid HTTP requests are automatically and temporarily restricted … Currently, this limit is
    10,000 per 10 minutes. An invalid request is one that results in 401, 403, or 429 statuses." """
    _, before = await scrape(kudos)
    assert value(before, "kudos_discord_invalid_requests_10m") == 0
    limited = kudos.emu.faults.add(route=MESSAGES, status=429, count=1)
    inter = await kudos.member("alice").slash("thanks", member=kudos.members["bob"], reason="fixed my sync")
    assert "Thanks sent" in (inter.content or ""), inter.content
    assert limited.hits == 1
    _, after = await scrape(kudos)
    assert value(after, "kudos_discord_rate_limited_total", scope="user") == 1
    assert value(after, "kudos_discord_invalid_requests_10m") == 1
    assert value(after, "kudos_discord_requests_total", route="POST /channels/{id}/messages", status="429") == 1
    assert value(after, "kudos_discord_requests_total", route="POST /channels/{id}/messages", status="200") == 1
    assert value(after, "kudos_job_runs_total", kind="contrib.receipt", outcome="done") == 1  # retried in the call
