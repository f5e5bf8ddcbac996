"""REST plumbing: headers, unknown routes, auth, spec validation, rate limits, fault injection, files."""

from __future__ import annotations

import asyncio
import io
import time
import warnings

import aiohttp
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import discord

from bot.emulator import Emulator, RateLimitConfig
from bot.emulator import rules as R

from .conftest import KudosTestBot, World, build_world, start_bot


def test_discord_py_is_the_pinned_version() -> None:
    # the emulator relies on discord.py internals (Route.BASE, DEFAULT_GATEWAY, 429 handling); see the notes
    assert discord.__version__ == "2.7.1"
    assert hasattr(discord.http.Route, "BASE") and hasattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY")


async def test_unknown_route_auth_and_exact_content_type(emu: Emulator, world: World) -> None:
    headers = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(f"{emu.base_url}/users/@me") as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "application/json"
            assert resp.headers["X-RateLimit-Bucket"]
        async with session.get(f"{emu.base_url}/no/such/route") as resp:
            assert resp.status == 404 and resp.headers["Content-Type"] == "application/json"
            assert await resp.json() == {"message": "404: Not Found", "code": 0}
        async with session.delete(f"{emu.base_url}/users/@me") as resp:  # known path, unknown method
            assert resp.status == 404
    async with aiohttp.ClientSession() as anon:
        async with anon.get(f"{emu.base_url}/users/@me") as resp:
            assert resp.status == 401
    # not-in-spec routes are recorded as violations (cleared: this test expects them)
    assert [(m, p) for m, p, _ in emu.validator.violations] == [("GET", "/no/such/route"), ("DELETE", "/users/@me")]
    emu.validator.violations.clear()


async def test_spec_validation_catches_bad_bodies_and_counts_good_ones(emu: Emulator, world: World) -> None:
    if not emu.validator.enabled:
        pytest.skip("Discord OpenAPI spec not available")
    url = f"{emu.base_url}/channels/{world.general.id}/messages"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as session:
        before = emu.validator.validated
        async with session.post(url, json={"content": "fine", "allowed_mentions": {"parse": [], "users": [1]}}) as r:
            assert r.status == 200
        assert emu.validator.validated == before + 1 and emu.validator.violations == []
        async with session.post(url, json={"content": 12345, "embeds": "nope"}) as r:
            pass
        async with session.post(url, json={"content": "x", "message_reference": {"message_id": "not-an-id"}}) as r:
            pass
    assert emu.validator.validated == before + 3
    assert len(emu.validator.violations) == 2
    method, path, message = emu.validator.violations[0]
    assert (method, path) == ("POST", f"/channels/{world.general.id}/messages")
    assert "content" in message or "embeds" in message
    emu.validator.violations.clear()


async def test_bot_traffic_validates_cleanly(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    channel = bot.get_channel(world.general.id)
    await channel.send("x", embed=discord.Embed(title="t", description="d").add_field(name="n", value="v"),
                       allowed_mentions=discord.AllowedMentions(users=[discord.Object(world.alice.id)]))
    await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "kudos give",
                        {"user": world.bob, "channel": world.general, "role": world.staff, "reason": "r"})
    assert emu.validator.validated >= 3 or not emu.validator.enabled
    assert emu.validator.violations == []


async def test_attachments_via_multipart(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    channel = bot.get_channel(world.general.id)
    await channel.send("with file", file=discord.File(io.BytesIO(b"hello bytes"), filename="notes.txt"))
    msg = emu.messages(world.general.id)[-1]
    assert msg.content == "with file"
    assert msg.files == [("notes.txt", b"hello bytes")]
    assert msg.attachments[0]["filename"] == "notes.txt" and msg.attachments[0]["size"] == 11
    assert emu.requests("POST /channels/{channel_id}/messages")[-1].files == ["notes.txt"]


async def test_rate_limit_429_shape() -> None:
    config = RateLimitConfig(per_route={"POST /channels/{channel_id}/messages": (2, 0.5)})
    async with Emulator(ratelimits=config) as emu:
        world_guild = emu.create_guild("G")
        channel = emu.channel_by_name(world_guild.id, "general")
        url = f"{emu.base_url}/channels/{channel.id}/messages"
        async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as session:
            statuses = []
            for i in range(3):
                async with session.post(url, json={"content": str(i)}) as resp:
                    statuses.append(resp.status)
                    if resp.status == 200:
                        assert resp.headers["X-RateLimit-Limit"] == "2"
                        assert resp.headers["X-RateLimit-Remaining"] == str(1 - i)
                    else:
                        body = await resp.json()
                        assert body["message"] == "You are being rate limited." and body["global"] is False
                        assert 0 < body["retry_after"] <= 0.5
                        for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                                  "X-RateLimit-Reset-After", "X-RateLimit-Bucket"):
                            assert h in resp.headers
                        assert resp.headers["X-RateLimit-Scope"] == "user"
                        assert resp.headers["X-RateLimit-Remaining"] == "0"
            assert statuses == [200, 200, 429]
            other = emu.create_channel(world_guild.id, "other")  # another major parameter: own bucket
            async with session.post(f"{emu.base_url}/channels/{other.id}/messages", json={"content": "x"}) as r:
                assert r.status == 200
            await asyncio.sleep(0.5)
            async with session.post(url, json={"content": "later"}) as resp:
                assert resp.status == 200


