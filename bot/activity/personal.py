"""The activity counters' personal data (see :mod:`bot.platform.personal`): messages and reactions per member,
channel and day. Kept under the pseudonym (the activity stats stay)."""

from __future__ import annotations

from bot.activity.tables import activity_counters
from bot.platform.personal import PersonalData, Pseudonymise, Section

PERSONAL_DATA = (
    PersonalData(
        activity_counters, ("user_id",), erase=Pseudonymise(),
        export=(Section("activity", columns=("day", "channel_id", "messages", "reactions"),
                        order_by=("day", "channel_id")),),
    ),
)
