"""The privacy feature's own personal data (see :mod:`bot.platform.personal`): the tracking opt-out. Erasure
keeps it on purpose: the row (id and time only) is what honours the member's choice."""

from __future__ import annotations

from bot.platform.personal import Delete, Keep, PersonalData, Section
from bot.privacy.tables import privacy_optouts, privacy_public_names

PERSONAL_DATA = (
    PersonalData(
        privacy_optouts, ("user_id",),
        erase=Keep("it is what honours the member's choice to turn tracking off"),
        export=(Section("tracking_off_since", columns=("tracking_off_at",), single=True),),
    ),
    PersonalData(
        privacy_public_names, ("user_id",), erase=Delete(),
        export=(Section("public_name_since", columns=("since",), single=True),),
    ),
)