async def test_discord_py_waits_out_rate_limits_and_retries_429() -> None:
    config = RateLimitConfig(per_route={"POST /channels/{channel_id}/messages": (2, 0.3)}, global_limit=(4, 0.3))
    emu = Emulator(ratelimits=config)
    await emu.start()
    try:
        from .conftest import build_world, start_bot, stop_bot

        world = build_world(emu)
        bot = KudosTestBot(world.guild.id)
        task = await start_bot(emu, bot)
        try:
            ids = [world.general.id] + [emu.create_channel(world.guild.id, f"c{i}").id for i in range(2)]
            await emu.settle()
            channels = [bot.get_channel(i) for i in ids]
            await asyncio.sleep(0.3)
            t0 = time.perf_counter()
            await asyncio.gather(*(ch.send(f"m{i}") for i in range(3) for ch in channels))
            elapsed = time.perf_counter() - t0
            # every message arrived although limits were hit; discord.py handled it
            for ch in channels:
                assert sorted(m.content for m in emu.messages(ch.id)) == ["m0", "m1", "m2"]
            assert elapsed >= 0.25
            statuses = [r.status for r in emu.requests("POST /channels/{channel_id}/messages")]
            assert 429 in statuses  # the global limit is not announced in advance, so some 429s happened
            assert any(is_global for _, is_global in emu.ratelimiter.hits)
        finally:
            await stop_bot(bot, task)
    finally:
        await emu.stop()


