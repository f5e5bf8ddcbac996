"""Fixtures: an Emulator with a guild, and a small real discord.py bot connected to it."""

from __future__ import annotations

import asyncio
import io
import re
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

with warnings.catch_warnings():  # discord.py 2.7.1 imports audioop (deprecated in 3.11+); filterwarnings=error
    warnings.simplefilter("ignore", DeprecationWarning)
    import discord
from discord import app_commands
from discord.ext import commands

from bot.emulator import Emulator
from bot.emulator import rules as R
from bot.emulator.state import Channel, Guild, Member, Role


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "emulator(**kwargs): keyword arguments for the Emulator fixture")
    from bot.emulator import spec

    spec.TRACKING["on"] = True


@dataclass
class World:
    guild: Guild
    general: Channel
    forum: Channel
    staff: Role
    alice: Member
    bob: Member


class ThankButton(discord.ui.DynamicItem[discord.ui.Button], template=r"test:(?P<action>\w+):(?P<id>\d+)"):
    def __init__(self, action: str, target: int) -> None:
        super().__init__(discord.ui.Button(label=action.capitalize(), custom_id=f"test:{action}:{target}"))
        self.action = action
        self.target = target

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ThankButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        interaction.client.seen.append(("button", self.action, self.target, interaction.user.id))  # type: ignore
        await interaction.response.edit_message(content=f"{self.action} by {interaction.user.id} for {self.target}")


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    summary = discord.ui.TextInput(label="Summary", custom_id="fb_summary", max_length=100)
    details = discord.ui.TextInput(label="Details", style=discord.TextStyle.paragraph, required=False)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"thanks: {self.summary.value} / {self.details.value or '-'}", ephemeral=True)


class KudosTestBot(commands.Bot):
    def __init__(self, guild_id: int, **kwargs: Any) -> None:
        intents = discord.Intents.default()
        intents.members = True
        intents.message_content = True
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05, **kwargs)
        self.guild_id = guild_id
        self.seen: list[tuple[Any, ...]] = []
        self.errors: list[Any] = []
        self.parked: discord.Interaction | None = None

    async def setup_hook(self) -> None:
        self.add_dynamic_items(ThankButton)
        build_commands(self)
        guild = discord.Object(self.guild_id)
        self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return  # discord.py waits 5 s before a re-IDENTIFY (Discord's identify limit); pointless on loopback

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(("message", message.channel.id, message.content, message.author.id))
        if message.content == "!ping" and not message.author.bot:
            await message.channel.send("pong")

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.seen.append(("reaction_add", payload.message_id, str(payload.emoji), payload.user_id))

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        self.seen.append(("reaction_remove", payload.message_id, str(payload.emoji), payload.user_id))

    async def on_member_join(self, member: discord.Member) -> None:
        self.seen.append(("join", member.id, member.guild.id))

    async def on_member_remove(self, member: discord.Member) -> None:
        self.seen.append(("leave", member.id))

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        self.seen.append(("member_update", after.id, sorted(r.id for r in after.roles)))

    async def on_thread_create(self, thread: discord.Thread) -> None:
        self.seen.append(("thread", thread.id, thread.name, sorted(t.name for t in thread.applied_tags)))

    async def on_resumed(self) -> None:
        self.seen.append(("resumed",))

    async def on_ready(self) -> None:
        self.seen.append(("ready",))


