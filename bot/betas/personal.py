"""The betas' personal data (see :mod:`bot.platform.personal`): participation, and the betas a staff member
created, the polls they posted and their poll votes. Rows stay under the pseudonym (the beta funnel in /stats
counts them; a poll's answer counts and participation stay right)."""

from __future__ import annotations

from bot.betas.tables import beta_participants, beta_poll_voters, beta_poll_votes, beta_polls, betas
from bot.platform.personal import PersonalData, Pseudonymise, Section, ViaParent

PERSONAL_DATA = (
    PersonalData(
        beta_participants, ("user_id",), guild=ViaParent("beta_id", betas), erase=Pseudonymise(),
        export=(Section("betas", parent_columns=(("name", "name"),),
                        columns=("status", "joined_at", "terms_accepted_at", "left_at"), order_by=("joined_at",)),),
    ),
    PersonalData(betas, ("created_by",), erase=Pseudonymise()),
    PersonalData(beta_polls, ("created_by",), erase=Pseudonymise()),
    PersonalData(
        beta_poll_votes, ("user_id",), guild=ViaParent("poll_id", beta_polls), erase=Pseudonymise(),
        export=(Section("beta_poll_votes", parent_columns=(("question", "question"),), columns=("answer_id",)),),
    ),
    PersonalData(
        beta_poll_voters, ("user_id",), guild=ViaParent("poll_id", beta_polls), erase=Pseudonymise(),
        export=(Section("beta_poll_voters", parent_columns=(("question", "question"),),
                        columns=("first_voted_at", "participant"), order_by=("first_voted_at",)),),
    ),
)
