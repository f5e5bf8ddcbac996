"""Personal data by declaration: each feature says which of its tables hold members' ids, and how a member's rows
are found, exported and erased. ``bot.privacy`` runs ``/mydata export``, ``/mydata forget`` and the retention
sweep from these declarations (collected in :data:`bot.schema.PERSONAL_DATA`) without knowing the features.

A declaration (:class:`PersonalData`) names

- the table and its **user-id columns** (every column that can hold a member's Discord id);
- how a row belongs to a **guild**: a column of its own (``"guild_id"``), or through a parent row
  (:class:`ViaParent`: ``beta_participants.beta_id`` -> ``betas.guild_id``);
- how **erasure** treats the member's rows: :class:`Pseudonymise` (the row stays, the id becomes the pseudonym,
  free text is blanked), :class:`Delete`, :class:`Keep` (on purpose, with the reason), or :class:`Custom` (an
  async function, for the rare table no plain ``UPDATE`` can erase);
- what the **export** shows: sections (:class:`Section`), each the member's rows under one key of the JSON.

:func:`undeclared_user_columns` is the rule a test applies to the whole schema: a column that looks like it holds
a member's id must be declared.

A table that holds no member id but something derived from one (the rewards' marks: a keyed hash of the member,
kept by erasure on purpose) is declared as :class:`NoMemberIds`, with the reason; :func:`undeclared_marks` is the
test's rule for those columns.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, MetaData, Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


class _Now:
    """Stands for the time of the erasure in :attr:`Pseudonymise.blank` (e.g. ``members.erased_at``)."""

    def __repr__(self) -> str:
        return "NOW"


NOW: Any = _Now()


@dataclass(frozen=True, slots=True)
class Erasing:
    """What an erasure is about: the member, the server, their pseudonym (a negative number) and when."""

    guild_id: int
    user_id: int
    pseudonym: int
    now: datetime


@dataclass(frozen=True, slots=True)
class ViaParent:
    """The row's guild is that of a parent row: ``column`` references ``parent.<key>``, whose ``guild`` column
    holds the guild id."""

    column: str
    parent: Table
    key: str = "id"
    guild: str = "guild_id"


@dataclass(frozen=True, slots=True)
class Child:
    """Rows of another table that belong to the declared table's rows and hold no member id themselves:
    ``table.column`` references ``<declared table>.<key>`` (the screenshots of a member's report). They are the
    member's through their parent row: shown by a :class:`Section` with ``child``, deleted by
    :attr:`Pseudonymise.drop`."""

    table: Table
    column: str
    key: str = "id"


@dataclass(frozen=True, slots=True)
class Revise:
    """Before the id is replaced: the member's rows whose columns hold one of the ``where`` values get ``values``
    (undelivered rewards become revoked)."""

    where: dict[str, tuple[Any, ...]]
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Pseudonymise:
    """Keep the rows (totals and stats stay consistent); in each user-id column holding the member, put the
    pseudonym. The rows found that way also get ``blank`` (column -> value: ``""``, ``None``, :data:`NOW`), and
    the member's id is replaced by the pseudonym inside the ``swap`` text columns (source and dedupe keys).
    ``drop``: child rows of the member's rows, deleted first (their content is the member's: a report's
    screenshots)."""

    blank: dict[str, Any] = field(default_factory=dict)
    swap: tuple[str, ...] = ()
    first: tuple[Revise, ...] = ()
    drop: tuple[Child, ...] = ()


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete the member's rows (nothing aggregates them: sessions, login records)."""


@dataclass(frozen=True, slots=True)
class Keep:
    """Leave the rows as they are, on purpose; ``reason`` says why. Their export sections do not count as data
    left to erase."""

    reason: str


@dataclass(frozen=True, slots=True)
class Custom:
    """Erase with a function of its own; it returns how many rows it changed. For what a declaration cannot
    say (ids inside a JSON document, say)."""

    erase: Callable[[AsyncConnection, Erasing], Awaitable[int]]
    what: str


