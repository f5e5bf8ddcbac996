"""Personal data of the contributions on Discord (see :mod:`bot.platform.personal`): accepted solutions (who
answered, who accepted) and featured posts (whose post, who featured it). Rows stay under the pseudonym.
``help_posts`` stores no author."""

from __future__ import annotations

from bot.contributions.tables import featured_posts, solutions
from bot.platform.personal import PersonalData, Pseudonymise, Section

PERSONAL_DATA = (
    PersonalData(
        solutions, ("answerer_id", "accepted_by"), erase=Pseudonymise(),
        export=(Section("solutions", columns=("thread_id", "message_id", "active", "created_at"),
                        flags=(("you_answered", "answerer_id"),), order_by=("id",)),),
    ),
    PersonalData(
        featured_posts, ("author_id", "featured_by"), erase=Pseudonymise(),
        export=(Section("featured_posts", columns=("channel_id", "message_id", "via", "created_at"),
                        flags=(("your_post", "author_id"),), order_by=("id",)),),
    ),
)
