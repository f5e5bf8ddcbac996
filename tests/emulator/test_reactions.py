"""GET /channels/{channel_id}/messages/{message_id}/reactions/{emoji}: who reacted, through discord.py."""

from __future__ import annotations

import discord

from bot.emulator import Emulator

from .conftest import KudosTestBot, World


async def test_reaction_users_are_listed_in_pages(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    msg = await emu.send_message(world.general.id, world.alice.id, "look at this")
    await emu.add_reaction(world.general.id, msg.id, world.bob.id, "⭐")
    await emu.add_reaction(world.general.id, msg.id, world.alice.id, "⭐")
    channel = bot.get_channel(world.general.id)
    fetched = await channel.fetch_message(msg.id)
    star = next(r for r in fetched.reactions if str(r.emoji) == "⭐")
    assert star.count == 2
    users = [u.id async for u in star.users(limit=100)]
    assert sorted(users) == sorted([world.alice.id, world.bob.id])  # discord.py yields each page reversed
    first = [u.id async for u in star.users(limit=1)]
    assert first == [min(users)]  # Discord pages in ascending id order
    assert emu.requests("GET /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}")[0].status == 200


async def test_unknown_reaction_is_404(emu: Emulator, world: World, bot: KudosTestBot) -> None:
    msg = await emu.send_message(world.general.id, world.alice.id, "nothing here")
    channel = bot.get_channel(world.general.id)
    partial = channel.get_partial_message(msg.id)
    reaction = discord.Reaction(message=partial, data={"count": 1, "me": False}, emoji="⭐")  # type: ignore[arg-type]
    try:
        [u async for u in reaction.users()]
    except discord.NotFound as exc:
        assert exc.code == 10014
    else:  # pragma: no cover
        raise AssertionError("expected 404 Unknown Emoji")


async def test_reactions_name_custom_emoji_and_whether_the_bot_reacted(emu: Emulator, world: World,
                                                                        bot: KudosTestBot) -> None:
    """message.mdx, Reaction Object: ``me`` is "Whether the current user reacted using this emoji" and
    ``emoji`` is a partial emoji (a custom one has ``id`` and ``name``)."""
    import discord

    msg = await emu.send_message(world.general.id, world.alice.id, "react to me")
    await emu.add_reaction(world.general.id, msg.id, world.alice.id, "👍")
    channel = bot.get_channel(world.general.id)
    fetched = await channel.fetch_message(msg.id)
    await fetched.add_reaction(discord.PartialEmoji(name="kudos", id=1234567890))
    fetched = await channel.fetch_message(msg.id)
    by_name = {r.emoji.name if isinstance(r.emoji, discord.PartialEmoji) else r.emoji: r for r in fetched.reactions}
    assert by_name["kudos"].me and by_name["kudos"].emoji.id == 1234567890
    assert not by_name["👍"].me and by_name["👍"].count == 1