Erasure = Pseudonymise | Delete | Keep | Custom


@dataclass(frozen=True, slots=True)
class Section:
    """One key of the ``/mydata export`` JSON: the member's rows of the table, as a list of objects.

    - ``match``: the user-id columns that make a row theirs (any of them holds the member; default: all);
    - ``columns``: the columns shown (other members' ids are left out of them);
    - ``parent_columns``: ``(name, column of the ViaParent table)`` shown first (``betas.name``);
    - ``flags``: ``(name, user-id column)``: shown as whether that column is the member (``by_you``);
    - ``unless``: user-id columns whose rows are left out (they are in another section);
    - ``mask``: ``(name, function)`` applied to a shown value (perk codes);
    - ``single``: the one column's value in the first row (or ``None``), not a list;
    - ``child``: the rows shown are the :class:`Child` table's rows of the member's rows (``columns`` and
      ``order_by`` are the child's).
    """

    key: str
    columns: tuple[str, ...]
    match: tuple[str, ...] = ()
    parent_columns: tuple[tuple[str, str], ...] = ()
    flags: tuple[tuple[str, str], ...] = ()
    unless: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ()
    mask: tuple[tuple[str, Callable[[Any], Any]], ...] = ()
    single: bool = False
    child: Child | None = None


@dataclass(frozen=True, slots=True)
class PersonalData:
    """A table that holds members' ids, and how to export and erase a member's rows (see the module)."""

    table: Table
    user_columns: tuple[str, ...]
    erase: Erasure
    export: tuple[Section, ...] = ()
    guild: str | ViaParent = "guild_id"

    def __post_init__(self) -> None:
        t, name = self.table, self.table.name
        if not self.user_columns:
            raise ValueError(f"{name}: a declaration names at least one user-id column")

        def need(columns: Iterable[str], table: Table = t) -> None:
            missing = [c for c in columns if c not in table.c]
            if missing:
                raise ValueError(f"{name}: no column {', '.join(missing)} in {table.name}")

        def users(columns: Iterable[str]) -> None:
            strays = [c for c in columns if c not in self.user_columns]
            if strays:
                raise ValueError(f"{name}: {', '.join(strays)} is not one of the declared user-id columns")

        need(self.user_columns)
        if isinstance(self.guild, str):
            need([self.guild])
        else:
            need([self.guild.column])
            need([self.guild.key, self.guild.guild], self.guild.parent)
        def child_of(child: Child) -> None:
            need([child.key])
            need([child.column], child.table)

        if isinstance(self.erase, Pseudonymise):
            need([*self.erase.blank, *self.erase.swap])
            for revise in self.erase.first:
                need([*revise.where, *revise.values])
            for child in self.erase.drop:
                child_of(child)
        for section in self.export:
            if section.child is not None:
                child_of(section.child)
                need([*section.columns, *section.order_by], section.child.table)
                if section.parent_columns or section.flags or section.single:
                    raise ValueError(f"{name}: a child section shows only the child's columns")
                continue
            need([*section.columns, *section.order_by])
            users([*section.match, *section.unless, *(c for _, c in section.flags)])
            if section.parent_columns:
                if not isinstance(self.guild, ViaParent):
                    raise ValueError(f"{name}: parent_columns need a ViaParent guild")
                need([c for _, c in section.parent_columns], self.guild.parent)
            if section.single and (len(section.columns) != 1 or section.parent_columns or section.flags):
                raise ValueError(f"{name}: a single-value section shows exactly one column")


