"""Label-wrapped modal inputs, components v2 (LayoutView) buttons, select menus, DMs to the bot."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import discord

from bot.emulator import Emulator

from .conftest import KudosTestBot, World


class RatingModal(discord.ui.Modal, title="Rate us"):
    rating = discord.ui.Label(text="Rating", component=discord.ui.TextInput(custom_id="rating", max_length=2))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert isinstance(self.rating.component, discord.ui.TextInput)
        await interaction.response.send_message(f"rated {self.rating.component.value}", ephemeral=True)


class Panel(discord.ui.LayoutView):
    def __init__(self) -> None:
        super().__init__(timeout=None)
        button = discord.ui.Button(label="Open", custom_id="panel:open")
        button.callback = self.open  # type: ignore[method-assign]
        select = discord.ui.Select(custom_id="panel:pick", options=[discord.SelectOption(label="A", value="a"),
                                                                      discord.SelectOption(label="B", value="b")])
        select.callback = self.pick  # type: ignore[method-assign]
        self.add_item(discord.ui.Container(discord.ui.TextDisplay("Welcome"), discord.ui.ActionRow(button),
                                           discord.ui.ActionRow(select)))

    async def open(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(RatingModal())

    async def pick(self, interaction: discord.Interaction) -> None:
        values = interaction.data.get("values")  # type: ignore[union-attr]
        await interaction.response.send_message(f"picked {values}", ephemeral=True)


async def test_layout_view_button_select_and_label_modal(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    sent = await bot.get_channel(world.general.id).send(view=Panel())
    stored = emu.message(sent.id)
    assert stored.flags & (1 << 15)  # IS_COMPONENTS_V2
    opened = await emu.click(sent.id, world.alice.id, label="Open")
    assert opened.response_type == 9 and opened.modal["components"][0]["type"] == 18
    done = await emu.submit_modal(opened, {"Rating": "5"})
    assert done.response["content"] == "rated 5" and done.ephemeral
    picked = await emu.select(sent.id, world.bob.id, "panel:pick", ["b"])
    assert picked.response["content"] == "picked ['b']"


async def test_member_dm_reaches_bot(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    dm = emu.open_dm(world.alice.id)
    await emu.send_message(dm.id, world.alice.id, "hello bot")
    assert ("message", dm.id, "hello bot", world.alice.id) in bot.seen
    assert [m.content for m in emu.dms(world.alice.id)] == ["hello bot"]


async def test_missing_spec_file_skips_validation(world: World) -> None:
    async with Emulator(spec_path="/nonexistent/openapi.json") as emu:
        assert not emu.validator.enabled
        assert emu.validator.validate("POST", "/channels/1/messages", {"content": 5})
        assert emu.validator.violations == []


async def test_v2_payload_rules(emu: Emulator, world: World) -> None:
    """components/reference.mdx: with the flag ``1 << 15`` (IS_COMPONENTS_V2) "the content and embeds fields will
    no longer work", "the poll and stickers fields are disabled", "messages allow up to 40 total components";
    layout components (Container 17, Text Display 10, ...) need the flag."""
    import aiohttp

    url = f"{emu.base_url}/channels/{world.general.id}/messages"
    text = {"type": 10, "content": "hello"}
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as http:
        async with http.post(url, json={"flags": 1 << 15, "components": [{"type": 17, "components": [text]}]}) as r:
            assert r.status == 200 and (await r.json())["flags"] & (1 << 15)
        async with http.post(url, json={"flags": 1 << 15, "content": "hi", "components": [text]}) as r:
            body = await r.json()
            assert r.status == 400 and body["code"] == 50035 and "content" in body["errors"]
        async with http.post(url, json={"components": [text]}) as r:
            assert r.status == 400  # a layout component without the flag
        many = [{"type": 17, "components": [dict(text) for _ in range(20)]} for _ in range(2)]
        async with http.post(url, json={"flags": 1 << 15, "components": many}) as r:
            assert r.status == 400  # 42 components in all
    assert emu.errors == []
