"""The privileges' personal data (see :mod:`bot.platform.personal`): which powers a member holds and how they
moved. Erasure keeps the rows under the pseudonym (the gains and losses per month stay in /stats) and blanks
the pin's reason."""

from __future__ import annotations

from bot.platform.personal import PersonalData, Pseudonymise, Section
from bot.privileges.tables import member_privileges, privilege_moves

PERSONAL_DATA = (
    PersonalData(
        member_privileges, ("user_id", "pinned_by"), erase=Pseudonymise(blank={"pin_reason": ""}),
        export=(Section("privileges", match=("user_id",), columns=("privilege", "held", "pin", "pin_reason", "since"),
                        order_by=("privilege",)),),
    ),
    PersonalData(
        privilege_moves, ("user_id",), erase=Pseudonymise(),
        export=(Section("privilege_moves", columns=("privilege", "gained", "cause", "at"), order_by=("id",)),),
    ),
)