@dataclass(frozen=True, slots=True)
class NoMemberIds:
    """A table that holds no member id, only ``columns`` derived from one (a keyed hash that identifies no one
    without the server's secret). Erasure keeps its rows and the export leaves them out; ``reason`` says why."""

    table: Table
    columns: tuple[str, ...]
    reason: str

    def __post_init__(self) -> None:
        t = self.table
        missing = [c for c in self.columns if c not in t.c]
        if missing or not self.columns:
            raise ValueError(f"{t.name}: no column {', '.join(missing) or '(none named)'}")
        ids = [c.name for c in t.columns if looks_like_user_id(c)]
        if ids:
            raise ValueError(f"{t.name}: {', '.join(ids)} may hold a member's id; declare it as PersonalData")
        if not self.reason:
            raise ValueError(f"{t.name}: say why it is kept")


def check_registry(declarations: Iterable[PersonalData], *, reserved: Iterable[str] = ()) -> tuple[PersonalData, ...]:
    """The declarations as a tuple, once each table is declared at most once and export keys are unique
    (``reserved``: the keys the export's header uses)."""
    out = tuple(declarations)
    tables = [d.table.name for d in out]
    keys = [s.key for d in out for s in d.export] + list(reserved)
    for what, names in (("table", tables), ("export key", keys)):
        doubles = sorted({n for n in names if names.count(n) > 1})
        if doubles:
            raise ValueError(f"personal data declared twice: {what} {', '.join(doubles)}")
    return out


# --------------------------------------------------------------------------- the rule for the schema

# Columns named for a person hold a member's id, whatever their type.
PERSON_NAME = re.compile(
    r"(^|_)(user|member|actor|target|reporter|giver|receiver|recipient|author|answerer|owner|creator|moderator"
    r"|assignee|voter|follower)_id$|_by$|^assigned_to$"
)
# A snowflake column named for another kind of Discord object does not.
OTHER_OBJECT = re.compile(r"(^|_)(guild|channel|message|thread|forum|role|emoji|webhook|application|sticker)_id$")


def _is_snowflake(column: Any) -> bool:
    # Snowflakes are BIGINT everywhere; surrogate keys are BIGINT too, but INTEGER on SQLite (AUTOINCREMENT).
    try:
        return str(column.type.compile(dialect=sqlite.dialect())) == "BIGINT"
    except Exception:  # pragma: no cover - a type SQLite cannot render is no snowflake
        return False


def looks_like_user_id(column: Any) -> bool:
    """Whether a column may hold a member's Discord id: an integer column named for a person (``user_id``,
    ``*_user_id``, ``reporter_id``, ``actor_id``, ``created_by``, ``assigned_to``, …), or a snowflake that is not
    the id of another kind of Discord object (guild, channel, message, thread, forum, role, …) nor the table's
    own key. Text columns are not id columns (``timers.claimed_by`` names a worker); an id inside text is a
    :attr:`Pseudonymise.swap`."""
    name = column.name
    if not isinstance(column.type, Integer):
        return False
    if PERSON_NAME.search(name):
        return True
    return _is_snowflake(column) and name != "id" and not OTHER_OBJECT.search(name)


# Columns named for a value derived from a member's id (a keyed hash).
MARK_NAME = re.compile(r"(^|_)(member|user)_(mark|hash|hmac)$")


def undeclared_marks(metadata: MetaData, kept: Iterable[NoMemberIds]) -> list[str]:
    """``table.column`` of every column named for a member-derived value that no :class:`NoMemberIds` names."""
    declared = {(k.table.name, c) for k in kept for c in k.columns}
    return sorted(f"{table.name}.{column.name}" for table in metadata.sorted_tables for column in table.columns
                  if MARK_NAME.search(column.name) and (table.name, column.name) not in declared)


def undeclared_user_columns(metadata: MetaData, declarations: Iterable[PersonalData]) -> list[str]:
    """``table.column`` of every column that looks like a member's id but no declaration names."""
    declared = {(d.table.name, c) for d in declarations for c in d.user_columns}
    return sorted(
        f"{table.name}.{column.name}"
        for table in metadata.sorted_tables for column in table.columns
        if looks_like_user_id(column) and (table.name, column.name) not in declared
    )