def build_commands(bot: KudosTestBot) -> None:
    tree = bot.tree

    @tree.command(name="echo", description="Echo text back")
    async def echo(interaction: discord.Interaction, text: str, times: int = 1, loud: bool = False,
                   ratio: float = 1.0) -> None:
        out = " ".join([text.upper() if loud else text] * times)
        await interaction.response.send_message(f"{out} ({ratio})", ephemeral=True)

    @tree.command(name="bounded", description="Options with ranges and lengths")
    async def bounded(interaction: discord.Interaction, count: app_commands.Range[int, 1, 10],
                      word: app_commands.Range[str, 2, 5], ratio: app_commands.Range[float, 0.0, 1.0] = 0.5,
                      floor: app_commands.Range[int, 3, None] = 3) -> None:
        await interaction.response.send_message(f"{count} {word} {ratio} {floor}", ephemeral=True)

    kudos = app_commands.Group(name="kudos", description="Kudos things")
    admin = app_commands.Group(name="admin", description="Admin things", parent=kudos)

    @kudos.command(name="give", description="Thank someone")
    async def give(interaction: discord.Interaction, user: discord.Member, channel: discord.TextChannel,
                   role: discord.Role, reason: str) -> None:
        embed = discord.Embed(title="Kudos!", description=f"{user.mention} in {channel.mention}: {reason}")
        view = discord.ui.View(timeout=None)
        view.add_item(ThankButton("bump", user.id))
        await interaction.response.send_message(embed=embed, view=view,
                                                content=f"{user.display_name} got {role.name}")

    @admin.command(name="reset", description="Reset someone")
    async def reset(interaction: discord.Interaction, user: discord.User) -> None:
        await interaction.response.send_message(f"reset {user.id}", ephemeral=True)

    tree.add_command(kudos)

    @tree.command(name="slow", description="Deferred reply")
    async def slow(interaction: discord.Interaction, ephemeral: bool = False) -> None:
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("done thinking", ephemeral=ephemeral)

    @tree.command(name="mixed", description="Public defer, then an ephemeral follow-up and another")
    async def mixed(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        note = discord.File(io.BytesIO(b"notes"), "notes.txt", description="the notes")
        first = await interaction.followup.send("meant to be secret", ephemeral=True, wait=True, file=note)
        second = await interaction.followup.send("second", wait=True)
        bot.seen.append(("mixed", first.id, first.flags.ephemeral, second.id))

    fruits = ["apple", "apricot", "banana", "cherry"]

    async def fruit_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if current == "many":  # more than Discord allows
            return [app_commands.Choice(name=f"f{i}", value=f"f{i}") for i in range(30)]
        return [app_commands.Choice(name=f, value=f) for f in fruits if f.startswith(current)]

    @tree.command(name="fruit", description="Pick a fruit")
    @app_commands.autocomplete(name=fruit_names)
    async def fruit(interaction: discord.Interaction, name: str, count: int = 1) -> None:
        await interaction.response.send_message(f"{count} {name}", ephemeral=True)

    @tree.command(name="retract", description="Public defer, delete it, answer privately")
    async def retract(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.delete_original_response()
        await interaction.followup.send("just for you", ephemeral=True)

    @tree.command(name="park", description="Defer and keep the interaction for later")
    async def park(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        bot.parked = interaction

    @tree.command(name="slowedit", description="Deferred then edit original")
    async def slowedit(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0.05)
        await interaction.edit_original_response(content="edited original")

    @tree.command(name="never", description="Never answers")
    async def never(interaction: discord.Interaction) -> None:
        return

    @tree.command(name="late", description="Answers too late")
    async def late(interaction: discord.Interaction, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await interaction.response.send_message("too late")
        except discord.HTTPException as exc:
            bot.errors.append(("late", exc.status, exc.code))

    @tree.command(name="feedback", description="Open a modal")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackModal())

    @tree.command(name="poke", description="DM someone")
    async def poke(interaction: discord.Interaction, user: discord.Member) -> None:
        try:
            await user.send("poke!")
        except discord.Forbidden as exc:
            await interaction.response.send_message(f"cannot DM ({exc.code})", ephemeral=True)
        else:
            await interaction.response.send_message("poked", ephemeral=True)

    @tree.command(name="upload", description="Read an attached file back")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(f"{file.filename} {file.content_type} {len(data)}", ephemeral=True)

    @tree.context_menu(name="Mark as solution")
    async def mark(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"solution: {message.id} by {message.author.id}", ephemeral=True)

    @tree.context_menu(name="Profile")
    async def profile(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"profile of {member.name}", ephemeral=True)


def build_world(emu: Emulator, bot_permissions: int = R.DEFAULT_BOT) -> World:
    guild = emu.create_guild("Acme", bot_permissions=bot_permissions)
    general = emu.channel_by_name(guild.id, "general")
    assert general is not None
    forum = emu.create_channel(guild.id, "help", type="forum", tags=["Solved", "Bug", "Question"])
    staff = emu.create_role(guild.id, "Staff", permissions=R.MANAGE_MESSAGES)
    alice = emu.add_member(guild.id, "alice", roles=[staff.id])
    bob = emu.add_member(guild.id, "bob", account_age_days=2, joined_days_ago=1)
    return World(guild, general, forum, staff, alice, bob)


async def start_bot(emu: Emulator, bot: commands.Bot, timeout: float = 5.0) -> asyncio.Task[None]:
    emu.patch_discord()
    task = asyncio.create_task(bot.start(emu.token))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not bot.is_ready():
        if task.done():
            task.result()  # raises the start error
        if loop.time() > deadline:
            await stop_bot(bot, task)
            raise TimeoutError("bot did not become ready")
        await asyncio.sleep(0.005)
    await emu.settle(quiet=0.02)
    return task


async def stop_bot(bot: commands.Bot, task: asyncio.Task[None]) -> None:
    await bot.close()
    try:
        await asyncio.wait_for(task, 5)
    except asyncio.CancelledError:
        pass


@pytest.fixture
async def emu(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    marker = request.node.get_closest_marker("emulator")
    kwargs = dict(marker.kwargs) if marker else {}
    emulator = Emulator(**kwargs)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def world(emu: Emulator) -> World:
    return build_world(emu)


@pytest.fixture
async def bot(emu: Emulator, world: World) -> AsyncIterator[KudosTestBot]:
    b = KudosTestBot(world.guild.id)
    task = await start_bot(emu, b)
    yield b
    await stop_bot(b, task)
