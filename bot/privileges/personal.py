"""The privileges' personal data (see :mod:`bot.platform.personal`): which powers a member holds and how they
moved. Erasure keeps the rows under the pseudonym (the gains and losses per month stay in /stats) and blanks
the pin's reason."""

from __future__ import annotations

from bot.platform.personal import PersonalData, Pseudonymise, Section
from bot.privileges.tables import member_privileges, privilege_moves, staging_posts, staging_reviews

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
    # First posts in review and what reviewers suggested: the suggestion's text goes on erasure.
    PersonalData(
        staging_posts, ("author_id",), erase=Pseudonymise(),
        export=(Section("first_posts_staged", columns=("thread_id", "state", "created_at"), order_by=("thread_id",)),),
    ),
    PersonalData(
        staging_reviews, ("reviewer_id",), erase=Pseudonymise(blank={"title": "", "note": ""}),
        export=(Section("first_post_reviews", columns=("thread_id", "action", "title", "note", "accepted",
                                                       "created_at"), order_by=("id",)),),
    ),
)
