"""SQL for members' data rights: tracking opt-outs, departures, the data export and erasure.

Export and erasure run from the features' declarations (:mod:`bot.platform.personal`, collected in
``bot.schema.PERSONAL_DATA``), so this module knows no other feature's tables. Erasure mostly replaces the
member's Discord id by a pseudonym (a negative number, which no Discord id can be) everywhere Kudos stores it in
that server, and blanks the free text they wrote or that was written about them: rows stay, so totals,
leaderboards and stats stay consistent, and nothing links them to the person any more. See ``docs/privacy.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.platform.db.upsert import upsert
from bot.platform.personal import NOW, Custom, Delete, Erasing, Keep, PersonalData, Section, ViaParent
from bot.platform.tables import members
from bot.privacy.tables import privacy_optouts, privacy_public_names

# --------------------------------------------------------------------------- tracking opt-out


async def tracking_off_since(conn: AsyncConnection, guild_id: int, user_id: int) -> datetime | None:
    return (await conn.execute(
        select(privacy_optouts.c.tracking_off_at)
        .where(privacy_optouts.c.guild_id == guild_id, privacy_optouts.c.user_id == user_id)
    )).scalar_one_or_none()


async def opted_out(conn: AsyncConnection, guild_ids: Iterable[int]) -> set[tuple[int, int]]:
    """Every (guild, member) of these guilds who turned tracking off, in one statement (the activity writer's
    filter)."""
    result = await conn.execute(
        select(privacy_optouts.c.guild_id, privacy_optouts.c.user_id)
        .where(privacy_optouts.c.guild_id.in_(sorted(set(guild_ids))))
    )
    return {(r.guild_id, r.user_id) for r in result}


async def set_tracking_off(conn: AsyncConnection, guild_id: int, user_id: int, *, now: datetime) -> bool:
    """Record the opt-out; ``False`` when it was already off."""
    if await tracking_off_since(conn, guild_id, user_id) is not None:
        return False
    await upsert(conn, privacy_optouts, {"guild_id": guild_id, "user_id": user_id, "tracking_off_at": now},
                 keys=["guild_id", "user_id"], update=[])
    return True


async def set_tracking_on(conn: AsyncConnection, guild_id: int, user_id: int) -> bool:
    """Remove the opt-out; ``False`` when tracking was already on."""
    result = await conn.execute(
        delete(privacy_optouts).where(privacy_optouts.c.guild_id == guild_id, privacy_optouts.c.user_id == user_id)
    )
    return bool(result.rowcount)


# --------------------------------------------------------------------------- membership
# Joins and departures are written by bot.platform.guilds (seen_member / left_member).


async def departed_before(conn: AsyncConnection, guild_id: int, cutoff: datetime, limit: int = 500) -> list[int]:
    """Members (not yet erased) who left before ``cutoff``."""
    rows = await conn.execute(
        select(members.c.user_id)
        .where(members.c.guild_id == guild_id, members.c.left_at.is_not(None), members.c.left_at < cutoff,
               members.c.erased_at.is_(None), members.c.user_id > 0)
        .order_by(members.c.left_at).limit(limit)
    )
    return list(rows.scalars())


async def guilds_with_members(conn: AsyncConnection) -> list[int]:
    return list((await conn.execute(select(members.c.guild_id).distinct())).scalars())


async def pseudonym_taken(conn: AsyncConnection, guild_id: int, pseudonym: int) -> bool:
    found = await conn.execute(
        select(func.count()).select_from(members)
        .where(members.c.guild_id == guild_id, members.c.user_id == pseudonym)
    )
    return bool(found.scalar_one())


# --------------------------------------------------------------------------- export and erasure, by declaration


def _scope(decl: PersonalData, guild_id: int) -> Any:
    """The declared table's rows of ``guild_id``."""
    t, guild = decl.table, decl.guild
    if isinstance(guild, str):
        return t.c[guild] == guild_id
    parent = guild.parent
    return t.c[guild.column].in_(select(parent.c[guild.key]).where(parent.c[guild.guild] == guild_id))


