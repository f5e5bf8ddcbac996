"""The rewards' personal data (see :mod:`bot.platform.personal`): grants, the perk codes handed out, the rules a
staff member wrote. Delivered rewards stay recorded as delivered, to the pseudonym; undelivered ones are revoked
(they can no longer reach anyone)."""

from __future__ import annotations

from bot.platform.personal import PersonalData, Pseudonymise, Revise, Section, ViaParent
from bot.rewards.codes import mask_code
from bot.rewards.tables import grants, perk_codes, perk_pools, reward_rules

PERSONAL_DATA = (
    PersonalData(
        grants, ("user_id",),
        erase=Pseudonymise(
            swap=("dedupe_key", "cause"),
            first=(Revise(where={"status": ("pending", "delivering")},
                          values={"status": "revoked", "last_error": "the member erased their data", "hold": None}),),
        ),
        export=(Section("rewards", order_by=("id",), columns=(
            "id", "rule_name", "action", "status", "created_at", "delivered_at", "expires_at")),),
    ),
    PersonalData(
        perk_codes, ("assigned_to",), guild=ViaParent("pool_id", perk_pools), erase=Pseudonymise(),
        # Masked: /perks mine shows the member's codes in full.
        export=(Section("perk_codes", parent_columns=(("pool", "name"),),
                        columns=("code", "assigned_at", "expires_at", "voided_at"), mask=(("code", mask_code),),
                        order_by=("id",)),),
    ),
    PersonalData(reward_rules, ("created_by",), erase=Pseudonymise()),
)
