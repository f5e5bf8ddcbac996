"""The job that posts a report's screenshots in its thread (rules and the kept links:
:mod:`bot.feedback.screenshots`).

The form's File Upload gives ephemeral attachments: the job downloads each from Discord's CDN (the bot's own
HTTP client, ``get_from_cdn``) and uploads them again with one message in the thread, so the images stay
when Discord's links expire. A second run first looks for its message (the same text by the bot). A link
that is gone (404/403: it expired while the report waited for review, say) drops that image; when none is
left the job ends with an audit line. A failed upload is classified like every job's
(:mod:`bot.core.effect_errors`).

A mixin of :class:`cogs.feedback.cog.Feedback`, which provides ``bot``, ``service``, ``_thread_of``,
``_in_thread`` and ``_already_there``.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.core import i18n
from bot.core.errors import NO_MENTIONS
from bot.feedback.jobs import SCREENSHOTS_EVENT
from bot.feedback.models import MAX_SCREENSHOTS, Screenshot
from bot.platform import markdown
from bot.platform.errors import InvalidInput, KudosError
from bot.platform.i18n import Translator
from bot.platform.jobs.effects import Drop, Retry

log = logging.getLogger(__name__)

UPLOAD_LIMIT = 10 * 1024 * 1024  # what one message of the bot may carry in all (bots' upload limit)


def check_screenshots(attachments: list[Any], tr: Translator) -> tuple[Screenshot, ...]:
    """The form's uploads as screenshots: at most :data:`MAX_SCREENSHOTS`, images only."""
    if len(attachments) > MAX_SCREENSHOTS:
        raise InvalidInput(tr("Attach at most {count} screenshots.", count=MAX_SCREENSHOTS))
    for a in attachments:
        if not str(a.content_type or "").startswith("image/"):
            raise InvalidInput(tr("Screenshots must be images; {name} is not one. Send the form again without it.",
                                  name=markdown.inline(a.filename)))
    return tuple(Screenshot(a.url, a.filename, a.content_type, int(a.size or 0)) for a in attachments)


class ScreenshotJobs:
    bot: Any
    service: Any
    _thread_of: Callable[..., Awaitable[discord.Thread]]
    _in_thread: Callable[..., Awaitable[None]]
    _already_there: Callable[..., Awaitable[bool]]

    def _register_screenshots(self) -> None:
        self.bot.scheduler.register(SCREENSHOTS_EVENT, self._on_screenshots)

    def _unregister_screenshots(self) -> None:
        self.bot.scheduler.unregister(SCREENSHOTS_EVENT)

    async def _download(self, shots: list[Screenshot]) -> list[tuple[str, bytes]]:
        files: list[tuple[str, bytes]] = []
        total = 0
        for n, shot in enumerate(shots):
            try:
                data = await self.bot.http.get_from_cdn(shot.url)
            except (discord.NotFound, discord.Forbidden):
                log.warning("a screenshot's link is gone (%s); it is left out", shot.filename)
                continue
            except (discord.HTTPException, OSError) as exc:
                raise Retry(f"download screenshot {shot.filename}: {exc}") from exc
            if total + len(data) > UPLOAD_LIMIT:
                log.warning("screenshot %s is over the upload limit; it is left out", shot.filename)
                continue
            total += len(data)
            files.append((shot.filename or f"screenshot-{n + 1}.png", data))
        return files

    async def _on_screenshots(self, payload: dict[str, Any], timer: Any) -> None:
        guild_id, item_id = int(payload["guild_id"]), int(payload["feedback_id"])
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise Retry(f"guild {guild_id} is not available (yet)")
        try:
            item = await self.service.get(guild_id, item_id)
            shots = await self.service.screenshots.of(guild_id, item_id)
        except KudosError as exc:
            raise Drop(f"screenshots of feedback #{item_id}: {exc}") from None
        if not shots:
            return
        tr = i18n.for_guild(self.bot, guild)  # public: the server's language
        text = tr.ngettext("📎 Screenshot from {member}", "📎 Screenshots from {member}", len(shots),
                           member=f"<@{item.reporter_id}>")
        what = f"post the screenshots of feedback #{item.id}"

        thread = await self._thread_of(guild, item, timer)
        if not await self._already_there(thread, text, timer):
            files = await self._download(shots)
            if not files:
                await self.service.screenshots.posted(guild_id, item_id)
                raise Drop(f"{what}: their links are gone")

            async def post(where: discord.Thread) -> None:
                await where.send(text, files=[discord.File(io.BytesIO(data), filename=name) for name, data in files],
                                 allowed_mentions=NO_MENTIONS)

            await self._in_thread(guild, thread, what, post, rest_again=True)
        await self.service.screenshots.posted(guild_id, item_id)