def _theirs(decl: PersonalData, guild_id: int, user_id: int, match: tuple[str, ...] = ()) -> Any:
    """The declared table's rows of ``guild_id`` that are ``user_id``'s (any of ``match``, default every user-id
    column, holds them)."""
    t = decl.table
    return and_(_scope(decl, guild_id), or_(*(t.c[column] == user_id for column in match or decl.user_columns)))


async def _child_section(conn: AsyncConnection, decl: PersonalData, section: Section, guild_id: int,
                         user_id: int) -> list[dict[str, Any]]:
    child = section.child
    assert child is not None
    c, t = child.table, decl.table
    stmt = (select(*(c.c[column] for column in section.columns))
            .where(c.c[child.column].in_(select(t.c[child.key]).where(_theirs(decl, guild_id, user_id,
                                                                              section.match))))
            .order_by(*(c.c[column] for column in section.order_by)))
    return [dict(r._mapping) for r in await conn.execute(stmt)]


async def _section(conn: AsyncConnection, decl: PersonalData, section: Section, guild_id: int, user_id: int) -> Any:
    t = decl.table
    if section.child is not None:
        return await _child_section(conn, decl, section, guild_id, user_id)
    shown: list[Any] = []
    source: Any = t
    if section.parent_columns:
        assert isinstance(decl.guild, ViaParent)  # checked by the declaration
        parent = decl.guild.parent
        source = t.join(parent, parent.c[decl.guild.key] == t.c[decl.guild.column])
        shown += [parent.c[column].label(name) for name, column in section.parent_columns]
    shown += [t.c[column] for column in section.columns]
    shown += [(t.c[column] == user_id).label(name) for name, column in section.flags]
    match = section.match or decl.user_columns
    stmt = (select(*shown).select_from(source)
            .where(_scope(decl, guild_id), or_(*(t.c[column] == user_id for column in match)),
                   *(t.c[column] != user_id for column in section.unless))
            .order_by(*(t.c[column] for column in section.order_by)))
    result = await conn.execute(stmt)
    if section.single:
        return result.scalar_one_or_none()
    rows = [dict(r._mapping) for r in result]
    for name, mask in section.mask:
        for row in rows:
            row[name] = mask(row[name])
    return rows


async def export(conn: AsyncConnection, declarations: Iterable[PersonalData], guild_id: int,
                 user_id: int) -> dict[str, Any]:
    """Everything stored about ``user_id`` in ``guild_id``: one key per declared export section, in the order of
    the declarations, as plain values (datetimes left to the caller). Sections show the member's rows without
    other members' ids (the receiver of a thanks they gave, the voters of their feedback); perk codes masked."""
    out: dict[str, Any] = {}
    for decl in declarations:
        for section in decl.export:
            out[section.key] = await _section(conn, decl, section, guild_id, user_id)
    return out


async def holds_any(conn: AsyncConnection, declarations: Iterable[PersonalData], guild_id: int,
                    user_id: int) -> bool:
    """Whether erasure would find any row of ``user_id`` in ``guild_id``: one statement of ``EXISTS`` tests, one
    per declaration that erasure changes (a :class:`Keep` one is left out), each stopping at the first row."""
    tests = [exists(select(1).select_from(d.table).where(_theirs(d, guild_id, user_id)))
             for d in declarations if not isinstance(d.erase, Keep)]
    if not tests:
        return False
    return bool((await conn.execute(select(or_(*tests)))).scalar_one())


def _swap(column: Any, user_id: int, pseudonym: int) -> Any:
    """``column`` with the member's id replaced by the pseudonym (source keys, dedupe keys, causes)."""
    return func.replace(column, str(user_id), str(pseudonym))


def _value(value: Any, erasing: Erasing) -> Any:
    return erasing.now if value is NOW else value


