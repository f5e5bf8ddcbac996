"""Discord's 3-second rule, kept for every interaction: a slow handler is deferred in time, then answered.

Discord fails an interaction ("This interaction failed") that gets no response within 3 seconds. Most handlers
answer at once, but one that waits for the database (SQLite locked by a backup or another process, a busy
PostgreSQL) can miss that. :func:`install` runs synchronously when discord.py dispatches the ``interaction``
event, before the command, view or modal task starts, and replaces the interaction's response object with a
:class:`PatientResponse`. If the handler has not answered after :data:`AUTO_DEFER_AFTER` seconds, it defers:

- slash commands and context menus: "thinking", ephemeral unless the command is marked public with
  ``extras={"public": True}``;
- buttons and selects: a silent deferred update (type 6), nothing shown;
- modal submits: a silent deferred update when the modal came from a message's component, else an ephemeral
  "thinking".

The handler does not need to know: its later ``response.send_message`` becomes the edit of the "thinking"
message (or a follow-up), ``response.edit_message`` edits the original message, ``response.defer`` does nothing.
Only a modal can no longer be opened once deferred; the member is asked to try again. A lock orders the timer's
defer and the handler's own answer, so the interaction is never acknowledged twice.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord.utils import MISSING

from bot.platform.errors import KudosError
from bot.platform.i18n import N_

log = logging.getLogger(__name__)

AUTO_DEFER_AFTER = 1.5  # seconds after the interaction arrived; Discord's limit is 3
# Half of Discord's limit is left for the defer itself: on a loaded host (or a busy event loop) the request can
# take over a second to reach Discord, and one that arrives after 3 s is refused (10062) and the member sees
# "This interaction failed". Seen in CI: deferred at 2.0 s, arrived after 3.0 s.
UNKNOWN_INTERACTION = 10062  # Discord's code for an interaction that expired or was already answered elsewhere


def is_unknown_interaction(error: BaseException | None) -> bool:
    """Whether ``error`` (or the error it wraps) is Discord's 10062 "Unknown interaction": the interaction
    expired (no answer within 3 s) or its token did; nothing more can be sent to it."""
    for current in (error, getattr(error, "__cause__", None)):
        if isinstance(current, discord.HTTPException) and current.code == UNKNOWN_INTERACTION:
            return True
    return False


def log_expired(interaction: discord.Interaction, what: str) -> None:
    """One warning line, no traceback, once per interaction: a flood of late interactions (Discord answers
    each of them 10062) must not bury the log in stack traces."""
    extras = interaction.extras
    if extras.get("kudos_expired"):
        return
    extras["kudos_expired"] = True
    command = interaction.command.qualified_name if interaction.command else None
    custom_id = (interaction.data or {}).get("custom_id") if interaction.data else None
    log.warning("interaction expired before %s (10062 Unknown interaction) guild=%s user=%s command=%r "
                "custom_id=%r", what, interaction.guild_id, interaction.user.id if interaction.user else None,
                command, custom_id)


class TooLateForForm(KudosError):
    """A modal can only be the first answer to an interaction; after an automatic defer it is too late."""


def is_public(interaction: discord.Interaction) -> bool:
    """Whether the command answers publicly (``extras={"public": True}``), so its "thinking" is public too."""
    command = interaction.command
    return bool(getattr(command, "extras", {}).get("public")) if command is not None else False


class PatientResponse(discord.InteractionResponse):  # type: ignore[type-arg]
    """An ``InteractionResponse`` that defers on its own when the handler is slow (see the module doc)."""

    def __init__(self, parent: discord.Interaction, spawn: Any, after: float = AUTO_DEFER_AFTER) -> None:
        super().__init__(parent)
        self._lock = asyncio.Lock()
        self._spawn = spawn
        self.auto_deferred = False
        self.answered_late = False  # after the automatic defer, the handler's answer went out
        self._thinking = False  # the automatic defer shows "thinking" (its message becomes the answer)
        self._ephemeral = True
        self._timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(after, self._due)

    # -- the timer ----------------------------------------------------------------------------------
    def _due(self) -> None:
        self._timer = None
        if not self.is_done():
            try:
                self._spawn(self._auto_defer(), name="interaction-auto-defer")
            except RuntimeError:  # shutting down
                log.debug("no automatic defer for interaction %s: shutting down", self._parent.id)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _auto_defer(self) -> None:
        async with self._lock:
            if self.is_done():
                return
            parent = self._parent
            if parent.type is discord.InteractionType.application_command:
                self._thinking, self._ephemeral = True, not is_public(parent)
            elif parent.type is discord.InteractionType.modal_submit and parent.message is None:
                self._thinking, self._ephemeral = True, True
            else:  # a component, or a modal opened from a message's button: update that message later
                self._thinking = False
            try:
                await super().defer(ephemeral=self._ephemeral, thinking=self._thinking)
            except discord.HTTPException as exc:
                if is_unknown_interaction(exc):
                    log_expired(parent, "it could be deferred")
                    return
                log.warning("could not defer a slow interaction in time (guild=%s user=%s)", parent.guild_id,
                            parent.user.id, exc_info=True)
                return
            self.auto_deferred = True
            log.info("interaction deferred after %.1f s without an answer (guild=%s user=%s)", AUTO_DEFER_AFTER,
                     parent.guild_id, parent.user.id)

    # -- the handler's answers ----------------------------------------------------------------------
    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> Any:
        async with self._lock:
            self._stop_timer()
            if self.auto_deferred:
                return None
            return await super().defer(ephemeral=ephemeral, thinking=thinking)

    async def send_message(self, content: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        async with self._lock:
            self._stop_timer()
            if not self.auto_deferred:
                return await super().send_message(content, **kwargs)
            return await self._late_message(content, **kwargs)

    async def edit_message(self, **kwargs: Any) -> Any:  # type: ignore[override]
        async with self._lock:
            self._stop_timer()
            if not self.auto_deferred:
                return await super().edit_message(**kwargs)
            kwargs.pop("delete_after", None)
            kwargs.pop("suppress_embeds", None)
            kwargs.setdefault("allowed_mentions", None)
            self.answered_late = True
            return await self._parent.edit_original_response(**kwargs)

    async def send_modal(self, modal: discord.ui.Modal, /) -> Any:
        async with self._lock:
            self._stop_timer()
            if self.auto_deferred:
                raise TooLateForForm(N_("That took me too long to open the form (the bot was busy). Please try again."))
            return await super().send_modal(modal)

    async def pong(self) -> None:
        self._stop_timer()
        await super().pong()

    async def _late_message(self, content: Any = None, *, ephemeral: bool = False, file: Any = MISSING,
                            files: Any = MISSING, delete_after: float | None = None, **kwargs: Any) -> None:
        """``send_message`` after the automatic defer: the "thinking" message becomes the answer when its
        visibility fits, else the answer is a follow-up."""
        parent = self._parent
        attachments = [file] if file is not MISSING else files
        first, self.answered_late = not self.answered_late, True
        if first and self._thinking and ephemeral == self._ephemeral:
            kwargs.pop("tts", None)
            kwargs.pop("suppress_embeds", None)
            kwargs.pop("silent", None)
            message = await parent.edit_original_response(content=content, attachments=attachments, **kwargs)
        else:
            if first and self._thinking:  # a public "thinking" for a private answer: take it away first
                try:
                    await parent.delete_original_response()
                except discord.HTTPException:
                    log.debug("could not remove the thinking message of interaction %s", parent.id)
            message = await parent.followup.send(content if content is not None else MISSING,
                                                 ephemeral=ephemeral, files=attachments, wait=True, **kwargs)
        if delete_after is not None:
            await message.delete(delay=delete_after)


def install(interaction: discord.Interaction, spawn: Any, after: float = AUTO_DEFER_AFTER) -> None:
    """Give ``interaction`` a :class:`PatientResponse` (not for autocomplete, which can't be deferred)."""
    if interaction.type not in (discord.InteractionType.application_command, discord.InteractionType.component,
                                discord.InteractionType.modal_submit):
        return
    interaction._cs_response = PatientResponse(interaction, spawn, after)  # type: ignore[attr-defined]


__all__ = ["AUTO_DEFER_AFTER", "PatientResponse", "TooLateForForm", "install", "is_public"]
