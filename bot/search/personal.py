"""The search index's personal data (see :mod:`bot.platform.personal`): each row copies the text of a member's
report or help post (and the accepted answer's), so a member's rows go on erasure (the item's own table
keeps its pseudonymised row); "This solved it" records stay under the pseudonym (the credit's history)."""

from __future__ import annotations

from bot.platform.personal import Delete, PersonalData, Pseudonymise, Section
from bot.search.tables import search_docs, search_helped

PERSONAL_DATA = (
    PersonalData(search_docs, ("author_id", "answerer_id"), erase=Delete(),
                 export=(Section("search_index", order_by=("id",), columns=("kind", "ref_id", "title", "status"),
                                 flags=(("you_wrote", "author_id"), ("you_answered", "answerer_id"))),)),
    PersonalData(search_helped, ("asker_id", "answerer_id"), erase=Pseudonymise(),
                 export=(Section("helped_again", order_by=("thread_id",),
                                 columns=("thread_id", "original_thread_id", "credited", "created_at"),
                                 flags=(("you_asked", "asker_id"), ("you_answered", "answerer_id"))),)),
)
