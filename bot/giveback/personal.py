"""The give-back ledger's personal data (see :mod:`bot.platform.personal`): what the brand gave a member, and
which staff member gave it. Erasure keeps the rows under the pseudonym (the monthly balance stays) and blanks the
detail (a beta's or a report's title)."""

from __future__ import annotations

from bot.giveback.tables import giveback
from bot.platform.personal import PersonalData, Pseudonymise, Section

PERSONAL_DATA = (
    PersonalData(
        giveback, ("user_id", "actor_id"), erase=Pseudonymise(blank={"detail": ""}),
        export=(Section("given_to_you", match=("user_id",), columns=("kind", "detail", "at"), order_by=("id",)),),
    ),
)