async def test_injected_429_and_5xx_are_retried(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    channel = bot.get_channel(world.general.id)
    emu.faults.add(route="POST /channels/{channel_id}/messages", status=429, count=2, retry_after=0.05)
    await channel.send("after 429s")
    emu.faults.add(route="POST /channels/{channel_id}/messages", status=502, count=1)
    await channel.send("after 502")
    statuses = [r.status for r in emu.requests("POST /channels/{channel_id}/messages")]
    assert statuses == [429, 429, 200, 502, 200]
    assert [m.content for m in emu.messages(world.general.id)] == ["after 429s", "after 502"]
    emu.faults.add(route=None, status=403, count=1, code=50013)
    with pytest.raises(discord.Forbidden):
        await channel.send("blocked")
    emu.faults.slow("POST /channels/{channel_id}/messages", 0.2)
    t0 = time.perf_counter()
    await channel.send("slow")
    assert time.perf_counter() - t0 >= 0.2


async def test_route_coverage_through_discord_py(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """Drive the remaining routes through the real client: each must work and validate against the spec."""
    guild = bot.get_guild(world.guild.id)
    assert (await bot.fetch_guild(guild.id)).name == "Acme"
    assert (await guild.fetch_member(world.alice.id)).name == "alice"
    fetched = [m async for m in guild.fetch_members(limit=100)]
    assert {m.id for m in fetched} == set(emu.state.guilds[guild.id].members)
    assert (await bot.fetch_user(world.bob.id)).name == "bob"
    assert {c.id for c in await guild.fetch_channels()} >= {world.general.id, world.forum.id}
    role = await guild.create_role(name="Beta", permissions=discord.Permissions(send_messages=True))
    await emu.settle()
    assert emu.role_by_name(guild.id, "Beta") is not None and guild.get_role(role.id) is not None
    await guild.get_member(world.bob.id).add_roles(role)
    assert role.id in emu.member_roles(guild.id, world.bob.id)
    await guild.get_member(world.bob.id).edit(nick="bobby")
    assert emu.state.guilds[guild.id].members[world.bob.id].nick == "bobby"
    await role.delete()
    assert role.id not in emu.member_roles(guild.id, world.bob.id)
    text = await guild.create_text_channel("bot-made", topic="hi")
    await text.edit(name="renamed", topic="new topic")
    assert emu.state.channels[text.id].name == "renamed"
    await emu.settle()
    assert bot.get_channel(text.id).name == "renamed"
    sent = await text.send("first")
    edited = await sent.edit(content="first (edited)")
    assert edited.content == "first (edited)" and emu.message(sent.id).edited_timestamp is not None
    assert (await text.fetch_message(sent.id)).content == "first (edited)"
    history = [m.content async for m in text.history(limit=10)]
    assert history == ["first (edited)"]
    reply = await sent.reply("a reply")
    assert emu.message(reply.id).type == 19
    thread = await sent.create_thread(name="discussion")
    assert thread.id == sent.id and emu.state.channels[thread.id].parent_id == text.id
    await thread.join()
    await thread.send("in thread")
    assert [m.content for m in emu.messages(thread.id)] == ["in thread"]
    active = await guild.active_threads()
    assert thread.id in {t.id for t in active}
    await thread.edit(archived=True, locked=True)
    assert emu.state.channels[thread.id].locked
    await sent.delete()
    assert emu.messages(text.id) == [emu.message(reply.id)]
    await bot.tree.sync()  # global commands
    assert {c["name"] for c in emu.commands()} >= {"echo", "kudos"}
    assert all(c["application_id"] == str(emu.application_id) for c in emu.commands())
    await text.delete()
    await emu.settle()
    assert text.id not in emu.state.channels and bot.get_channel(text.id) is None
    assert emu.validator.violations == [] and emu.errors == []


async def test_guild_created_while_connected_reaches_bot(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    g2 = emu.create_guild("Second")
    await emu.settle()
    assert bot.get_guild(g2.id) is not None and bot.get_guild(g2.id).name == "Second"


async def test_routes_come_from_the_modules_given_to_the_server() -> None:
    """Routes register explicitly (each route module's ``register(router)``), not by importing a module."""
    from bot.emulator import routes_core

    async with Emulator(route_modules=(routes_core,)) as emu:
        emu.create_guild("Acme")
        headers = {"Authorization": f"Bot {emu.token}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            async with session.get(f"{emu.base_url}/users/@me") as resp:
                assert resp.status == 200
            channel = emu.state.guilds[next(iter(emu.state.guilds))].channel_ids[0]
            async with session.get(f"{emu.base_url}/channels/{channel}") as resp:  # not registered here
                assert resp.status == 404
        emu.validator.violations.clear()
    from bot.emulator.routing import Router

    router = Router()
    routes_core.register(router)
    with pytest.raises(ValueError, match="registered twice"):
        routes_core.register(router)


async def test_rate_limits_are_on_by_default_with_retry_after() -> None:
    """rate-limits.mdx, Exceeding A Rate Limit: "the API will return a HTTP 429 response code with a JSON body.
    Your application should rely on the `Retry-After` header or `retry_after` field"."""
    async with Emulator() as emu:
        guild = emu.create_guild("G")
        channel = emu.channel_by_name(guild.id, "general")
        url = f"{emu.base_url}/channels/{channel.id}/messages"
        async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as session:
            statuses = []
            for i in range(6):
                async with session.post(url, json={"content": str(i)}) as resp:
                    statuses.append(resp.status)
                    retry_after = resp.headers.get("Retry-After")
            assert statuses == [200] * 5 + [429]
            assert retry_after is not None and int(retry_after) >= 1


async def test_routes_sharing_a_bucket_share_its_limit() -> None:
    """rate-limits.mdx: "per-route limits will be shared across a set of similar endpoints, indicated in the
    `X-RateLimit-Bucket` header"."""
    async with Emulator() as emu:
        guild = emu.create_guild("G")
        channel = emu.channel_by_name(guild.id, "general")
        alice = emu.add_member(guild.id, "alice")
        msg = await emu.send_message(channel.id, alice.id, "hi")
        url = f"{emu.base_url}/channels/{channel.id}/messages/{msg.id}/reactions/%F0%9F%91%8D/@me"
        async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as session:
            async with session.put(url) as added:
                assert added.status == 204
            async with session.delete(url) as removed:  # another route, the same bucket: exhausted
                assert removed.status == 429
                assert removed.headers["X-RateLimit-Bucket"] == added.headers["X-RateLimit-Bucket"]


async def test_renames_have_their_own_small_limit(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    channel = bot.get_channel(world.general.id)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as session:
        url = f"{emu.base_url}/channels/{world.general.id}"
        statuses = []
        for name in ("one", "two", "three"):
            async with session.patch(url, json={"name": name}) as resp:
                statuses.append(resp.status)
        assert statuses == [200, 200, 429]
        async with session.patch(url, json={"nsfw": False}) as resp:  # other edits are not renames
            assert resp.status == 200
    assert channel is not None


async def test_invalid_requests_are_counted() -> None:
    """rate-limits.mdx, Invalid Request Limit: "An invalid request is one that results in **401**, **403**, or
    **429** statuses" and the limit is "10,000 per 10 minutes" (here lowered to 3)."""
    from bot.emulator import ratelimit

    async with Emulator(ratelimits=RateLimitConfig(invalid_limit=(3, 600.0))) as emu:
        guild = emu.create_guild("G", bot_permissions=0, everyone_permissions=R.VIEW_CHANNEL)
        channel = emu.channel_by_name(guild.id, "general")
        before = dict(ratelimit.TOTALS)
        async with aiohttp.ClientSession() as anon:
            async with anon.get(f"{emu.base_url}/users/@me") as resp:
                assert resp.status == 401
        async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as session:
            url = f"{emu.base_url}/channels/{channel.id}/messages"
            for _ in range(2):
                async with session.post(url, json={"content": "x"}) as resp:
                    assert resp.status == 403
            assert emu.errors == []
            async with session.get(f"{emu.base_url}/users/@me") as resp:
                assert resp.status == 200
            async with session.post(url, json={"content": "x"}) as resp:
                assert resp.status == 403
        assert emu.ratelimiter.invalid == 4 and emu.ratelimiter.requests == 5
        assert ratelimit.TOTALS["invalid"] - before["invalid"] == 4
        assert len(emu.errors) == 1 and "invalid requests" in emu.errors[0]
        emu.errors.clear()


async def test_a_busy_shared_resource_answers_429_with_scope_shared_and_is_not_an_invalid_request() -> None:
    """rate-limits.mdx, Header Format: "X-RateLimit-Scope - Returned only on HTTP 429 responses. Value can be
    `user` (per bot or user limit), `global` (per bot or user global limit), or `shared` (per resource limit)";
    the "Example Exceeded Resource Rate Limit Response" says "The resource is being rate limited." with the
    bot's own bucket not used up; and "429 errors returned with `X-RateLimit-Scope: shared` are not counted
    against you." Here: reactions in one channel, added by anyone, share one limit (lowered to 3 per 60 s)."""
    route = "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me"
    config = RateLimitConfig(shared_resources={route: ("channel reactions", "channel_id", (3, 60.0))})
    async with Emulator(ratelimits=config) as emu:
        guild = emu.create_guild("G")
        channel = emu.channel_by_name(guild.id, "general")
        other = emu.create_channel(guild.id, "other")
        members = [emu.add_member(guild.id, f"m{i}") for i in range(3)]
        msg = await emu.send_message(channel.id, members[0].user_id, "vote")
        quiet = await emu.send_message(other.id, members[0].user_id, "vote")
        for member in members:  # members' reactions use the channel's shared limit up
            await emu.add_reaction(channel.id, msg.id, member.user_id, "👍")
        emoji = "%F0%9F%91%8D"
        async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as session:
            url = f"{emu.base_url}/channels/{channel.id}/messages/{msg.id}/reactions/{emoji}/@me"
            async with session.put(url) as busy:
                assert busy.status == 429
                assert busy.headers["X-RateLimit-Scope"] == "shared"
                assert "X-RateLimit-Global" not in busy.headers
                assert int(busy.headers["X-RateLimit-Remaining"]) >= 1  # the bot's own bucket is not used up
                assert int(busy.headers["Retry-After"]) >= 1
                body = await busy.json()
                assert body["message"] == "The resource is being rate limited." and body["global"] is False
                assert body["retry_after"] > 0
            url = f"{emu.base_url}/channels/{other.id}/messages/{quiet.id}/reactions/{emoji}/@me"
            async with session.put(url) as elsewhere:  # another channel: another resource
                assert elsewhere.status == 204
        assert emu.ratelimiter.invalid == 0  # shared-scope 429s are not invalid requests
        assert emu.message(msg.id).reactions["👍"] == {m.user_id for m in members}


async def test_discord_py_waits_out_a_shared_scope_429_and_then_reacts() -> None:
    """The same as the client sees it: discord.py sleeps ``retry_after`` on a shared-scope 429 and tries again."""
    route = "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me"
    config = RateLimitConfig(shared_resources={route: ("channel reactions", "channel_id", (1, 0.3))})
    async with Emulator(ratelimits=config) as emu:
        world = build_world(emu)
        bot = KudosTestBot(world.guild.id)
        await start_bot(emu, bot)
        try:
            msg = await emu.send_message(world.general.id, world.alice.id, "vote")
            await emu.add_reaction(world.general.id, msg.id, world.bob.id, "👍")
            channel = bot.get_channel(world.general.id)
            await channel.get_partial_message(msg.id).add_reaction("👍")
            assert emu.bot_user_id in emu.message(msg.id).reactions["👍"]
            assert [h for h in emu.ratelimiter.hits if h[0] == route]
            assert emu.ratelimiter.invalid == 0
        finally:
            await bot.close()
