"""The emulator's own answers match the response schemas of Discord's OpenAPI spec."""

from __future__ import annotations

import aiohttp
import pytest

from bot.emulator import Emulator
from bot.emulator.routing import Request, Result, Router, RouteTable

from .conftest import KudosTestBot, World

needs_spec = pytest.mark.skipif(not Emulator().validator.enabled, reason="Discord's OpenAPI spec is not here")


@needs_spec
async def test_a_wrong_answer_is_a_recorded_violation() -> None:
    table = RouteTable()

    @table.route("GET", "/users/@me")
    async def bad_me(emu: Emulator, req: Request) -> Result:
        return 200, {"id": "1", "username": "x"}  # most required fields missing

    class Module:
        @staticmethod
        def register(router: Router) -> None:
            router.include(table)

    async with Emulator(route_modules=(Module,)) as emu:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as session:
            async with session.get(f"{emu.base_url}/users/@me") as resp:
                assert resp.status == 200
        assert len(emu.validator.response_violations) == 1
        method, path, message = emu.validator.response_violations[0]
        assert (method, path) == ("GET", "/users/@me") and "required property" in message
        emu.validator.response_violations.clear()


@needs_spec
async def test_error_answers_fit_the_spec_with_its_known_gaps(emu: Emulator, world: World) -> None:
    """The spec types field error codes as integers and requires ``code`` in 429 bodies; Discord sends string
    codes (opcodes-and-status-codes.mdx, Example JSON Error Response) and rate-limits.mdx lists "code?"."""
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as session:
        url = f"{emu.base_url}/channels/{world.general.id}/messages"
        async with session.post(url, json={"content": "x" * 2001}) as resp:
            body = await resp.json()
            assert resp.status == 400 and isinstance(body["errors"]["content"]["_errors"][0]["code"], str)
        for _ in range(6):
            async with session.post(url, json={"content": "y"}) as resp:
                last = resp.status
        assert last == 429
    emu.validator.violations.clear()  # the over-long content is a request violation, provoked here
    assert emu.validator.response_violations == []


@needs_spec
async def test_answers_carry_what_the_spec_requires(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """Users have ``primary_guild``; embeds ``type`` and fields ``inline``; components a numeric ``id``; the
    guild, application, @me and active-threads answers their required fields; a deferred callback no
    ``resource``."""
    import discord

    channel = bot.get_channel(world.general.id)
    embed = discord.Embed(title="t").add_field(name="a", value="b", inline=False)
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="Go", custom_id="go"))
    sent = await channel.send("hi", embed=embed, view=view)
    stored = emu.message(sent.id)
    assert stored.embeds[0]["type"] == "rich" and stored.embeds[0]["fields"][0]["inline"] is False
    assert [c["id"] for c in stored.components] == [1] and stored.components[0]["components"][0]["id"] == 2
    await bot.fetch_guild(world.guild.id)
    await bot.fetch_user(world.alice.id)
    await bot.application_info()
    await bot.get_guild(world.guild.id).active_threads()
    await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "slow")
    assert emu.validator.responses_validated > 5
    assert emu.validator.response_violations == []
    callbacks = [r for r in emu.request_log if r.route.endswith("/callback")]
    assert callbacks  # the deferred callback's answer validated above, without a resource


async def test_interaction_metadata_names_the_user(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """message.mdx, Message Interaction Metadata Object: ``user`` is "the user who triggered the
    interaction"."""
    rec = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "kudos give",
                              {"user": world.bob, "channel": world.general, "role": world.staff, "reason": "r"})
    meta = rec.message.interaction_metadata
    assert meta["user"]["id"] == str(world.alice.id) and meta["type"] == 2
    click = await emu.click(rec.message.id, world.bob.id, label="Bump")
    assert click.response_type == 7
    opened = await emu.run_slash(world.guild.id, world.general.id, world.alice.id, "feedback")
    done = await emu.submit_modal(opened, {"Summary": "nice"})
    meta = done.message.interaction_metadata
    assert meta["type"] == 5 and meta["user"]["id"] == str(world.alice.id)
    assert meta["triggering_interaction_metadata"]["id"] == str(opened.id)
