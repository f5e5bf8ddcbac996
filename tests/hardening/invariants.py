"""The named invariants of the hardening suite, implemented once.

Every fault scenario, the fuzzing and the soak run end with :func:`check_all`; each invariant returns a list of
violations (empty when it holds). They read the real database and the emulator's record of what Discord saw.

- ``no_duplicate_grant``: no reward DM (embed url ``…#reward-<id>``) was sent twice, no perk code reached two
  members or one member twice, no two role grants of one rule earning for one member;
- ``no_lost_grant``: once quiet (faults cleared, back-offs elapsed), no grant is stuck ``delivering`` or due
  and still ``pending``, every ``failed`` grant says why, and delivered role/DM grants are visible in Discord;
- ``beta_capacity``: no beta has more joined members than spots (nor more cohort-role holders while open);
- ``ledger_equals_aggregates``: ``member_stats`` equals the sums of counted ledger rows, in every guild;
- ``perk_code_once``: every perk code is assigned to at most one grant, to that grant's member;
- ``timer_fires_once``: no timer's handler completed twice in one process (after a crash between a handler
  and its bookkeeping the timer runs again: handlers are idempotent, which the scenarios check by effect),
  none is stuck ``running`` and, once quiet, none that is due is still ``pending``;
- ``events_captured_once``: once quiet, every member's post in a feedback forum is a feedback item (also when
  its gateway event was lost: the catch-up after a full reconnect records it) with at most one item card,
  and no message has two showcase cards.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.betas.tables import beta_participants, betas
from bot.feedback.tables import feedback
from bot.platform.tables import guilds, timers
from bot.rewards.tables import grants, perk_codes

if TYPE_CHECKING:
    from tests.hardening.support import HardenedHarness

MARKER = re.compile(r"#reward-(\d+)$")  # cogs.rewards.dispatcher.reward_url

Check = Callable[["HardenedHarness", bool], Awaitable[list[str]]]


async def _rows(h: HardenedHarness, stmt: Any) -> list[Any]:
    assert h.bot is not None
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(stmt))


def _reward_dms(h: HardenedHarness) -> list[tuple[int, int, Any]]:
    """(grant id, recipient user id, message) of every reward DM the emulator holds."""
    out = []
    for user_id, channel_id in h.emu.state.dm_channels.items():
        for msg in h.emu.messages(channel_id):
            if msg.author_id != h.emu.bot_user_id:
                continue
            for embed in msg.embeds:
                found = MARKER.search(str(embed.get("url") or ""))
                if found:
                    out.append((int(found.group(1)), user_id, msg))
    return out


async def no_duplicate_grant(h: HardenedHarness, quiet: bool) -> list[str]:
    problems = []
    sent = Counter(gid for gid, _, _ in _reward_dms(h))
    problems += [f"grant #{gid}: its reward DM was sent {n} times" for gid, n in sent.items() if n > 1]
    codes = await _rows(h, select(perk_codes.c.code))
    holders: dict[str, list[int]] = defaultdict(list)
    all_dms = [(uid, m) for uid, cid in h.emu.state.dm_channels.items() for m in h.emu.messages(cid)]
    for (code,) in codes:
        for uid, msg in all_dms:
            text = (msg.content or "") + " ".join(str(e.get("description") or "") for e in msg.embeds)
            holders[code] += [uid] * text.count(code)
    problems += [f"a perk code reached members {sorted(who)} ({len(who)} DMs)"
                 for who in holders.values() if len(who) > 1]
    rows = await _rows(h, select(grants.c.id, grants.c.user_id, grants.c.rule_id, grants.c.action, grants.c.cause,
                                 grants.c.status).where(grants.c.user_id != 0))
    seen: dict[tuple[Any, ...], int] = {}
    for r in rows:
        if r.action not in ("role_add", "perk") or r.rule_id is None or not r.cause.startswith("contribution:"):
            continue
        key = (r.user_id, r.rule_id, r.action, r.cause)
        if key in seen:
            problems.append(f"grants #{seen[key]} and #{r.id}: the same earning of rule {r.rule_id} twice")
        seen[key] = r.id
    return problems


async def no_lost_grant(h: HardenedHarness, quiet: bool) -> list[str]:
    problems = []
    assert h.bot is not None
    now = h.clock.now()
    rows = await _rows(h, select(grants))
    dms = {gid: msg for gid, _, msg in _reward_dms(h)}
    for g in rows:
        if g.status == "failed" and not (g.last_error or "").strip():
            problems.append(f"grant #{g.id} failed without a reason")
        error = g.last_error or ""
        if g.status == "failed" and "gave up" not in error and (" 429 " in error or "unavailable" in error):
            problems.append(f"grant #{g.id} failed for good on a transient error: {error}")
        if not quiet:
            continue
        if g.status == "delivering":
            problems.append(f"grant #{g.id} ({g.action}) is stuck delivering (claimed {g.claimed_at})")
        if (g.status == "pending" and g.hold is None and not (g.last_error or "").startswith("out of codes")
                and (g.next_attempt_at is None or g.next_attempt_at <= now)):
            problems.append(f"grant #{g.id} ({g.action}) is due and still pending ({g.last_error})")
        if g.status != "delivered" or g.user_id == 0:
            continue
        if g.action in ("perk", "dm") and g.message_id is not None and g.id not in dms:
            problems.append(f"grant #{g.id} ({g.action}) is delivered with DM {g.message_id}, which Discord lacks")
        if g.action in ("perk", "dm") and g.message_id is None and not (g.last_error or "").startswith("DMs closed"):
            problems.append(f"grant #{g.id} ({g.action}) is delivered without a DM and without a reason")
        if g.action == "role_add" and h.check_roles:
            guild = h.emu.state.guilds.get(g.guild_id)
            member = guild.members.get(g.user_id) if guild else None
            role_id = int(g.payload["role_id"])
            if (member is not None and role_id in guild.roles and role_id not in member.roles  # type: ignore[union-attr]
                    and g.expires_at is None):
                revoked = await _rows(h, select(grants.c.id).where(
                    grants.c.user_id == g.user_id, grants.c.action == "role_remove", grants.c.id > g.id))
                if not revoked:
                    problems.append(f"grant #{g.id}: role {role_id} delivered but member {g.user_id} lacks it")
    return problems


async def beta_capacity(h: HardenedHarness, quiet: bool) -> list[str]:
    problems = []
    for beta in await _rows(h, select(betas)):
        joined = [r.user_id for r in await _rows(h, select(beta_participants.c.user_id).where(
            beta_participants.c.beta_id == beta.id, beta_participants.c.status == "joined"))]
        if beta.capacity is not None and len(joined) > beta.capacity:
            problems.append(f"beta {beta.name!r}: {len(joined)} joined, capacity {beta.capacity}")
        if quiet and beta.capacity is not None and beta.cohort_role_id and beta.status == "open":
            guild = h.emu.state.guilds.get(beta.guild_id)
            holders = [m for m in guild.members.values() if beta.cohort_role_id in m.roles] if guild else []
            if len(holders) > beta.capacity:
                problems.append(f"beta {beta.name!r}: {len(holders)} hold the cohort role, capacity {beta.capacity}")
    return problems


async def ledger_equals_aggregates(h: HardenedHarness, quiet: bool) -> list[str]:
    assert h.bot is not None
    ids = [r.id for r in await _rows(h, select(guilds.c.id))]
    ledger = h.bot.app.ledger
    return [f"guild {gid}: member_stats differ from the ledger" for gid in ids
            if not await ledger.totals_consistent(gid)]


async def perk_code_once(h: HardenedHarness, quiet: bool) -> list[str]:
    problems = []
    owners = {r.id: (r.user_id, r.action) for r in await _rows(h, select(grants.c.id, grants.c.user_id,
                                                                          grants.c.action))}
    per_grant: Counter[int] = Counter()
    for code in await _rows(h, select(perk_codes)):
        if code.grant_id is None:
            if code.assigned_to is not None:
                problems.append(f"perk code #{code.id} is assigned to {code.assigned_to} without a grant")
            continue
        per_grant[code.grant_id] += 1
        user, action = owners.get(code.grant_id, (None, None))
        if action != "perk" or user != code.assigned_to:
            problems.append(f"perk code #{code.id}: grant #{code.grant_id} ({action}, member {user}) "
                            f"but assigned to {code.assigned_to}")
    problems += [f"grant #{gid} holds {n} perk codes" for gid, n in per_grant.items() if n > 1]
    return problems


async def timer_fires_once(h: HardenedHarness, quiet: bool) -> list[str]:
    problems = [f"timer #{tid} ({event}) fired {n} times in one process" for (tid, event, _), n in h.timer_runs.items()
                if n > 1]
    completed = {(tid, event) for tid, event, _ in h.timer_runs}
    now = h.clock.now()
    for t in await _rows(h, select(timers)):
        if quiet and t.status == "running":
            problems.append(f"timer #{t.id} ({t.event}) is stuck running")
        if quiet and t.status == "pending" and t.due_at <= now:
            problems.append(f"timer #{t.id} ({t.event}) was due at {t.due_at} and never fired")
        if t.status == "done" and (t.id, t.event) not in completed and t.id > h.timers_before:
            problems.append(f"timer #{t.id} ({t.event}) is done but its handler never completed")
    return problems


async def events_captured_once(h: HardenedHarness, quiet: bool) -> list[str]:
    """Once quiet, every member's post in a feedback forum is a feedback item, even one whose gateway event
    was lost (a full reconnect or a crash: the catch-up records it), with at most one item card from the
    bot; and no message is featured in the showcase twice."""
    problems: list[str] = []
    assert h.bot is not None
    feedback_cog = h.bot.get_cog("Feedback")
    if quiet and feedback_cog is not None:
        forums = await feedback_cog.feedback_forums(h.guild_id)  # type: ignore[attr-defined]
        recorded = {r.thread_id for r in await _rows(h, select(feedback.c.thread_id))}
        bot_id = h.emu.bot_user_id
        for channel in list(h.emu.state.channels.values()):
            if channel.parent_id not in forums or channel.owner_id in (None, bot_id) or channel.type not in (11, 12):
                continue
            if channel.id not in recorded:
                problems.append(f"feedback post {channel.id} ({channel.name!r}) was never recorded")
            cards = [m for m in h.emu.messages(channel.id) if m.author_id == bot_id and m.embeds and m.components]
            if len(cards) > 1:
                problems.append(f"feedback post {channel.id} got {len(cards)} item cards")
    showcase = h.channel_id("showcase")
    links = Counter(str(e.get("url")) for m in h.emu.messages(showcase) if m.author_id == h.emu.bot_user_id
                    for e in m.embeds if e.get("url"))
    problems += [f"{url} was featured {n} times" for url, n in links.items() if n > 1]
    return problems


INVARIANTS: dict[str, Check] = {
    "no_duplicate_grant": no_duplicate_grant,
    "no_lost_grant": no_lost_grant,
    "beta_capacity": beta_capacity,
    "ledger_equals_aggregates": ledger_equals_aggregates,
    "perk_code_once": perk_code_once,
    "timer_fires_once": timer_fires_once,
    "events_captured_once": events_captured_once,
}


async def check_all(h: HardenedHarness, *, quiet: bool = True) -> dict[str, list[str]]:
    """Every invariant's violations (only those that have any). ``quiet``: faults are over and back-offs
    elapsed, so nothing may still be pending."""
    out = {}
    for name, check in INVARIANTS.items():
        found = await check(h, quiet)
        if found:
            out[name] = found
    return out


def describe(violations: dict[str, list[str]]) -> str:
    return "\n".join(f"{name}: {line}" for name, lines in violations.items() for line in lines)
