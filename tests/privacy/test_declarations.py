"""Personal-data declarations: every column of the schema that can hold a member's id is declared, the rule that
finds such columns catches what it should, declarations are checked when made, and bot/privacy reaches the
features' tables only through the declarations."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

from bot.platform.clock import FakeClock
from bot.platform.db.types import Snowflake, SurrogateKey
from bot.platform.personal import (
    Delete,
    Keep,
    NoMemberIds,
    PersonalData,
    Pseudonymise,
    Section,
    ViaParent,
    check_registry,
    looks_like_user_id,
    undeclared_marks,
    undeclared_user_columns,
)
from bot.privacy import PrivacyService
from bot.schema import NO_MEMBER_IDS, PERSONAL_DATA, metadata
from tests.privacy._seed import T0

ROOT = Path(__file__).resolve().parents[2]


def test_every_column_that_can_hold_a_member_id_is_declared() -> None:
    assert undeclared_user_columns(metadata, PERSONAL_DATA) == [], (
        "declare these in the feature's personal.py (bot/platform/personal.py says how), and add them to "
        "bot.schema.PERSONAL_DATA")
    # ... and the declarations name exactly those columns: nothing that is not a member's id.
    found = {f"{t.name}.{c.name}" for t in metadata.sorted_tables for c in t.columns if looks_like_user_id(c)}
    declared = {f"{d.table.name}.{c}" for d in PERSONAL_DATA for c in d.user_columns}
    assert declared == found
    # Every declared table is in the schema (one MetaData).
    assert all(metadata.tables.get(d.table.name) is d.table for d in PERSONAL_DATA)
    # The ones issue #17 found missing are covered.
    assert {"web_sessions.user_id", "web_login_nonces.user_id"} <= declared


def test_tables_of_member_marks_are_declared_as_holding_no_member_id() -> None:
    """The rewards' marks (issue #19) survive erasure on purpose: they hold a keyed hash of the member, not an
    id, and are declared so, with the reason. A column named for such a value must be declared; a table declared
    so may hold no column that looks like a member's id, and is not also personal data."""
    assert undeclared_marks(metadata, NO_MEMBER_IDS) == []
    kept = {k.table.name for k in NO_MEMBER_IDS}
    assert {"reward_earned", "perk_holders"} <= kept
    assert not kept & {d.table.name for d in PERSONAL_DATA}
    assert all(k.reason and metadata.tables.get(k.table.name) is k.table for k in NO_MEMBER_IDS)
    scratch = MetaData()
    marks = Table("marks", scratch, Column("guild_id", Snowflake), Column("member_mark", String(64)),
                  Column("giver_hash", String(64)), Column("user_hmac", String(64)))
    assert undeclared_marks(scratch, []) == ["marks.member_mark", "marks.user_hmac"]
    with pytest.raises(ValueError, match="may hold a member's id"):
        NoMemberIds(Table("bad", scratch, Column("member_mark", String(64)), Column("user_id", Snowflake)),
                    ("member_mark",), reason="x")
    with pytest.raises(ValueError, match="say why"):
        NoMemberIds(marks, ("member_mark",), reason="")


def test_the_rule_flags_person_columns_and_snowflakes_of_no_other_kind() -> None:
    scratch = MetaData()
    Table("parents", scratch, Column("id", SurrogateKey, primary_key=True))
    tips = Table(
        "tips", scratch,
        Column("id", SurrogateKey, primary_key=True),
        Column("guild_id", Snowflake, nullable=False),
        Column("giver_id", Snowflake),  # named for a person
        Column("moderator_user_id", Integer),  # *_user_id, whatever the integer type
        Column("approved_by", Snowflake),  # *_by
        Column("approver", Snowflake),  # a snowflake that names no other kind of Discord object
        Column("channel_id", Snowflake), Column("showcase_message_id", Snowflake), Column("ping_role_id", Snowflake),
        Column("thread_id", Snowflake), Column("forum_id", Snowflake),
        Column("parent_id", SurrogateKey, ForeignKey("parents.id")),  # a surrogate key, not a snowflake
        Column("claimed_by", String(64)),  # text: a worker's name
        Column("points", Integer),
    )
    assert undeclared_user_columns(scratch, []) == ["tips.approved_by", "tips.approver", "tips.giver_id",
                                                    "tips.moderator_user_id"]
    declared = [PersonalData(tips, ("giver_id", "approver"), erase=Pseudonymise())]
    assert undeclared_user_columns(scratch, declared) == ["tips.approved_by", "tips.moderator_user_id"]


