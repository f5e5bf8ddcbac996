"""Catching up after the bot was away from the gateway: what the lost events would have done, done once.

A RESUME replays every missed event, so nothing is lost. A full reconnect (a new session: Discord invalidated
the old one) or a restart starts from a fresh READY, and events in the gap are gone. discord.py then makes each
guild available again, which dispatches ``kudos_guild_ready``; there (never on RESUME) this cog catches up:

- posts opened in the feedback forums while away are recorded (:meth:`cogs.feedback.cog.Feedback.catch_up`),
  and those in the help forums counted for the answer rate;
- posts that collected the starboard's stars while away are featured
  (:meth:`cogs.contributions.curation.Curation.consider`);
- earned roles of members who left and rejoined while away go back (the Rewards cog, on the same event).

Each is idempotent with the live path (a thread is one feedback item, a message is featured once, a grant is
put back in the queue once), so a catch-up that overlaps live events or runs twice changes nothing. It is
bounded by the mark, the newest message seen live (kept in ``catchup_marks``): only posts and messages from
a day before it on count, the forums' active threads from the guild cache (one query for which are known),
and for the starboard only channels with messages since then, at most :data:`MAX_CHANNELS` channels and
:data:`MAX_MESSAGES` messages each. Without a mark (the first start in a guild) nothing was missed: existing
posts are not imported.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.core.effects import CurationEffects

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=1)  # before the mark: posts a crash may have cut short, messages starred meanwhile
MAX_CHANNELS = 50
MAX_MESSAGES = 100
SAVE_EVERY = timedelta(minutes=5)  # the mark is saved when it is this far (in message time) ahead of the saved one
_SAVE_EVERY_IDS = int(SAVE_EVERY.total_seconds() * 1000) << 22  # the same distance between two snowflakes


class CatchUp(commands.Cog):
    def __init__(self, bot: KudosBot) -> None:
        self.bot = bot
        self.seen: dict[int, int] = {}  # guild id → newest message id seen live
        self.saved: dict[int, int] = {}
        self.runs = 0

    async def cog_load(self) -> None:
        self.bot.add_sync_listener("message", self._on_message)
        self.bot.add_flush_hook(self.save_marks)

    async def cog_unload(self) -> None:
        self.bot.remove_sync_listener("message", self._on_message)

    # ------------------------------------------------------------------ the mark
    def _on_message(self, message: discord.Message) -> None:
        """Hot path: remember the newest message id per guild (a dictionary update)."""
        guild_id = message.guild.id if message.guild is not None else None
        if guild_id is None or message.id <= self.seen.get(guild_id, 0):
            return
        self.seen[guild_id] = message.id
        saved = self.saved.get(guild_id)
        if saved is None or message.id - saved >= _SAVE_EVERY_IDS:
            self.saved[guild_id] = message.id
            self.bot.tasks.spawn(self._save(guild_id, message.id), name="catchup-mark")

    async def _save(self, guild_id: int, message_id: int) -> None:
        await self.bot.app.catchup.raise_mark(guild_id, message_id)

    async def save_marks(self) -> None:
        for guild_id, message_id in list(self.seen.items()):
            await self._save(guild_id, message_id)
            self.saved[guild_id] = message_id

    @commands.Cog.listener()
    async def on_disconnect(self) -> None:
        """The connection dropped: what came in up to here is seen (a RESUME, if it works, replays the rest)."""
        try:
            await self.save_marks()
        except Exception:  # noqa: BLE001 - a lost mark only widens the next catch-up
            log.warning("could not save the catch-up marks", exc_info=True)

    # ------------------------------------------------------------------ catching up
    @commands.Cog.listener()
    async def on_kudos_guild_ready(self, guild: discord.Guild) -> None:
        self.bot.tasks.spawn(self.catch_up(guild), name=f"catchup-{guild.id}")

    async def catch_up(self, guild: discord.Guild) -> dict[str, int]:
        """Catch up on what happened since a day before the mark. Without a mark Kudos never watched this
        guild, so nothing was missed: existing posts are not imported (the mark is set for next time)."""
        mark = await self.bot.app.catchup.mark(guild.id)
        done = {"feedback posts": 0, "starred posts": 0, "help posts": 0}
        if mark is not None:
            since = discord.utils.time_snowflake(discord.utils.snowflake_time(mark) - LOOKBACK)
            done["help posts"] = await self._help_posts(guild, since)
            feedback = self.bot.effects.feedback
            if feedback is not None:
                done["feedback posts"] = await feedback.catch_up(guild, since)
            curation = self.bot.effects.curation
            if curation is not None:
                done["starred posts"] = await self._stars(guild, curation, since)
        newest = max([c.last_message_id or 0 for c in (*guild.text_channels, *guild.threads)] + [mark or 0])
        if newest:
            await self._save(guild.id, newest)
        self.runs += 1
        if any(done.values()):
            log.info("caught up in guild %s after being away: %s", guild.id,
                     ", ".join(f"{n} {what}" for what, n in done.items()))
        return done

    async def _help_posts(self, guild: discord.Guild, since: int) -> int:
        """Posts opened in the help forums while away (the denominator of the answer rate)."""
        forums = self.bot.settings(guild.id).help_forums
        now = self.bot.clock.now()
        posts = [(t.id, t.parent_id, min(discord.utils.snowflake_time(t.id), now)) for t in guild.threads
                 if t.parent_id in forums and t.id > since]
        return await self.bot.app.insights.help_posts_missed(guild.id, posts) if posts else 0

    def _channels(self, guild: discord.Guild, since: int) -> list[Any]:
        """Channels and active threads with messages after ``since`` that the bot can read, newest first."""
        showcase = self.bot.settings(guild.id).channel("showcase")
        out = []
        for channel in (*guild.text_channels, *guild.threads):
            if channel.id == showcase or channel.last_message_id is None or channel.last_message_id <= since:
                continue
            perms = channel.permissions_for(guild.me)
            if perms.view_channel and perms.read_message_history:
                out.append(channel)
        out.sort(key=lambda c: c.last_message_id or 0, reverse=True)
        return out[:MAX_CHANNELS]

    async def _stars(self, guild: discord.Guild, curation: CurationEffects, since: int) -> int:
        cfg = self.bot.guild_config(guild.id).curation
        if cfg.starboard_threshold <= 0:
            return 0
        featured = 0
        for channel in self._channels(guild, since):
            try:
                async for post in channel.history(after=discord.Object(since), limit=MAX_MESSAGES):
                    reaction = curation.star_reaction(guild.id, post)
                    if reaction is None or reaction.count < cfg.starboard_threshold:
                        continue
                    if await self.bot.app.contributions.is_featured(guild.id, post.id):
                        continue
                    featured += await curation.consider(guild, channel, post)
            except discord.HTTPException as exc:
                log.info("catch-up: could not read %s in guild %s (%s)", channel.id, guild.id, exc)
        return featured


async def setup(bot: KudosBot) -> None:
    await bot.add_cog(CatchUp(bot))
