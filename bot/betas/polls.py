"""Polls for quick cohort questions (``/beta poll``): a native Discord poll in the beta's discussion thread.

Posting is a durable job (``betas.poll``) written with the poll's row, so a Discord outage delays the poll
and never loses it. Votes arrive as gateway events (MESSAGE_POLL_VOTE_ADD / _REMOVE); each is kept here:

- ``beta_poll_votes`` holds the answers a member currently picks (a removed vote deletes its row), which gives
  the answer counts of the close summary;
- ``beta_poll_voters`` holds everyone who ever voted in the poll, once: a removed vote keeps its row, so
  vote, unvote and vote again is one. A vote counts as participation in the beta when the voter was a
  participant (``joined``) at their first vote; a vote from anyone else is counted in the answers (Discord
  counts it too) but is no participation.

A mixin of :class:`bot.betas.BetaService` (shares ``db``, ``clock`` and ``schedule``). No discord here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.betas import store as repo
from bot.betas.tables import beta_participants, beta_poll_voters, beta_poll_votes, beta_polls, betas
from bot.platform import audit, deferred
from bot.platform.clock import Clock
from bot.platform.db import Database
from bot.platform.errors import Conflict, InvalidInput, NotFound
from bot.platform.jobs.keys import SeriesKey

POLL_EVENT = "betas.poll"  # post a /beta poll in the beta's thread

# poll.mdx (discord-api-docs): up to 10 answers, question text up to 300 characters, answers up to 55,
# duration in hours up to 32 days.
MAX_ANSWERS = 10
MIN_ANSWERS = 2
QUESTION_MAX = 300
ANSWER_MAX = 55
MAX_HOURS = 32 * 24


@dataclass(frozen=True, slots=True)
class BetaPoll(SeriesKey):
    """The posting job of one poll."""

    kind: ClassVar[str] = "betas:poll"
    poll_id: int


@dataclass(frozen=True, slots=True)
class PollRow:
    id: int
    beta_id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    question: str
    answers: list[str]
    hours: int
    status: str
    created_by: int
    created_at: datetime


def _poll(row: Any) -> PollRow:
    return PollRow(**{name: getattr(row, name) for name in PollRow.__slots__})


def parse_answers(text: str) -> list[str]:
    """``a;b;c`` → the answers, each checked against Discord's limits (poll.mdx)."""
    answers = [a.strip() for a in (text or "").split(";") if a.strip()]
    if len(answers) < MIN_ANSWERS:
        raise InvalidInput("A poll needs at least 2 answers, separated by `;` (e.g. `yes;no`).")
    if len(answers) > MAX_ANSWERS:
        raise InvalidInput("A poll can have at most 10 answers.")
    if len({a.casefold() for a in answers}) != len(answers):
        raise InvalidInput("Each answer of a poll must be different.")
    if any(len(a) > ANSWER_MAX for a in answers):
        raise InvalidInput("Each answer can be at most 55 characters long.")
    return answers


def check_poll(question: str, answers: list[str], hours: int) -> None:
    if not question.strip():
        raise InvalidInput("The poll needs a question.")
    if len(question) > QUESTION_MAX:
        raise InvalidInput("The question can be at most 300 characters long.")
    if not 1 <= hours <= MAX_HOURS:
        raise InvalidInput("A poll runs between 1 hour and 32 days (768 hours).")


async def poll_by_message(conn: AsyncConnection, message_id: int) -> PollRow | None:
    row = (await conn.execute(select(beta_polls).where(beta_polls.c.message_id == message_id))).first()
    return _poll(row) if row else None


async def polls_of(conn: AsyncConnection, beta_id: int) -> list[PollRow]:
    rows = await conn.execute(select(beta_polls).where(beta_polls.c.beta_id == beta_id).order_by(beta_polls.c.id))
    return [_poll(r) for r in rows]


async def answer_counts(conn: AsyncConnection, poll_id: int) -> dict[int, int]:
    rows = await conn.execute(select(beta_poll_votes.c.answer_id, func.count()).where(
        beta_poll_votes.c.poll_id == poll_id).group_by(beta_poll_votes.c.answer_id))
    return {int(a): int(n) for a, n in rows}


async def poll_participants(conn: AsyncConnection, beta_id: int) -> set[int]:
    """Members of the beta who voted in any of its polls (each once)."""
    rows = await conn.execute(select(beta_poll_voters.c.user_id).distinct().join(
        beta_polls, beta_polls.c.id == beta_poll_voters.c.poll_id).where(
        beta_polls.c.beta_id == beta_id, beta_poll_voters.c.participant.is_(True)))
    return {int(u) for (u,) in rows}


