"""The real bot starts on the emulator, syncs its commands and answers through the central error handler."""

from __future__ import annotations

import time

from sqlalchemy import select

from bot.platform.tables import guilds
from bot.sandbox.harness import Harness


async def test_bot_starts_syncs_commands_and_records_guild(kudos: Harness) -> None:
    bot = kudos.bot
    assert bot is not None and bot.is_ready()
    names = {c["name"] for c in kudos.emu.commands(kudos.guild_id)}
    assert "kudos" in names
    async with bot.db.connect() as conn:
        row = (await conn.execute(select(guilds).where(guilds.c.id == kudos.guild_id))).one()
    assert row.name == kudos.world.name
    # Names in the config resolved to the emulator's ids.
    settings = bot.settings(kudos.guild_id)
    assert settings.staff_roles == {kudos.role_id("Staff")}
    assert settings.channel("showcase") == kudos.channel_id("showcase")
    assert settings.help_forums == {kudos.channel_id("help")}
    assert settings.problems == []


async def test_staff_command_and_refusal_are_ephemeral(kudos: Harness) -> None:
    ok = await kudos.member("sam").slash("kudos status")
    assert ok.ephemeral and not ok.failed
    assert ok.embeds[0]["title"] == "Kudos status"
    fields = {f["name"]: f["value"] for f in ok.embeds[0]["fields"]}
    assert fields["Set-up"] == "Everything I need is in place."
    refused = await kudos.member("bob").slash("kudos status")
    assert refused.ephemeral and not refused.failed
    assert "Only staff" in refused.content


async def test_status_explains_missing_permissions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.emulator import rules
    from bot.sandbox.harness import WorldSpec

    world = WorldSpec.default()
    world.bot_permissions = rules.DEFAULT_BOT & ~rules.MANAGE_ROLES & ~rules.MANAGE_THREADS
    async with Harness(world, workdir=tmp_path) as h:
        reply = await h.member("sam").slash("kudos status")
        fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
        attention = fields["Needs attention (3)"]
        assert "**server**: missing Manage Roles" in attention
        assert "**#feedback**: missing Manage Threads" in attention
        assert "**#help**: missing Manage Threads" in attention


async def test_unknown_role_name_in_config_is_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = {"guilds": {"default": {"staff_roles": ["Staf"]}}}
    async with Harness(None, config, workdir=tmp_path) as h:
        assert h.bot is not None
        problems = h.bot.settings(h.guild_id).problems
        assert problems == ["staff_roles: no role named 'Staf' in this server"]


async def test_restart_keeps_database(kudos: Harness) -> None:
    await kudos.bot.scheduler.schedule("noop", {}, at=kudos.clock.now())  # type: ignore[union-attr]
    first = kudos.bot
    await kudos.restart()
    assert kudos.bot is not first and kudos.bot.is_ready()  # type: ignore[union-attr]


async def test_ready_quickly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    async with Harness(workdir=tmp_path) as h:
        assert h.bot is not None and h.bot.is_ready()
        elapsed = time.perf_counter() - started
    # Not a benchmark (bench/ measures it); a guard against a start-up that waits on a timeout.
    assert elapsed < 5


async def test_gateway_reconnects_resume_and_full(kudos: Harness) -> None:
    bot = kudos.bot
    assert bot is not None
    await kudos.emu.disconnect(resume=True)
    await kudos.emu.wait_until_connected()
    assert kudos.emu.gateway.resumes >= 1
    await kudos.emu.disconnect(resume=False)
    await kudos.emu.wait_until_connected()
    await kudos.settle()
    # Still answering after both kinds of reconnect.
    reply = await kudos.member("sam").slash("kudos status")
    assert not reply.failed and reply.embeds[0]["title"] == "Kudos status"


async def test_auto_sharded_bot_on_two_shards(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.sandbox.harness import WorldSpec

    async with Harness(WorldSpec.default(), {"bot": {"shard_count": 2}}, workdir=tmp_path,
                       emulator_options={"shard_count": 2}) as h:
        assert h.bot is not None and h.bot.shard_count == 2
        assert sorted(h.emu.gateway.by_shard) == [0, 1]
        reply = await h.member("sam").slash("kudos status")
        assert not reply.failed


async def test_gc_freeze_once_ready_and_off_in_the_sandbox(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import gc

    for sub in ("off", "on"):
        (tmp_path / sub).mkdir()
    gc.unfreeze()  # whatever an earlier test of this process (a simulated crash skips close()) left frozen
    freezes: list[bool] = []  # bot.is_ready() at each gc.freeze()
    collections: list[int] = []  # the generation of each gc.collect() the bot asks for
    real_freeze, real_collect = gc.freeze, gc.collect
    harness = Harness(None, {"bot": {"gc_freeze": True}}, workdir=tmp_path / "on")

    def freeze() -> None:
        assert harness.bot is not None
        freezes.append(harness.bot.is_ready())
        real_freeze()

    def collect(generation: int = 2) -> int:
        collections.append(generation)
        return real_collect(generation)

    async with Harness(workdir=tmp_path / "off") as h:  # the sandbox default: many bots share one process
        assert h.bot is not None and h.bot.is_ready() and gc.get_freeze_count() == 0
    monkeypatch.setattr(gc, "freeze", freeze)
    monkeypatch.setattr(gc, "collect", collect)
    try:
        async with harness as h:
            assert h.bot is not None and h.bot.is_ready()
            assert gc.get_freeze_count() > 0  # the bot's start-up objects are out of full GC passes
            member = next(iter(h.bot.guilds[0].members))
            # The member cache, loaded after setup_hook's freeze, went out of full passes at ready as well.
            assert not any(o is member for o in gc.get_objects())
        assert gc.get_freeze_count() == 0  # close() gives them back
    finally:
        gc.unfreeze()  # this test process starts many more bots
    # Once at the end of setup_hook (modules, config, cogs; before the members arrive), once at ready; only the
    # young generations collected first: a full pass over a large member cache cost 1.1 s of a 1M guild's ready.
    assert freezes == [False, True]
    assert collections == [1, 1]