def test_declarations_are_checked_when_made() -> None:
    solutions = metadata.tables["solutions"]
    votes, feedback = metadata.tables["feedback_votes"], metadata.tables["feedback"]
    with pytest.raises(ValueError, match="no column answerer"):
        PersonalData(solutions, ("answerer",), erase=Pseudonymise())
    with pytest.raises(ValueError, match="no column reason"):
        PersonalData(solutions, ("answerer_id",), erase=Pseudonymise(blank={"reason": ""}))
    with pytest.raises(ValueError, match="accepted_by is not one of the declared"):
        PersonalData(solutions, ("answerer_id",), erase=Pseudonymise(),
                     export=(Section("s", columns=("thread_id",), flags=(("mine", "accepted_by"),)),))
    with pytest.raises(ValueError, match="parent_columns need a ViaParent"):
        PersonalData(solutions, ("answerer_id",), erase=Pseudonymise(),
                     export=(Section("s", columns=("thread_id",), parent_columns=(("x", "name"),)),))
    with pytest.raises(ValueError, match="no column titel in feedback"):
        PersonalData(votes, ("user_id",), guild=ViaParent("feedback_id", feedback), erase=Delete(),
                     export=(Section("v", columns=("created_at",), parent_columns=(("t", "titel"),)),))
    with pytest.raises(ValueError, match="exactly one column"):
        PersonalData(votes, ("user_id",), guild=ViaParent("feedback_id", feedback), erase=Keep("x"),
                     export=(Section("v", columns=("created_at", "feedback_id"), single=True),))
    with pytest.raises(ValueError, match="no column guild_id"):
        PersonalData(votes, ("user_id",), erase=Delete())  # feedback_votes has no guild: it needs ViaParent


def test_a_table_or_export_key_declared_twice_is_refused() -> None:
    members = next(d for d in PERSONAL_DATA if d.table.name == "members")
    with pytest.raises(ValueError, match="table members"):
        check_registry([*PERSONAL_DATA, members])
    clash = PersonalData(metadata.tables["web_sessions"], ("user_id",), erase=Delete(),
                         export=(Section("member_id", columns=("created_at",)),))
    others = [d for d in PERSONAL_DATA if d.table.name != "web_sessions"]
    with pytest.raises(ValueError, match="export key member_id"):  # a key of the export's header
        PrivacyService(None, FakeClock(T0), lambda _g: 0, personal_data=[*others, clash])  # type: ignore[arg-type]


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_privacy_reaches_other_features_tables_only_through_declarations() -> None:
    imported = set().union(*(_imports(p) for p in (ROOT / "bot" / "privacy").glob("*.py")))
    tables = {m for m in imported if m.endswith(".tables") or ".tables." in m}
    assert tables <= {"bot.privacy.tables", "bot.platform.tables", "bot.platform.tables.members",
                      "bot.privacy.tables.privacy_optouts", "bot.privacy.tables.privacy_public_names"}, tables
    assert not any(m.startswith(("bot.schema", "bot.sandbox")) for m in imported)


def test_no_feature_imports_the_sandbox() -> None:
    features = [p for p in (ROOT / "bot").iterdir() if p.is_dir() and p.name not in ("sandbox", "emulator")]
    offenders = sorted(str(path.relative_to(ROOT)) for feature in features for path in feature.rglob("*.py")
                       if any(m.startswith("bot.sandbox") for m in _imports(path)))
    assert offenders == []