async def summary_lines(conn: AsyncConnection, beta_id: int) -> list[deferred.Message]:
    """The close summary's lines about the beta's posted polls: question, then each answer's count."""
    lines = []
    for p in await polls_of(conn, beta_id):
        if p.status != "posted":
            continue
        counts = await answer_counts(conn, p.id)
        voters = (await conn.execute(select(func.count()).select_from(beta_poll_voters).where(
            beta_poll_voters.c.poll_id == p.id, beta_poll_voters.c.participant.is_(True)))).scalar_one()
        answers = " · ".join(f"{a} {counts.get(i, 0)}" for i, a in enumerate(p.answers, 1))
        lines.append(deferred.ngettext("Poll “{question}”: {answers} ({count} participant voted)",
                                       "Poll “{question}”: {answers} ({count} participants voted)", voters,
                                       question=p.question[:100], answers=answers))
    return lines


class _Polls:
    """Part of :class:`bot.betas.BetaService` (shares its attributes)."""

    db: Database
    clock: Clock
    schedule: Any

    async def create_poll(self, guild_id: int, beta_id: int, actor_id: int, *, question: str, answers: list[str],
                          hours: int) -> PollRow:
        """Record the poll and write its posting job (due now) in one transaction. The poll goes to the beta's
        discussion thread, else its private channel, else the announcement channel."""
        question = question.strip()
        check_poll(question, answers, hours)
        now = self.clock.now()
        async with self.db.begin() as conn:
            row = await repo.by_id(conn, beta_id)
            if row is None or row.guild_id != guild_id:
                raise NotFound("There's no such beta.")
            if row.status != "open":
                raise Conflict(f"Polls are for open betas: **{row.name}** is {row.status}.")
            channel_id = row.thread_id or row.private_channel_id or row.announcement_channel_id
            if channel_id is None:
                raise Conflict(f"**{row.name}** has no thread or channel to post a poll in yet.")
            poll_id = (await conn.execute(insert(beta_polls).values(
                beta_id=beta_id, guild_id=guild_id, channel_id=channel_id, question=question, answers=answers,
                hours=hours, created_by=actor_id, created_at=now).returning(beta_polls.c.id))).scalar_one()
            await self.schedule(POLL_EVENT, {"guild_id": guild_id, "poll_id": poll_id}, at=now,
                                dedupe_key=BetaPoll(poll_id).dedupe(), conn=conn)
            await audit.record(conn, now=now, action="beta.poll", guild_id=guild_id, actor_id=actor_id,
                               target_id=beta_id, details={"poll_id": poll_id, "answers": len(answers)})
            got = (await conn.execute(select(beta_polls).where(beta_polls.c.id == poll_id))).one()
            return _poll(got)

    async def get_poll(self, poll_id: int) -> PollRow | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(select(beta_polls).where(beta_polls.c.id == poll_id))).first()
            return _poll(row) if row else None

    async def mark_poll(self, poll_id: int, *, message_id: int | None = None, failed: bool = False) -> None:
        async with self.db.begin() as conn:
            values: dict[str, Any] = {"status": "failed"} if failed else {"status": "posted",
                                                                            "message_id": message_id}
            await conn.execute(update(beta_polls).where(beta_polls.c.id == poll_id).values(**values))

    async def poll_vote(self, message_id: int, user_id: int, answer_id: int, *, added: bool) -> bool | None:
        """A vote event. ``None`` when the message is no beta poll; else whether this vote is the member's first
        in the poll while in the beta (their participation, counted once)."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            poll = await poll_by_message(conn, message_id)
            if poll is None:
                return None
            if not added:
                await conn.execute(delete(beta_poll_votes).where(
                    beta_poll_votes.c.poll_id == poll.id, beta_poll_votes.c.user_id == user_id,
                    beta_poll_votes.c.answer_id == answer_id))
                return False
            if not 1 <= answer_id <= len(poll.answers):
                return False
            await _insert_once(conn, beta_poll_votes, poll_id=poll.id, user_id=user_id, answer_id=answer_id)
            seen = (await conn.execute(select(beta_poll_voters.c.participant).where(
                beta_poll_voters.c.poll_id == poll.id, beta_poll_voters.c.user_id == user_id))).first()
            if seen is not None:
                return False
            status = (await conn.execute(select(beta_participants.c.status).where(
                beta_participants.c.beta_id == poll.beta_id, beta_participants.c.user_id == user_id))).scalar()
            beta_open = (await conn.execute(select(betas.c.status).where(
                betas.c.id == poll.beta_id))).scalar() == "open"
            participant = status == "joined" and beta_open
            await _insert_once(conn, beta_poll_voters, poll_id=poll.id, user_id=user_id, first_voted_at=now,
                               participant=participant)
            return participant


async def _insert_once(conn: AsyncConnection, table: Any, **values: Any) -> None:
    """Insert a row unless its key is there already (a repeated gateway event changes nothing)."""
    try:
        async with conn.begin_nested():
            await conn.execute(insert(table).values(**values))
    except IntegrityError:
        pass
