"""Linked roles without Discord: the metadata records, a member's numbers, the links and the publishing queue.

A member links through OAuth2 (``bot/web/routes/linkedroles.py``); their tokens are stored sealed
(:class:`TokenBox`). When their numbers change (a ledger change, a beta joined) the change's transaction
queues them (``dirty_since``) and makes sure one batch job is due at the end of the current window
(``[linked_roles] batch_seconds``); that job (``cogs/linkedroles``) publishes every queued member's numbers.
Unlinking and erasure move the link to ``clearing`` and queue the job that deletes the role connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.betas import queries as betas_queries
from bot.ledger import queries as ledger_queries
from bot.ledger.models import ContributionEvent
from bot.linkedroles import store as repo
from bot.linkedroles.crypto import TokenBox
from bot.linkedroles.jobs import CLEAR_EVENT, SYNC_EVENT, clear_key, sync_key
from bot.linkedroles.store import Link
from bot.platform import audit
from bot.platform.clock import Clock
from bot.platform.config.models import LinkedRolesConfig
from bot.platform.db import Database
from bot.platform.errors import NotFound
from bot.platform.events import DomainEvent
from bot.platform.i18n import N_

GREATER_OR_EQUAL = 2  # application-role-connection-metadata.mdx: INTEGER_GREATER_THAN_OR_EQUAL
# key -> (name, description) of each record Kudos can publish; every one compares integers with ">=".
RECORDS: dict[str, tuple[str, str]] = {
    "points": ("Kudos points", "All-time points in the community ledger"),
    "accepted_answers": ("Accepted answers", "Answers marked as the solution in the help forums"),
    "stage": ("Ladder stage", "Engagement-ladder stage (0 = the first stage)"),
    "betas_joined": ("Betas joined", "Beta programs the member joined"),
    "days_since_first_contribution": ("Days contributing", "Days since the member's first counted contribution"),
}
SCOPES = ("identify", "role_connections.write")
BATCH_SIZE = 50  # members published by one run of the batch job
# Events that change a published number besides the ledger's own (betas joined).
NUMBER_EVENTS = frozenset({"beta_joined"})

Schedule = Callable[..., Awaitable[int | None]]


@dataclass(frozen=True, slots=True)
class Tokens:
    access: str
    refresh: str
    expires_at: datetime
    scope: str


class LinkedRolesService:
    def __init__(self, db: Database, clock: Clock, settings: LinkedRolesConfig, box: TokenBox,
                 schedule: Schedule) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.box = box
        self._schedule = schedule
        # The server whose numbers are published: [linked_roles] guild_id, else the bot's one server (set by
        # the Discord side once it knows the servers; 0 until then, and while that is ambiguous).
        self.guild_id = settings.guild_id

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    def home_guild(self, guild_ids: list[int]) -> int:
        """With ``guild_id = 0``: the one server the bot is in, or 0 when it is in several (or none)."""
        if not self.settings.guild_id:
            self.guild_id = guild_ids[0] if len(guild_ids) == 1 else 0
        return self.guild_id

    def records(self) -> list[dict[str, Any]]:
        """The metadata records to register (``PUT /applications/{id}/role-connections/metadata``)."""
        return [{"type": GREATER_OR_EQUAL, "key": key, "name": RECORDS[key][0], "description": RECORDS[key][1]}
                for key in self.settings.records]

    async def numbers(self, guild_id: int, user_id: int) -> dict[str, str]:
        """The member's role-connection metadata now: each configured record's value, as Discord wants it
        (integers as strings)."""
        async with self.db.connect() as conn:
            stats = await ledger_queries.stats_for(conn, guild_id, user_id, (ledger_queries.ALL_TIME,))
            stage = await ledger_queries.stage_index(conn, guild_id, user_id)
            first = await ledger_queries.first_counted_at(conn, guild_id, user_id)
            betas = await betas_queries.betas_joined(conn, guild_id, user_id)
        all_time = ledger_queries.ALL_TIME
        values = {
            "points": max(0, stats.get((ledger_queries.ALL_KINDS, all_time), (0, 0))[0]),
            "accepted_answers": max(0, stats.get(("answer", all_time), (0, 0))[1]),
            "stage": stage,
            "betas_joined": betas,
            "days_since_first_contribution": (self.clock.now() - first).days if first is not None else 0,
        }
        return {key: str(values[key]) for key in self.settings.records}

    # ------------------------------------------------------------------ tokens

    def tokens_of(self, link: Link) -> Tokens | None:
        access, refresh = self.box.open(link.access_enc), self.box.open(link.refresh_enc)
        if access is None or refresh is None:
            return None
        return Tokens(access, refresh, link.expires_at, link.scope)

    def expiring(self, link: Link, *, margin: timedelta = timedelta(days=1)) -> bool:
        """Refresh before expiry: Discord's access tokens live 7 days; a day before, Kudos takes new ones."""
        return link.expires_at - margin <= self.clock.now()

    async def store_tokens(self, user_id: int, access: str, refresh: str, expires_in: int) -> None:
        async with self.db.begin() as conn:
            await repo.set_tokens(conn, user_id, access_enc=self.box.seal(access), refresh_enc=self.box.seal(refresh),
                                  expires_at=self.clock.now() + timedelta(seconds=expires_in))

    # ------------------------------------------------------------------ linking

    async def link(self, user_id: int, access: str, refresh: str, expires_in: int, scope: str) -> None:
        """The member authorised Kudos: store the tokens (sealed) and publish their numbers in the next batch."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            if not self.guild_id:
                raise NotFound(N_("Linked roles don't know which server's numbers to publish yet "
                               "([linked_roles] guild_id)."))
            await repo.put_link(conn, user_id=user_id, guild_id=self.guild_id,
                                access_enc=self.box.seal(access), refresh_enc=self.box.seal(refresh),
                                expires_at=now + timedelta(seconds=expires_in), scope=scope, now=now)
            await self._batch_due(conn, now, soon=True)
            await audit.record(conn, now=now, action="linked_roles.link", guild_id=self.guild_id,
                               actor_id=user_id, target_id=user_id, details={})

    async def get(self, user_id: int) -> Link | None:
        async with self.db.connect() as conn:
            return await repo.get(conn, user_id)

    async def unlink(self, user_id: int) -> None:
        """Stop publishing: the role connection is deleted on Discord and the tokens revoked (a job), then the
        link is gone. Raises NotFound when the member has not linked."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            link = await repo.get(conn, user_id)
            if link is None or link.state != "linked":
                raise NotFound(N_("You have not linked Kudos to your Discord profile, so there is nothing to unlink."))
            await repo.set_clearing(conn, user_id)
            await self._schedule(CLEAR_EVENT, {"user_id": user_id}, dedupe_key=clear_key(user_id, now), conn=conn)
            await audit.record(conn, now=now, action="linked_roles.unlink", guild_id=link.guild_id,
                               actor_id=user_id, target_id=user_id, details={})

    async def cleared(self, user_id: int) -> None:
        """The role connection is gone on Discord (or can't be reached any more): forget the link."""
        async with self.db.begin() as conn:
            await repo.remove(conn, user_id)

    # ------------------------------------------------------------------ the publishing queue

    async def _batch_due(self, conn: AsyncConnection, now: datetime, *, soon: bool = False) -> None:
        if soon:  # a member who just linked sees their numbers at once
            await self._schedule(SYNC_EVENT, {}, at=now, conn=conn)  # no key: one per link, never merged away
            return
        window = self.settings.batch_seconds
        end = datetime.fromtimestamp((int(now.timestamp()) // window + 1) * window, tz=now.tzinfo)
        await self._schedule(SYNC_EVENT, {}, at=end, dedupe_key=sync_key(end), conn=conn)

    async def changed(self, conn: AsyncConnection, guild_id: int, user_id: int) -> None:
        """Inside the transaction that changed the member's numbers: queue them if they linked."""
        if not self.enabled or guild_id != self.guild_id:
            return
        now = self.clock.now()
        if await repo.mark_dirty(conn, guild_id, user_id, now):
            await self._batch_due(conn, now)

    async def on_contribution(self, conn: AsyncConnection, event: ContributionEvent) -> None:
        await self.changed(conn, event.guild_id, event.user_id)

    async def on_event(self, conn: AsyncConnection, event: DomainEvent) -> None:
        if event.name in NUMBER_EVENTS:
            await self.changed(conn, event.guild_id, event.user_id)

    async def queued(self, *, limit: int = BATCH_SIZE) -> list[Link]:
        async with self.db.connect() as conn:
            return await repo.dirty(conn, limit=limit)

    async def published(self, link: Link, values: dict[str, str]) -> None:
        assert link.dirty_since is not None
        async with self.db.begin() as conn:
            await repo.published(conn, link.user_id, values=values, now=self.clock.now(), dirty_since=link.dirty_since)

    async def continue_later(self, at: datetime) -> None:
        """More members are queued than one batch takes, or Discord asked to wait: another batch at ``at``."""
        await self._schedule(SYNC_EVENT, {}, at=at)
