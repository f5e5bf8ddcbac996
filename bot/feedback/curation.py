"""Curation by earned privileges: changing a report's type, and proposing duplicate merges staff confirm.

Who may act is checked by the caller when the action happens (the cog: a privilege holder, ``tag_feedback`` or
``propose_merge`` in :mod:`bot.privileges`, or staff); this module keeps the rules and writes.

- :meth:`Curation.retype`: the item's type changes, an audit line (``feedback.retype``) and, in the same
  transaction, a job that brings the thread's tags and embed in line (:class:`bot.feedback.jobs.RetagKey`).
- :meth:`Curation.propose`: a ``feedback_merge_proposals`` row, an audit line (``feedback.merge_proposed``) and
  a job that posts the staff card (:class:`bot.feedback.jobs.MergeCardKey`).
- :meth:`Curation.confirm`: the normal staff merge (:meth:`FeedbackService.change_status` to ``duplicate``)
  and, in its transaction, the proposal closed and the proposer credited with curation (source
  ``merge:<proposal>``), at most ``merge_credits_per_day`` a UTC day (``[guilds.<id>.privileges]``), never for
  a staff member confirming their own proposal. :meth:`Curation.decline`: "Not a duplicate", an audit line;
  the same pair can't be proposed again.
- :meth:`Curation.settle`: staff merged a report another way (``/feedback status`` Duplicate): its open
  proposal is merged too, in that transaction, the proposer credited as by the card when the report went where
  they said (the same cap), and a job edits the card (:class:`bot.feedback.jobs.MergeSettledKey`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.feedback import curation_store as store
from bot.feedback import store as repo
from bot.feedback.curation_store import Proposal
from bot.feedback.jobs import MergeCardKey, MergeSettledKey, RetagKey
from bot.feedback.models import TYPES, FeedbackItem, StatusChange, check_transition
from bot.platform import audit
from bot.platform.db.locks import lock_for_write
from bot.platform.errors import Conflict, InvalidInput, LimitReached, NotFound
from bot.platform.i18n import N_

if TYPE_CHECKING:
    from bot.feedback.service import FeedbackService

MAX_CHAIN = 50  # as bot.feedback.service: the longest chain of duplicates followed
# Proposals one member may have waiting for staff at a time (each is a card in the staff channel).
MAX_OPEN_PROPOSALS = 10


class Curation:
    def __init__(self, feedback: FeedbackService) -> None:
        self.feedback = feedback

    # ------------------------------------------------------------------ type tags

    async def retype(self, guild_id: int, item_id: int, type_: str, *, actor_id: int) -> tuple[FeedbackItem, str]:
        """Change a public report's type; returns the item and its previous type."""
        if type_ not in TYPES:
            raise InvalidInput(N_("Unknown feedback type {type}: pick one of {types}."), type=repr(type_),
                               types=", ".join(TYPES))
        fb = self.feedback
        now = fb.clock.now()
        async with fb._write(guild_id) as conn:
            item = await fb._public(conn, guild_id, item_id, for_update=True)
            if item.status == "duplicate":
                raise Conflict(N_("Feedback #{id} was merged into #{into}; change that one instead."),
                               id=item.id, into=item.duplicate_of)
            if item.type == type_:
                raise InvalidInput(N_("Feedback #{id} is already of that type."), id=item.id)
            previous = item.type
            await repo.update_item(conn, item.id, type=type_, updated_at=now)
            change_id = await audit.record(conn, now=now, action="feedback.retype", guild_id=guild_id,
                                           actor_id=actor_id, target_id=item.id,
                                           details={"from": previous, "to": type_})
            if fb._schedule_job is not None:
                await fb._schedule_job(conn, RetagKey(item.id, change_id),
                                       {"guild_id": guild_id, "feedback_id": item.id, "change_id": change_id})
            return await fb._get(conn, guild_id, item.id), previous

    # ------------------------------------------------------------------ merge proposals

    async def _original(self, conn: AsyncConnection, item: FeedbackItem, into_id: int) -> FeedbackItem:
        """The report ``item`` would be merged into: ``into_id``, or the one that was merged into (a chain)."""
        if into_id == item.id:
            raise InvalidInput(N_("Feedback #{id} can't be a duplicate of itself."), id=item.id)
        target = await self.feedback._public(conn, item.guild_id, into_id)
        seen = {item.id}
        while target.status == "duplicate" and target.duplicate_of is not None and len(seen) <= MAX_CHAIN:
            seen.add(target.id)
            target = await self.feedback._get(conn, item.guild_id, target.duplicate_of)
        if target.id in seen:
            raise InvalidInput(N_("Merging #{id} into #{into} would make a cycle of duplicates."), id=item.id,
                               into=into_id)
        return target

    async def propose(self, guild_id: int, item_id: int, into_id: int, *, proposer_id: int) -> Proposal:
        """Record a proposal that ``item_id`` duplicates ``into_id`` and queue its staff card."""
        fb = self.feedback
        now = fb.clock.now()
        async with fb._write(guild_id) as conn:
            await lock_for_write(conn, guild_id, [proposer_id])
            item = await fb._public(conn, guild_id, item_id, for_update=True)
            check_transition(item, "duplicate")
            target = await self._original(conn, item, into_id)
            for earlier in await store.of_item(conn, item.id):
                if earlier.state == "open":
                    raise Conflict(N_("A merge of #{id} into #{into} is already waiting for staff."), id=item.id,
                                   into=earlier.into_id)
                if earlier.state == "declined" and earlier.into_id == target.id:
                    raise Conflict(N_("Staff already said #{id} is not a duplicate of #{into}."), id=item.id,
                                   into=target.id)
            if await store.open_count(conn, guild_id, proposer_id) >= MAX_OPEN_PROPOSALS:
                raise LimitReached(N_("You have {count} merge proposals waiting for staff; wait until they decide "
                                      "some before proposing more."), count=MAX_OPEN_PROPOSALS)
            proposal_id = await store.add(conn, guild_id=guild_id, item_id=item.id, into_id=target.id,
                                          proposer_id=proposer_id, state="open", created_at=now)
            await audit.record(conn, now=now, action="feedback.merge_proposed", guild_id=guild_id,
                               actor_id=proposer_id, target_id=item.id,
                               details={"into": target.id, "proposal": proposal_id})
            if fb._schedule_job is not None:
                await fb._schedule_job(conn, MergeCardKey(proposal_id),
                                       {"guild_id": guild_id, "proposal_id": proposal_id})
            found = await store.get(conn, guild_id, proposal_id)
            assert found is not None
            return found

    async def get(self, guild_id: int, proposal_id: int) -> Proposal:
        async with self.feedback.db.connect() as conn:
            found = await store.get(conn, guild_id, proposal_id)
        if found is None:
            raise NotFound(N_("There is no merge proposal #{id} in this server."), id=proposal_id)
        return found

    async def set_card(self, guild_id: int, proposal_id: int, channel_id: int, message_id: int) -> None:
        async with self.feedback.db.begin() as conn:
            await store.update_proposal(conn, proposal_id, card_channel_id=channel_id, card_message_id=message_id)

    async def _open(self, conn: AsyncConnection, guild_id: int, proposal_id: int) -> Proposal:
        found = await store.get(conn, guild_id, proposal_id, for_update=True)
        if found is None:
            raise NotFound(N_("There is no merge proposal #{id} in this server."), id=proposal_id)
        if found.state != "open":
            raise Conflict(N_("This merge proposal was already decided ({state})."), state=found.state)
        return found

    async def confirm(self, guild_id: int, proposal_id: int, *, actor_id: int) -> tuple[StatusChange, bool]:
        """Staff pressed Merge: the merge and the proposer's capped curation credit, in one transaction.
        Returns the status change and whether the proposer was credited."""
        fb = self.feedback
        proposal = await self.get(guild_id, proposal_id)
        if proposal.state != "open":
            raise Conflict(N_("This merge proposal was already decided ({state})."), state=proposal.state)
        credited = False

        async def close(conn: AsyncConnection, change: StatusChange) -> None:
            nonlocal credited
            now = fb.clock.now()
            found = await self._open(conn, guild_id, proposal_id)
            credited = await self._credit(conn, found, change, actor_id)
            await store.update_proposal(conn, found.id, state="merged", decided_by=actor_id, decided_at=now,
                                        credited=credited)
            await audit.record(conn, now=now, action="feedback.merge_confirmed", guild_id=guild_id,
                               actor_id=actor_id, target_id=found.proposer_id,
                               details={"proposal": found.id, "item": found.item_id, "into": found.into_id,
                                        "credited": credited})

        change = await fb.change_status(guild_id, proposal.item_id, "duplicate", actor_id=actor_id,
                                        duplicate_of=proposal.into_id, also=close)
        return change, credited

    async def settle(self, conn: AsyncConnection, change: StatusChange, actor_id: int) -> None:
        """In the transaction of a merge made another way: the item's open proposals are merged (see the module)."""
        fb, item, target = self.feedback, change.item, change.target
        for proposal in await store.of_item(conn, item.id):
            if proposal.state != "open" or target is None:
                continue
            try:
                where = (await self._original(conn, item, proposal.into_id)).id
            except InvalidInput:  # the chain now runs through the item itself
                where = None
            credited = where == target.id and await self._credit(conn, proposal, change, actor_id)
            now = fb.clock.now()
            await store.update_proposal(conn, proposal.id, state="merged", decided_by=actor_id, decided_at=now,
                                        credited=credited)
            await audit.record(conn, now=now, action="feedback.merge_confirmed", guild_id=item.guild_id,
                               actor_id=actor_id, target_id=proposal.proposer_id,
                               details={"proposal": proposal.id, "item": item.id, "into": target.id,
                                        "credited": credited, "by": "status"})
            if fb._schedule_job is not None:
                await fb._schedule_job(conn, MergeSettledKey(proposal.id), {
                    "guild_id": item.guild_id, "proposal_id": proposal.id, "actor_id": actor_id,
                    "target_id": target.id, "moved_votes": change.moved_votes, "credited": credited})

    async def _credit(self, conn: AsyncConnection, proposal: Proposal, change: StatusChange, actor_id: int) -> bool:
        fb = self.feedback
        limit = fb.policy_for(proposal.guild_id).merge_credits_per_day
        if not limit or actor_id == proposal.proposer_id:
            return False
        now = fb.clock.now()
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if await store.credited_since(conn, proposal.guild_id, proposal.proposer_id, today) >= limit:
            return False
        into = change.target.id if change.target is not None else proposal.into_id
        result = await fb.ledger.credit(
            proposal.guild_id, proposal.proposer_id, "curation", source_key=f"merge:{proposal.id}", actor_id=None,
            reason=f"merge of feedback #{proposal.item_id} into #{into}, confirmed by staff",
            thread_id=change.item.thread_id, channel_id=change.item.forum_id, strict=False, conn=conn)
        return result.status in ("credited", "pending")

    async def decline(self, guild_id: int, proposal_id: int, *, actor_id: int) -> Proposal:
        """Staff pressed "Not a duplicate": the proposal is closed (the pair can't be proposed again)."""
        fb = self.feedback
        now = fb.clock.now()
        async with fb._write(guild_id) as conn:
            found = await self._open(conn, guild_id, proposal_id)
            await store.update_proposal(conn, found.id, state="declined", decided_by=actor_id, decided_at=now)
            await audit.record(conn, now=now, action="feedback.merge_declined", guild_id=guild_id,
                               actor_id=actor_id, target_id=found.proposer_id,
                               details={"proposal": found.id, "item": found.item_id, "into": found.into_id})
            declined = await store.get(conn, guild_id, found.id)
            assert declined is not None
            return declined


__all__ = ["MAX_OPEN_PROPOSALS", "Curation", "Proposal"]
