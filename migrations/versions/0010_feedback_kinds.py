"""feedback kinds: the ledger kind ``feedback`` becomes feedback_given, feedback_acknowledged, feedback_shipped

Existing ``feedback`` rows are re-kinded by their source key, so a stage credited before the upgrade is
still found (and never paid twice) by the new code, which looks credits up by (kind, source key):

- ``feedback:<id>:heard[…]`` → ``feedback_acknowledged``; ``feedback:<id>:shipped[…]`` → ``feedback_shipped``;
- every other ``feedback`` row (``feedback:<id>`` intake credits, ``/contrib give``, reward bonus points) →
  ``feedback_given``; a reversal (``rev:<id>``) takes the new kind of the row it reverses.

The per-kind aggregates in ``member_stats`` are split in the same transaction: every ``feedback`` row (all
time, a season, or a calendar week/month row of migration 0007) becomes one row per new kind, the
acknowledged and shipped parts counted from the re-kinded ledger and the rest kept as feedback_given, so
the kinds still add up to the unchanged ``*`` row. Stored command-made reward rules naming the kind
``feedback`` (trigger or bonus_kind) now name ``feedback_given``. On PostgreSQL the ``kind`` columns grow
from 20 to 32 characters ("feedback_acknowledged" is 21; SQLite does not enforce VARCHAR lengths).
Downgrade merges the three kinds back into ``feedback``.

Revision ID: 0010
Revises: 0005
Create Date: 2026-11-22 23:30:00.000000
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD = "feedback"
GIVEN, ACKNOWLEDGED, SHIPPED = NEW = ("feedback_given", "feedback_acknowledged", "feedback_shipped")
_PERIOD = re.compile(r"^(W|M)\d{4}-\d{2}$")  # week / month rows of member_stats (season ids never look so)

_c = sa.table("contributions", sa.column("id"), sa.column("guild_id"), sa.column("user_id"), sa.column("kind"),
              sa.column("points"), sa.column("source_key"), sa.column("season"), sa.column("reverses_id"),
              sa.column("status"), sa.column("created_at"))
_ms = sa.table("member_stats", sa.column("guild_id"), sa.column("user_id"), sa.column("kind"),
               sa.column("season"), sa.column("points"), sa.column("count"))
_rules = sa.table("reward_rules", sa.column("id"), sa.column("definition", sa.JSON))


def _day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _periods(d: date) -> tuple[str, str]:
    iso = d.isocalendar()
    return f"W{iso.year}-{iso.week:02d}", f"M{d.year}-{d.month:02d}"


def _widen(length: int) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("contributions", "member_stats"):
        op.alter_column(table, "kind", type_=sa.String(length), existing_type=sa.String(), existing_nullable=False)


def _rekind_ledger() -> None:
    bind = op.get_bind()
    stage = sa.case(
        (_c.c.source_key.like("feedback:%:heard%"), ACKNOWLEDGED),
        (_c.c.source_key.like("feedback:%:shipped%"), SHIPPED),
        else_=GIVEN,
    )
    bind.execute(sa.update(_c).where(_c.c.kind == OLD, _c.c.reverses_id.is_(None)).values(kind=stage))
    original = _c.alias("original")
    bind.execute(
        sa.update(_c).where(_c.c.kind == OLD, _c.c.reverses_id.is_not(None))
        .values(kind=sa.select(original.c.kind).where(original.c.id == _c.c.reverses_id).scalar_subquery())
    )


def _split_stats() -> None:
    """Replace each ``feedback`` member_stats row by one row per new kind (see the module docstring)."""
    bind = op.get_bind()
    old = {(g, u, s): (int(p), int(n)) for g, u, s, p, n in bind.execute(
        sa.select(_ms.c.guild_id, _ms.c.user_id, _ms.c.season, _ms.c.points, _ms.c.count).where(_ms.c.kind == OLD))}
    if not old:
        return
    created = _c.c.created_at
    day = sa.func.date(sa.func.timezone("UTC", created) if bind.dialect.name == "postgresql" else created)
    step = sa.case((_c.c.reverses_id.is_(None), 1), else_=-1)
    rows = bind.execute(
        sa.select(_c.c.guild_id, _c.c.user_id, _c.c.kind, _c.c.season, day.label("day"), sa.func.sum(_c.c.points),
                  sa.func.sum(step))
        .where(_c.c.kind.in_((ACKNOWLEDGED, SHIPPED)), _c.c.status == "counted")
        .group_by(_c.c.guild_id, _c.c.user_id, _c.c.kind, _c.c.season, day)
    )
    sums: dict[tuple[int, int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for guild_id, user_id, kind, season, when, points, count in rows:
        keys = ["", *([season] if season else []), *_periods(_day(when))]
        for key in keys:
            acc = sums[(guild_id, user_id, kind, key)]
            acc[0] += int(points)
            acc[1] += int(count)
    values = []
    for (guild_id, user_id, key), (points, count) in old.items():
        rest = [points, count]
        for kind in (ACKNOWLEDGED, SHIPPED):
            part = sums.get((guild_id, user_id, kind, key))
            if part and part != [0, 0]:
                values.append({"guild_id": guild_id, "user_id": user_id, "kind": kind, "season": key,
                               "points": part[0], "count": part[1]})
                rest = [rest[0] - part[0], rest[1] - part[1]]
        if rest != [0, 0]:
            values.append({"guild_id": guild_id, "user_id": user_id, "kind": GIVEN, "season": key,
                           "points": rest[0], "count": rest[1]})
    bind.execute(sa.delete(_ms).where(_ms.c.kind == OLD))
    for first in range(0, len(values), 5000):
        bind.execute(_ms.insert(), values[first:first + 5000])


def _merge_stats() -> None:
    """Downgrade: sum the new kinds' member_stats rows back into one ``feedback`` row each."""
    bind = op.get_bind()
    sums: dict[tuple[int, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for g, u, s, p, n in bind.execute(
            sa.select(_ms.c.guild_id, _ms.c.user_id, _ms.c.season, _ms.c.points, _ms.c.count)
            .where(_ms.c.kind.in_(NEW))):
        sums[(g, u, s)][0] += int(p)
        sums[(g, u, s)][1] += int(n)
    bind.execute(sa.delete(_ms).where(_ms.c.kind.in_(NEW)))
    values = [{"guild_id": g, "user_id": u, "kind": OLD, "season": s, "points": v[0], "count": v[1]}
              for (g, u, s), v in sums.items()]
    for first in range(0, len(values), 5000):
        bind.execute(_ms.insert(), values[first:first + 5000])


def _rename_in_rules(old: str, new: str) -> None:
    """Stored reward rules (command-made ones; config rules are re-synced at start) naming ``old``."""
    bind = op.get_bind()
    for rule_id, definition in bind.execute(sa.select(_rules.c.id, _rules.c.definition)).all():
        if not isinstance(definition, dict):
            continue
        changed = dict(definition)
        trigger = changed.get("trigger")
        if isinstance(trigger, dict) and trigger.get("kind") == old:
            changed["trigger"] = {**trigger, "kind": new}
        if changed.get("bonus_kind") == old:
            changed["bonus_kind"] = new
        if changed != definition:
            bind.execute(sa.update(_rules).where(_rules.c.id == rule_id).values(definition=changed))


def upgrade() -> None:
    _widen(32)
    _rekind_ledger()
    _split_stats()
    _rename_in_rules(OLD, GIVEN)


def downgrade() -> None:
    for kind in NEW:
        _rename_in_rules(kind, OLD)
    _merge_stats()
    op.get_bind().execute(sa.update(_c).where(_c.c.kind.in_(NEW)).values(kind=OLD))
    _widen(20)
