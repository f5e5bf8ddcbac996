"""The betas' personal data (see :mod:`bot.platform.personal`): participation, and the betas a staff member
created. Rows stay under the pseudonym (the beta funnel in /stats counts them)."""

from __future__ import annotations

from bot.betas.tables import beta_participants, betas
from bot.platform.personal import PersonalData, Pseudonymise, Section, ViaParent

PERSONAL_DATA = (
    PersonalData(
        beta_participants, ("user_id",), guild=ViaParent("beta_id", betas), erase=Pseudonymise(),
        export=(Section("betas", parent_columns=(("name", "name"),),
                        columns=("status", "joined_at", "terms_accepted_at", "left_at"), order_by=("joined_at",)),),
    ),
    PersonalData(betas, ("created_by",), erase=Pseudonymise()),
)
