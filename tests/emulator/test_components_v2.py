"""Label-wrapped modal inputs, components v2 (LayoutView) buttons, select menus, DMs to the bot."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import discord

from typing import Any

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


async def test_v2_edit_rules(emu: Emulator, world: World) -> None:
    """resources/message.mdx, Edit Message: the IS_COMPONENTS_V2 flag "can only be set"; "when the
    IS_COMPONENTS_V2 flag is set, any of the used content, embeds, sticker_ids, or poll fields must have their
    values reset to empty ... Failing to do this will result in a 400 BAD REQUEST response"; layout components
    need the flag (components/reference.mdx) on an edit as on a send."""
    import aiohttp

    url = f"{emu.base_url}/channels/{world.general.id}/messages"
    text = {"type": 10, "content": "hello"}
    v2 = {"flags": 1 << 15, "components": [{"type": 17, "components": [text]}]}
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as http:
        async with http.post(url, json=v2) as r:
            card = (await r.json())["id"]
        async with http.post(url, json={"content": "old", "embeds": [{"title": "an embed card"}]}) as r:
            old = (await r.json())["id"]
        async with http.patch(f"{url}/{card}", json={"embeds": [{"title": "back to an embed"}]}) as r:
            body = await r.json()
            assert r.status == 400 and body["code"] == 50035 and "embeds" in body["errors"]
        async with http.patch(f"{url}/{card}", json={"flags": 0, "components": [{"type": 17, "components": [text]}]}) as r:
            assert r.status == 200 and (await r.json())["flags"] & (1 << 15)  # the flag can't be taken off
        async with http.patch(f"{url}/{old}", json=v2) as r:  # content and embeds left in place
            body = await r.json()
            assert r.status == 400 and {"content", "embeds"} <= set(body["errors"])
        async with http.patch(f"{url}/{old}", json={"components": [text]}) as r:
            assert r.status == 400  # a layout component on a message without the flag
        async with http.patch(f"{url}/{old}", json=v2 | {"content": None, "embeds": []}) as r:
            assert r.status == 200 and (await r.json())["flags"] & (1 << 15)  # reset: the flag is set
    assert emu.message(int(old)).embeds == [] and emu.message(int(old)).content == ""
    assert emu.errors == []


async def test_v2_component_limits(emu: Emulator, world: World) -> None:
    """components/reference.mdx: a Section has "one to three child components" and an accessory; a Media
    Gallery "1 to 10 media gallery items"; refused by the emulator itself (also where the spec file is absent)."""
    import aiohttp

    from bot.emulator import rules

    url = f"{emu.base_url}/channels/{world.general.id}/messages"
    text = {"type": 10, "content": "hi"}
    thumb = {"type": 11, "media": {"url": "https://cdn.example/a.png"}}
    item = {"media": {"url": "https://cdn.example/a.png"}}
    bad = [
        [{"type": 9, "components": [dict(text) for _ in range(4)], "accessory": thumb}],
        [{"type": 12, "items": [dict(item) for _ in range(11)]}],
    ]
    for components in bad:
        errs = rules.FormErrors()
        rules.check_v2_components(errs, components)
        assert errs.errors  # the emulator's own rule, without the spec
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as http:
        for components in bad:
            async with http.post(url, json={"flags": 1 << 15, "components": components}) as r:
                assert r.status == 400 and (await r.json())["code"] == 50035
        gallery = [{"type": 12, "items": [dict(item) for _ in range(10)]}]
        async with http.post(url, json={"flags": 1 << 15, "components": gallery}) as r:
            assert r.status == 200
    emu.validator.violations.clear()  # the refused bodies broke the spec on purpose
    assert emu.errors == []



class DeferV2(discord.ui.View):
    """A button whose callback first tries a deferred response with the V2 flag (raw, as discord.py never
    sends it), then answers properly."""

    def __init__(self, emu: Emulator) -> None:
        super().__init__(timeout=None)
        self.emu = emu
        self.refused: tuple[int, Any] | None = None
        button = discord.ui.Button(label="Go", custom_id="defer:v2")
        button.callback = self.go  # type: ignore[method-assign]
        self.add_item(button)

    async def go(self, interaction: discord.Interaction) -> None:
        import aiohttp

        url = f"{self.emu.base_url}/interactions/{interaction.id}/{interaction.token}/callback"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json={"type": 5, "data": {"flags": 1 << 15}}) as r:
                self.refused = (r.status, await r.json())
        await interaction.response.send_message("ok", ephemeral=True)


async def test_deferred_response_takes_no_v2_flag(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    """interactions/receiving-and-responding.mdx: with DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE "the only valid
    message flag you may use is EPHEMERAL. If you'd like to create a component based message with
    IS_COMPONENTS_V2 you must do that with the edit original response endpoint, not this one"."""
    view = DeferV2(emu)
    sent = await bot.get_channel(world.general.id).send("x", view=view)
    done = await emu.click(sent.id, world.alice.id, label="Go")
    assert view.refused is not None and view.refused[0] == 400 and view.refused[1]["code"] == 50035
    assert done.response["content"] == "ok"
    emu.validator.violations.clear()  # the refused body, sent on purpose
