"""The Discord side effects of a contribution, one durable job each (see :mod:`bot.platform.jobs.effects`).

A credit (or a reversal) that has a receipt for the member writes, in the credit's own transaction, one
receipt job (a DM, sent by :mod:`cogs.contributions.receipts`). It is keyed by the ledger row it tells
about, so writing it twice is a no-op and a retried job never tells the member about another entry.

A post the starboard features writes its showcase card as a job in the featuring transaction (posted by
:mod:`cogs.contributions.curation`), keyed by the featured message: one card per message. (A curator's
"Feature this post" still posts the card inside its transaction: the curator is told at once when Discord
refuses it, and nothing is credited.)

An accepted solution writes the note in the post's thread ("✅ … marked … as the solution") as a job in the
accepting transaction (posted by :mod:`cogs.contributions.answers`), one per acceptance. A job's event is
its key's kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.platform.jobs.effects import JobKey
from bot.platform.jobs.keys import SeriesKey

RECEIPT_EVENT = "contrib.receipt"
CARD_EVENT = "contrib.card"
SOLUTION_NOTE_EVENT = "contrib.solution_note"

# The DM's first words, by the credit's status.
HEADLINES = {
    "credited": "You earned kudos",
    "pending": "Kudos on hold",
    "capped": "Kudos recorded without points",
    "reversed": "Kudos reversed",
}


@dataclass(frozen=True, slots=True)
class ReceiptKey(JobKey):
    """Tell one member about one ledger entry by DM: ``contrib.receipt:<guild id>:<entry id>``."""

    kind: ClassVar[str] = RECEIPT_EVENT
    guild_id: int
    contribution_id: int


@dataclass(frozen=True, slots=True)
class CardKey(JobKey):
    """Post the showcase card of one featured message: ``contrib.card:<guild id>:<message id>``."""

    kind: ClassVar[str] = CARD_EVENT
    guild_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class SolutionNoteKey(SeriesKey):
    """The notes in one post saying which reply is its solution: ``contrib.solution_note:<thread>:<n>``, the
    n-th change of the post's solution (a reply accepted again after the solution moved away gets a note
    again, and a retried job never posts a change twice)."""

    kind: ClassVar[str] = SOLUTION_NOTE_EVENT
    thread_id: int


__all__ = ["CARD_EVENT", "HEADLINES", "RECEIPT_EVENT", "SOLUTION_NOTE_EVENT", "CardKey", "ReceiptKey",
           "SolutionNoteKey"]