async def _erase_one(conn: AsyncConnection, decl: PersonalData, erasing: Erasing) -> int:
    t, how, uid = decl.table, decl.erase, erasing.user_id
    scope = _scope(decl, erasing.guild_id)
    if isinstance(how, Keep):
        return 0
    if isinstance(how, Custom):
        return await how.erase(conn, erasing)
    if isinstance(how, Delete):
        result = await conn.execute(delete(t).where(scope, or_(*(t.c[c] == uid for c in decl.user_columns))))
        return int(result.rowcount or 0)
    changed = 0
    for child in how.drop:  # before the ids change: the rows are found by the member's id
        c = child.table
        result = await conn.execute(delete(c).where(c.c[child.column].in_(
            select(t.c[child.key]).where(_theirs(decl, erasing.guild_id, uid)))))
        changed += int(result.rowcount or 0)
    # One UPDATE per user-id column: a row where the member is in two columns has both replaced.
    for column in decl.user_columns:
        for revise in how.first:
            result = await conn.execute(
                update(t).where(scope, t.c[column] == uid, *(t.c[c].in_(v) for c, v in revise.where.items()))
                .values({c: _value(v, erasing) for c, v in revise.values.items()}))
            changed += int(result.rowcount or 0)
        values = {column: erasing.pseudonym, **{c: _value(v, erasing) for c, v in how.blank.items()},
                  **{c: _swap(t.c[c], uid, erasing.pseudonym) for c in how.swap}}
        result = await conn.execute(update(t).where(scope, t.c[column] == uid).values(values))
        changed += int(result.rowcount or 0)
    return changed


async def erase(conn: AsyncConnection, declarations: Iterable[PersonalData], guild_id: int, user_id: int,
                pseudonym: int, *, now: datetime) -> dict[str, int]:
    """Erase ``user_id`` in ``guild_id`` as each declaration says; returns the rows changed per table.

    The caller holds the ledger's write lock for the member and records the audit entry.
    """
    erasing = Erasing(guild_id=guild_id, user_id=user_id, pseudonym=pseudonym, now=now)
    counts: dict[str, int] = {}
    for decl in declarations:
        n = await _erase_one(conn, decl, erasing)
        if n:
            counts[decl.table.name] = counts.get(decl.table.name, 0) + n
    return counts


async def erased_members(conn: AsyncConnection, guild_id: int) -> int:
    return int((await conn.execute(
        select(func.count()).select_from(members)
        .where(and_(members.c.guild_id == guild_id, members.c.erased_at.is_not(None)))
    )).scalar_one())


# --------------------------------------------------------------------------- public name opt-in


async def set_public_name(conn: AsyncConnection, guild_id: int, user_id: int, *, on: bool, now: datetime) -> bool:
    t = privacy_public_names
    if not on:
        result = await conn.execute(delete(t).where(t.c.guild_id == guild_id, t.c.user_id == user_id))
        return result.rowcount == 1
    found = (await conn.execute(select(t.c.since).where(t.c.guild_id == guild_id, t.c.user_id == user_id))).first()
    if found is not None:
        return False
    await conn.execute(t.insert().values(guild_id=guild_id, user_id=user_id, since=now))
    return True


async def public_names(conn: AsyncConnection, guild_id: int, user_ids: Iterable[int]) -> dict[int, str]:
    """Those of ``user_ids`` who opted in (and were not erased): their last known display name ("" if none)."""
    ids = sorted({u for u in user_ids if u > 0})
    if not ids:
        return {}
    t = privacy_public_names
    rows = await conn.execute(
        select(t.c.user_id, members.c.display_name, members.c.erased_at)
        .select_from(t.outerjoin(members, and_(members.c.guild_id == t.c.guild_id, members.c.user_id == t.c.user_id)))
        .where(t.c.guild_id == guild_id, t.c.user_id.in_(ids))
    )
    return {int(uid): str(name or "") for uid, name, erased in rows if erased is None}


async def public_names_version(conn: AsyncConnection, guild_id: int) -> tuple[object, ...]:
    t = privacy_public_names
    # Who opted in, not only how many: one member opting out as another opts in moves the sum.
    return tuple((await conn.execute(select(func.count(), func.max(t.c.since),
                                            func.coalesce(func.sum(t.c.user_id % 1_000_003), 0))
                                     .where(t.c.guild_id == guild_id))).one())
