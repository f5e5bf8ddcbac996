"""The rewards' personal data (see :mod:`bot.platform.personal`): grants, the perk codes handed out, the rules a
staff member wrote. Delivered rewards stay recorded as delivered, to the pseudonym; undelivered ones are revoked
(they can no longer reach anyone).

The marks (``reward_earned``, ``perk_holders``: :mod:`bot.rewards.marks`) hold no member id and stay."""

from __future__ import annotations

from bot.platform.personal import NoMemberIds, PersonalData, Pseudonymise, Revise, Section, ViaParent
from bot.rewards.codes import mask_code
from bot.rewards.tables import grants, perk_codes, perk_holders, perk_pools, reward_earned, reward_rules

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

_MARKS_KEPT = ("a keyed hash (HMAC-SHA256 under a key derived from the server secret) of guild and member id, "
               "linked to no grant, code or pseudonym: it identifies no one, and it is what stops an erased member "
               "from earning the same rule again or claiming codes beyond a pool's per-member limit")

NO_MEMBER_IDS = (
    NoMemberIds(reward_earned, ("member_mark",), reason=_MARKS_KEPT),
    NoMemberIds(perk_holders, ("member_mark",), reason=_MARKS_KEPT),
)
