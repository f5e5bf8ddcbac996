"""Thread lifecycle in the world: active and archived threads, auto-archiving on the emulator's clock.

threads.mdx, "Active & Archived Threads": only active threads can be manipulated; sending a message unarchives
a thread unless a moderator locked it; threads archive after ``auto_archive_duration`` minutes without
"activity" (a message, an unarchive, a change of the duration)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.emulator import rules
from bot.emulator.serialize import channel_json
from bot.emulator.state import Channel

if TYPE_CHECKING:
    from bot.emulator.server import Emulator


def require_active(emu: Emulator, channel: Channel) -> None:
    """threads.mdx: "Users cannot edit messages, add reactions, use application commands, or join archived
    threads." (50083; deleting messages stays possible)."""
    if channel.is_thread and channel.archived and emu.strict.archived_threads:
        raise rules.archived_thread()


def set_archived(emu: Emulator, thread: Channel, archived: bool) -> None:
    if thread.archived != archived:
        thread.archived = archived
        thread.archive_timestamp = emu.now()
        if not archived:
            thread.last_activity = emu.now()  # unarchiving is "activity"


async def unarchive_for_message(emu: Emulator, thread: Channel) -> None:
    """threads.mdx: "Sending a message will automatically unarchive the thread, unless the thread has been
    locked by a moderator." """
    if not thread.archived:
        return
    if thread.locked and emu.strict.archived_threads:
        raise rules.archived_thread()
    set_archived(emu, thread, False)
    await emu.gateway.dispatch("THREAD_UPDATE", channel_json(emu.state, thread), thread.guild_id)


async def archive_idle_threads(emu: Emulator) -> list[Channel]:
    """Archive every active thread idle for its ``auto_archive_duration`` minutes on the emulator's clock
    (pinned forum posts, flag 1 << 1, never auto-archive)."""
    now = emu.now()
    done = []
    for thread in list(emu.state.channels.values()):
        if not thread.is_thread or thread.archived or thread.flags & 2:
            continue
        idle_since = thread.last_activity or thread.created_at
        if now - idle_since >= timedelta(minutes=thread.auto_archive_duration):
            set_archived(emu, thread, True)
            await emu.gateway.dispatch("THREAD_UPDATE", channel_json(emu.state, thread), thread.guild_id)
            done.append(thread)
    return done
