"""The privacy feature's own personal data (see :mod:`bot.platform.personal`): the tracking opt-out. Erasure
keeps it on purpose: the row (id and time only) is what honours the member's choice."""

from __future__ import annotations

from bot.platform.personal import Keep, PersonalData, Section
from bot.privacy.tables import privacy_optouts

PERSONAL_DATA = (
    PersonalData(
        privacy_optouts, ("user_id",),
        erase=Keep("it is what honours the member's choice to turn tracking off"),
        export=(Section("tracking_off_since", columns=("tracking_off_at",), single=True),),
    ),
)
