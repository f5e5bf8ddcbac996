"""The grant dispatcher: applies pending grants to Discord, exactly once, surviving restarts.

Each grant is claimed (``pending`` → ``delivering`` with a claim time and one more attempt), applied
idempotently, then finished as ``delivered``, back to ``pending`` with back-off, or ``failed`` with a reason
for staff. A process that dies mid-delivery leaves the claim; it goes stale after
``reward_delivery.claim_timeout_seconds`` and is taken up again:

- roles: ``PUT``/``DELETE`` of a member role is idempotent at Discord, and the cache is checked first;
- DMs: every reward DM carries its grant in the embed's ``url`` (:func:`reward_url`; with no title Discord
  shows no link, so the member sees the server's name in the footer, never an id); a grant on its second
  attempt first looks for that DM in the channel's recent history, so a crash between send and bookkeeping
  never sends twice;
- bonus points: credited with ``source_key = reward:<grant id>`` (the ledger ignores a duplicate).

Role requests are paced per guild from the rate-limit headers (:mod:`bot.core.pacing`), so that the
grants in flight together never outrun the bucket; discord.py waits out any 429 that still comes and
retries 5xx a few times. What still fails is classified as every job's failure is
(:func:`bot.core.effect_errors.end_job`, see :meth:`Dispatcher._failed_call`): retried with the shared
back-off (:func:`bot.platform.jobs.claims.retry_at`), dropped with an audit line, or failed with the missing
permission named for staff. Perk codes never reach a log line: only grant ids are logged.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.core import i18n
from bot.core.effect_errors import end_job, failure_of, permission_name
from bot.core.errors import NO_MENTIONS
from bot.core.facts import role_facts
from bot.platform import deferred, markdown
from bot.platform.jobs.effects import (
    CANNOT_DM,
    NO_MUTUAL_GUILD,
    UNKNOWN_CHANNEL,
    UNKNOWN_MEMBER,
    UNKNOWN_MESSAGE,
    UNKNOWN_USER,
    Drop,
    GiveUp,
    Retry,
)
from bot.rewards import BONUS_SOURCE, render, role_problems
from bot.rewards import store as repo
from bot.rewards._common import OWN_TEMPLATES
from bot.rewards.delivery_errors import FAILED_NOTICE, delivery_error
from cogs.rewards.views import approval_view

if TYPE_CHECKING:
    from bot.core.bot import KudosBot

log = logging.getLogger(__name__)


def own_template(template: str, tr: i18n.Translator, own: bool = False) -> str:
    """Kudos' own DM templates (``own``: marked so by the feature that queued it, e.g. the beta DMs) in the
    member's language; a rule's own text (staff wrote it) as it is."""
    return tr.template(template) if own or template in OWN_TEMPLATES else template

UNKNOWN_ROLE = 10011
_GONE = {UNKNOWN_MEMBER: "the member is no longer in the server", UNKNOWN_ROLE: "the role was deleted",
         UNKNOWN_USER: "the user no longer exists", UNKNOWN_CHANNEL: "the channel was deleted",
         UNKNOWN_MESSAGE: "the message was deleted"}
ROLE_ROUTE = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
VISIBILITY_WAIT = 0.05  # seconds between looks for grants whose transaction has not committed yet
VISIBILITY_ROUNDS = 60
# The batch a delivery belongs to: plain role grants are finished together when the batch ends.
_BATCH: contextvars.ContextVar[list[tuple[repo.Grant, str | None]] | None] = contextvars.ContextVar(
    "rewards_batch", default=None)


def notice_text(bot: Any, guild: discord.Guild, payload: dict[str, Any]) -> str:
    """A staff-log notice in the server's language: a notice queued with its message and values
    (:meth:`bot.rewards.Rewards.notice`) is translated now; an older one (only ``text``) is posted as it is."""
    if isinstance(payload.get("message"), dict):  # a report of several parts (bot.platform.deferred)
        try:
            return str(deferred.render(i18n.for_guild(bot, guild), payload["message"]))
        except (KeyError, IndexError, ValueError, TypeError):
            return str(payload["text"])
    msgid, values = payload.get("msgid"), payload.get("values")
    if not isinstance(msgid, str) or not isinstance(values, dict):
        return str(payload["text"])
    try:
        tr = i18n.for_guild(bot, guild)
        if msgid == FAILED_NOTICE and isinstance(values.get("reason"), str):  # the stored error: Kudos' own words
            values = {**values, "reason": delivery_error(values["reason"], tr)}
        return tr(msgid, **values)
    except (KeyError, IndexError, ValueError):
        return str(payload["text"])


def _log_failure(task: asyncio.Future[None]) -> None:
    """A batch that failed outside a grant's own handling (e.g. its bookkeeping transaction): its grants stay
    claimed and are taken up again after ``claim_timeout_seconds``."""
    if not task.cancelled() and task.exception() is not None:
        log.error("a batch of reward grants failed; they are retried once their claim goes stale",
                  exc_info=task.exception())


def reward_url(guild_id: int, grant_id: int) -> str:
    """The marker of a reward DM's grant: the embed's url (shown only as a title's link, and a reward DM has
    no title), pointing at the server."""
    return f"https://discord.com/channels/{guild_id}#reward-{grant_id}"


class Dispatcher:
    def __init__(self, bot: KudosBot, *, concurrency: int = 32, batch: int = 200) -> None:
        self.bot = bot
        self.svc = bot.app.rewards
        self.concurrency = concurrency
        self.batch = batch
        self._task: asyncio.Task[Any] | None = None
        self._wanted: set[int] = set()
        self._kicked = False
        self.stopped = False
        self._limit = asyncio.Semaphore(concurrency)  # grants in delivery, over all batches

    # ------------------------------------------------------------------ scheduling
    def kick(self, ids: list[int] | None = None) -> None:
        """Deliver what is due now; ``ids`` may belong to a transaction that has not committed yet."""
        if self.stopped:
            return
        if ids:
            self._wanted |= set(ids)
        self._kicked = True
        if self._task is None or self._task.done():
            try:
                self._task = self.bot.tasks.spawn(self._drain(), name="rewards-dispatch")
            except RuntimeError:  # no running loop (shutting down)
                pass

    async def _drain(self) -> None:
        rounds = 0
        running: set[asyncio.Task[None]] = set()
        try:
            while not self.stopped:
                self._kicked = False
                grants = await self.svc.claim(limit=self.batch, shards=self._shards())
                if grants:
                    rounds = 0
                    self._wanted -= {g.id for g in grants}
                    # Pipelined: the next batch is claimed as soon as every grant of this one has started, so
                    # the requests never pause for the bookkeeping between batches.
                    started = asyncio.Event()
                    batch = asyncio.ensure_future(self.deliver_all(grants, started=started))
                    running.add(batch)
                    batch.add_done_callback(running.discard)
                    batch.add_done_callback(_log_failure)
                    waiter = asyncio.ensure_future(started.wait())
                    try:
                        await asyncio.wait({batch, waiter}, return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        waiter.cancel()
                    continue
                if running:
                    await asyncio.wait(set(running))
                    continue
                if self._wanted:
                    async with self.bot.db.connect() as conn:
                        seen = await repo.grants_by_ids(conn, sorted(self._wanted))
                    visible = {g.id for g in seen}
                    self._wanted -= visible  # committed (and not due, or delivered): nothing to wait for
                    now = self.bot.clock.now()
                    if rounds < VISIBILITY_ROUNDS and any(
                        g.status == "pending" and g.hold is None
                        and (g.next_attempt_at is None or g.next_attempt_at <= now)
                        for g in seen
                    ):
                        rounds += 1
                        continue  # committed after the claim above looked: claim again
                    if self._wanted and rounds < VISIBILITY_ROUNDS:
                        rounds += 1
                        await asyncio.sleep(VISIBILITY_WAIT)
                        continue
                    self._wanted.clear()  # rolled back
                if not self._kicked:
                    return
        finally:
            for batch in running:
                batch.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    def _shards(self) -> tuple[list[int], int] | None:
        """A cluster process (``--shard-ids``) claims only grants of guilds on its own shards."""
        ids, count = getattr(self.bot, "shard_ids", None), getattr(self.bot, "shard_count", None)
        return (list(ids), int(count)) if ids and count else None

    async def wait_idle(self) -> None:
        while self._task is not None and not self._task.done():
            await asyncio.wait({self._task})

    async def stop(self) -> None:
        self.stopped = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def deliver_all(self, grants: list[repo.Grant], *, started: asyncio.Event | None = None) -> None:
        left = len(grants)

        async def one(grant: repo.Grant) -> None:
            nonlocal left
            async with self._limit:
                left -= 1
                if left == 0 and started is not None:
                    started.set()
                await self.deliver(grant)

        # Plain role changes are finished together in one transaction (re-applying one after a crash is
        # harmless: role changes are idempotent); everything else is finished one by one.
        done: list[tuple[repo.Grant, str | None]] = []
        token = _BATCH.set(done)
        try:
            await asyncio.gather(*(one(g) for g in grants))
        finally:
            _BATCH.reset(token)
            await self.svc.delivered_many(done)

    async def _finish_plain(self, grant: repo.Grant, note: str | None) -> None:
        done = _BATCH.get()
        if done is not None:
            done.append((grant, note))
        else:
            await self.svc.delivered(grant, note=note)

    # ------------------------------------------------------------------ one grant
    async def deliver(self, grant: repo.Grant) -> None:
        guild = self.bot.get_guild(grant.guild_id)
        if guild is None:
            await self.svc.retry_later(grant, "the server is not available yet", delay=60)
            return
        try:
            handler = {
                "role_add": self._role_add, "role_remove": self._role_remove, "perk": self._perk,
                "dm": self._dm, "points": self._points, "notice": self._notice,
            }[grant.action]
            await handler(guild, grant)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug must not lose the grant: retried, then failed with a reason
            if failure_of(exc) is None:
                log.exception("delivering grant %s (%s) failed unexpectedly", grant.id, grant.action)
                await self.svc.retry_later(grant, f"unexpected error: {type(exc).__name__}")
                return
            await self._failed_call(guild, grant, exc)

    async def _failed_call(self, guild: discord.Guild, grant: repo.Grant, exc: Exception) -> None:
        """A grant's failed Discord call, ended by the platform's one classification (``end_job``, as every
        job's): 429, 5xx and no answer are retried with the shared back-off (failed once ``max_attempts`` are
        used); a target Discord no longer knows (10003, 10007, 10008, 10011, 10013) drops the grant with a
        ``reward.dropped`` audit line (a role grant dropped so can be earned again); a missing permission
        (50013, 50001) fails it and the staff log's notice names the permission. Closed DMs (50007, 50278)
        never get here: :meth:`_send_dm` falls back first (a perk's code waits in ``/perks mine``)."""
        what = f"deliver the reward {grant.rule_name} ({grant.action})"
        missing: list[str] = []

        async def report() -> None:  # named in the failed grant's staff-log notice (a durable notice grant)
            missing.append(self._missing_permissions(guild, grant))

        try:
            action = await end_job(exc, what, report=report)
        except Retry as retry:
            await self.svc.retry_later(grant, f"Discord unavailable ({retry.failure})")
            return
        except Drop as drop:
            failure = drop.failure
            reason = _GONE.get(failure.code if failure else 0) or (failure.text if failure else "") or "not found"
            await self.svc.dropped(grant, f"{reason} ({failure})" if failure else reason)
            return
        except GiveUp as refused:
            failure = refused.failure
            code, text = (failure.code, failure.text) if failure else (0, str(exc))
            why = f"I'm missing permissions: {missing[0]}" if missing else (text or "refused")
            await self.svc.failed(grant, f"Discord refused ({code}): {why}"[:500])
            return
        # FALLBACK (closed DMs outside a DM) or UNARCHIVE: a grant has no thread to reopen, nothing to fall back to
        await self.svc.failed(grant, f"Discord refused ({getattr(exc, 'code', 0)}, {action}): "
                                     f"{getattr(exc, 'text', '') or exc}"[:500])

    def _missing_permissions(self, guild: discord.Guild, grant: repo.Grant) -> str:
        """Which permission the grant's call lacks, as Discord's client names it."""
        me = guild.me
        if grant.action in ("role_add", "role_remove"):
            return permission_name("manage_roles")
        if grant.action != "notice":  # a DM: no channel permission of ours; Discord refused the bot itself
            return permission_name("send_messages")
        channel = guild.get_channel(self.bot.settings(guild.id).channel("staff_log") or 0)
        needs = ("view_channel", "send_messages")
        perms = channel.permissions_for(me) if channel is not None and me is not None else None
        lacking = [p for p in needs if perms is not None and not getattr(perms, p, False)] or ["send_messages"]
        return ", ".join(permission_name(p) for p in lacking)

    def _check_role(self, guild: discord.Guild, role_id: int) -> tuple[discord.Role | None, list[str]]:
        role = guild.get_role(int(role_id))
        me = guild.me
        top = me.top_role.position if me is not None else 0
        can = me.guild_permissions.manage_roles if me is not None else False
        return role, role_problems(role_facts(role) if role else None, bot_top_position=top,
                                   bot_can_manage_roles=can)

    async def _role_add(self, guild: discord.Guild, grant: repo.Grant) -> None:
        role, problems = self._check_role(guild, grant.payload["role_id"])
        if problems:  # known from the cache: no request that would only draw a 403
            await self.svc.failed(grant, "; ".join(problems))
            return
        assert role is not None
        if grant.payload.get("group") and grant.payload.get("replaces") is not None:
            higher = await self.svc.outranked(grant)
            if higher is not None:  # a higher rung of the group overtook this one: don't apply it
                await self.svc.replaced(grant, higher)
                return
        member = guild.get_member(grant.user_id)
        if member is not None and member.get_role(role.id) is not None:
            note = "already had the role"
        else:
            await self._member_role("PUT", guild.id, grant.user_id, role.id, f"Kudos reward: {grant.rule_name}")
            note = None
        replaces = grant.payload.get("replaces") or []
        for other_id in replaces:
            other = guild.get_role(int(other_id))
            if other is not None and (member is None or member.get_role(other.id) is not None):
                if not self._check_role(guild, other.id)[1]:
                    await self._member_role("DELETE", guild.id, grant.user_id, other.id,
                                            f"Kudos reward {grant.rule_name} replaces it")
        if replaces:
            await self.svc.delivered(grant, note=note)  # also revokes the replaced grants
            return
        await self._finish_plain(grant, note)

    async def _member_role(self, method: str, guild_id: int, user_id: int, role_id: int, reason: str) -> None:
        """Add or remove a member's role (discord.py's add_role / remove_role request), paced per guild from
        the rate-limit headers so that many grants in flight never outrun the bucket (bot.core.pacing)."""
        route = discord.http.Route(method, ROLE_ROUTE, guild_id=guild_id, user_id=user_id, role_id=role_id)
        async with self.bot.pacer.slot((method, ROLE_ROUTE, guild_id)) as ticket:
            await self.bot.http.request(route, reason=reason, trace_request_ctx=ticket)

    async def _role_remove(self, guild: discord.Guild, grant: repo.Grant) -> None:
        role, problems = self._check_role(guild, grant.payload["role_id"])
        if role is None:
            await self.svc.delivered(grant, note="the role no longer exists")
            return
        if problems:
            await self.svc.failed(grant, "; ".join(problems))
            return
        member = guild.get_member(grant.user_id)
        if member is None or member.get_role(role.id) is not None:  # a 10007 (the member left) is dropped
            await self._member_role("DELETE", guild.id, grant.user_id, role.id, f"Kudos: {grant.cause}")
        message = grant.payload.get("message")
        if message:  # {role}: the role's name (members see names, never ids)
            await self._send_dm(guild, grant, render(str(message), {"role": markdown.inline(role.name)}),
                                closed_ok=True)
            return
        await self.svc.delivered(grant)

    async def _perk(self, guild: discord.Guild, grant: repo.Grant) -> None:
        code = await self.svc.code_for(grant)
        if code is None:
            await self.svc.retry_later(grant, f"out of codes in {grant.payload['pool']}")
            return
        tr = await i18n.for_dm(self.bot, guild, grant.user_id)  # the code itself goes verbatim
        context = dict(grant.payload.get("context") or {})
        context.update(code=code.code, pool=grant.payload["pool"],
                       expires=discord.utils.format_dt(code.expires_at, "D") if code.expires_at else tr("never"))
        text = render(own_template(str(grant.payload.get("template") or "{code}"), tr), context)
        await self._send_dm(guild, grant, text, closed_ok=True,
                            closed_note="DMs closed: the code waits in /perks mine")

    async def _dm(self, guild: discord.Guild, grant: repo.Grant) -> None:
        tr = await i18n.for_dm(self.bot, guild, grant.user_id)
        template = own_template(str(grant.payload.get("template") or ""), tr, bool(grant.payload.get("own")))
        text = render(template, dict(grant.payload.get("context") or {}))
        # optional: a courtesy (a code on its way), not a reward: closed DMs are no failure for staff to see
        await self._send_dm(guild, grant, text, closed_ok=bool(grant.payload.get("optional")))

    async def _send_dm(self, guild: discord.Guild, grant: repo.Grant, text: str, *, closed_ok: bool,
                       closed_note: str = "DMs closed") -> None:
        if grant.message_id is not None:
            await self.svc.delivered(grant, message_id=grant.message_id)
            return
        marker = reward_url(guild.id, grant.id)
        try:
            user = self.bot.get_user(grant.user_id) or await self.bot.fetch_user(grant.user_id)
            channel = user.dm_channel or await user.create_dm()
            if grant.attempts > 1:  # resumed: was it sent before the crash?
                async for old in channel.history(limit=25):
                    if old.author.id == self.bot.user.id and any(  # type: ignore[union-attr]
                        (e.url or "") == marker for e in old.embeds
                    ):
                        await self.svc.delivered(grant, message_id=old.id)
                        return
            embed = discord.Embed(description=text[:4000], colour=discord.Colour.gold(), url=marker)
            embed.set_footer(text=guild.name)
            sent = await channel.send(embed=embed, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            # 50007: DMs closed (403); 50278: no server in common any more (400, a member who left).
            if exc.code not in (CANNOT_DM, NO_MUTUAL_GUILD):
                raise
            if closed_ok:
                await self.svc.delivered(grant, note=closed_note)
            else:
                await self.svc.failed(grant, "the member's DMs are closed")
            return
        await self.svc.delivered(grant, message_id=sent.id)

    async def _points(self, guild: discord.Guild, grant: repo.Grant) -> None:
        result = await self.bot.app.ledger.credit(
            guild.id, grant.user_id, str(grant.payload.get("kind") or "answer"), source_key=f"{BONUS_SOURCE}{grant.id}",
            actor_id=None, points=int(grant.payload["points"]), reason=f"bonus: {grant.rule_name}"[:300],
        )
        if result.status == "refused":
            await self.svc.failed(grant, result.message)
        else:
            await self.svc.delivered(grant, note=None if result.status in ("credited", "duplicate")
                                     else f"ledger: {result.status}")

    async def _notice(self, guild: discord.Guild, grant: repo.Grant) -> None:
        channel_id = self.bot.settings(guild.id).channel("staff_log")
        channel = guild.get_channel(channel_id) if channel_id else None
        if channel is None or not isinstance(channel, discord.abc.Messageable):
            await self.svc.delivered(grant, note="no staff log channel")
            log.warning("staff notice for guild %s not posted: no staff log channel", guild.id)
            return
        if grant.message_id is not None:
            await self.svc.delivered(grant, message_id=grant.message_id)
            return
        kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        approve = grant.payload.get("approve_grant")
        if approve:
            kwargs["view"] = approval_view(int(approve), i18n.for_guild(self.bot, guild))  # the staff log's language
        sent = await channel.send(notice_text(self.bot, guild, grant.payload)[:2000], **kwargs)
        await self.svc.delivered(grant, message_id=sent.id)
