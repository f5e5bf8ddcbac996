"""Following a report, and whether it shows on the public pages: two writes of
:class:`~bot.feedback.service.FeedbackService`, kept here as a mixin (as :mod:`bot.feedback.reads` and
:mod:`bot.feedback.lookups` are)."""

from __future__ import annotations

from typing import Any

from bot.feedback import public as public_items
from bot.feedback import store as repo
from bot.feedback.models import FeedbackItem
from bot.platform import audit
from bot.platform.errors import NotAllowed
from bot.platform.i18n import N_


class Following:
    db: Any
    clock: Any
    changed: Any
    _write: Any
    _get: Any
    _public: Any

    async def toggle_follow(self, guild_id: int, item_id: int, user_id: int) -> tuple[bool, str]:
        """Follow or unfollow; returns ``(following, message)``."""
        async with self._write(guild_id) as conn:
            # The item's row lock (a vote updates the row anyway): a concurrent merge into another report waits,
            # so no vote or follow lands on the duplicate after its votes and followers moved.
            item = await self._public(conn, guild_id, item_id, for_update=True)
            if user_id == item.reporter_id:
                return True, "This is your report: you hear about every update already."
            if await repo.add_follower(conn, item.id, user_id, self.clock.now()):
                return True, f"Following #{item.id}: you'll get a DM when its status changes. Click again to stop."
            await repo.remove_follower(conn, item.id, user_id)
            voted = await repo.has_voted(conn, item.id, user_id)
            extra = " You still hear about it because you voted." if voted else ""
            return False, f"You no longer follow #{item.id}.{extra}"

    async def set_public(self, guild_id: int, item_id: int, public: bool | None, *, actor_id: int,
                         staff: bool) -> FeedbackItem:
        """Show an item on the public pages (True), keep it off (False) or follow its type's default (None).
        Staff decide; a reporter may only keep their own item private."""
        async with self.db.begin() as conn:
            item = await self._get(conn, guild_id, item_id, for_update=True)
            if not staff and (item.reporter_id != actor_id or public is not False):
                raise NotAllowed(N_("Only staff can put a report on the public pages; you can keep your own "
                                 "report private (`public:off`)."))
            await public_items.set_public(conn, guild_id, item_id, public)
            self.changed.send(guild_id)
            await audit.record(conn, now=self.clock.now(), action="feedback.public", guild_id=guild_id,
                               actor_id=actor_id, target_id=item.reporter_id,
                               details={"item": item_id, "public": public})
        return item

