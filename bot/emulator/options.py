"""Switches for Discord rules that bots most often trip over. All are on by default (the emulator refuses what
Discord refuses); a test suite that is not ready for one can turn it off with ``Emulator(strict=Strict(...))``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Strict:
    # threads.mdx: archived threads refuse edits, reactions and joins (50083); a PATCH must unarchive.
    archived_threads: bool = True
    # Opening a DM with a user who shares no guild with the bot fails (50278).
    dm_mutual_guild: bool = True
    # Without the MESSAGE_CONTENT intent, messages arrive without content, embeds, attachments, components.
    message_content_intent: bool = True

    @classmethod
    def lenient(cls) -> Strict:
        return cls(archived_threads=False, dm_mutual_guild=False, message_content_intent=False)
