"""``/mydata export`` and ``/mydata forget`` run from the declarations, on both backends: after a forget no declared
user-id column of the server holds the member's real id, other members and other servers keep theirs, the
pseudonym takes the member's place where rows are kept, free text is gone, and the export is empty."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.platform.clock import FakeClock
from bot.platform.db import Database
from bot.platform.errors import NotFound
from bot.platform.personal import Custom, Delete, Erasing, Keep, PersonalData, ViaParent
from bot.privacy import PrivacyService
from bot.rewards.tables import grants
from bot.schema import PERSONAL_DATA, metadata
from tests.privacy._seed import CODE, G2, SECRETS, T0, G, M, X, seed


def _in_guild(decl: PersonalData, guild_id: int) -> Any:
    t, guild = decl.table, decl.guild
    if isinstance(guild, ViaParent):
        return t.c[guild.column].in_(select(guild.parent.c[guild.key]).where(guild.parent.c[guild.guild] == guild_id))
    return t.c[guild] == guild_id


async def _holding(db: Database, user_id: int) -> dict[tuple[str, str, int], int]:
    """Rows per (table, declared user-id column, guild) that hold ``user_id``."""
    out = {}
    async with db.connect() as conn:
        for decl in PERSONAL_DATA:
            for column in decl.user_columns:
                for guild_id in (G, G2):
                    n = (await conn.execute(select(func.count()).select_from(decl.table).where(
                        _in_guild(decl, guild_id), decl.table.c[column] == user_id))).scalar_one()
                    out[(decl.table.name, column, guild_id)] = int(n)
    return out


@pytest.fixture
async def seeded(db: Database) -> tuple[PrivacyService, FakeClock]:
    async with db.begin() as conn:
        await seed(conn)
    clock = FakeClock(T0 + timedelta(days=1))
    return PrivacyService(db, clock, lambda _g: 0, personal_data=PERSONAL_DATA), clock


async def test_forget_leaves_no_declared_user_column_holding_the_members_id(
    db: Database, seeded: tuple[PrivacyService, FakeClock]
) -> None:
    privacy, _ = seeded
    before, others_before = await _holding(db, M), await _holding(db, X)
    # The seed puts the member in every declared column, so the check below checks every one of them.
    unseeded = sorted(f"{t}.{c}" for (t, c, g), n in before.items() if g == G and n == 0)
    assert unseeded == [], "tests/privacy/_seed.py: add a row about M for these columns"

    erased = await privacy.forget(G, M)
    assert erased.pseudonym < 0 and erased.total > 0
    after, as_pseudonym = await _holding(db, M), await _holding(db, erased.pseudonym)
    by_table = {d.table.name: d for d in PERSONAL_DATA}
    for (table, column, guild_id), n in before.items():
        how = by_table[table].erase
        if guild_id == G2:
            assert after[(table, column, G2)] == n, (table, column)  # erasure is per server
        elif isinstance(how, Keep):
            assert after[(table, column, G)] == n  # kept on purpose: the tracking opt-out
        else:
            assert after[(table, column, G)] == 0, f"{table}.{column} still holds the member's id"
            # Deleted rows are gone; kept rows (pseudonymised, or the audit log's own rewrite) hold the pseudonym.
            expected = 0 if isinstance(how, Delete) else n
            if (table, column) == ("audit_log", "target_id"):
                expected += 1  # the erasure's own entry, privacy.erase, names the pseudonym
            assert as_pseudonym[(table, column, G)] == expected, (table, column)
    assert await _holding(db, X) == others_before  # nobody else's rows changed hands
    assert {t for (t, _, g), n in before.items() if g == G and n and isinstance(by_table[t].erase, Keep)} == {
        "privacy_optouts"}
    assert erased.rows["web_sessions"] == 1 and "privacy_optouts" not in erased.rows

    # Nothing in the server's rows says who it was: no id (in keys, causes, audit details), no name, no text.
    dump = []
    async with db.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in ("privacy_optouts", "guilds"):
                continue
            stmt = select(table)
            if "guild_id" in table.c:
                stmt = stmt.where(table.c.guild_id != G2)
            dump += [repr(tuple(r)) for r in await conn.execute(stmt)]
        statuses = dict((await conn.execute(select(grants.c.action, grants.c.status)
                                            .where(grants.c.user_id == erased.pseudonym))).all())
    text = "\n".join(dump)
    for secret in (str(M), *SECRETS):
        assert secret not in text, secret
    assert "(erased)" in text and str(erased.pseudonym) in text
    # The delivered perk stays delivered (to the pseudonym); the pending role can no longer reach anyone.
    assert statuses == {"perk": "delivered", "role_add": "revoked"}


async def test_export_then_forget_then_nothing_to_export(seeded: tuple[PrivacyService, FakeClock]) -> None:
    privacy, _ = seeded
    data = await privacy.export(G, M)
    assert data["member_id"] == str(M) and data["member"][0]["display_name"] == "Mia"
    assert data["tracking_off_since"] == T0.isoformat()
    assert [c["reason"] for c in data["contributions_received"]] == ["thanks Mia for the fix", "", ""]
    assert [(c["reason"], set(c)) for c in data["contributions_given"]] == [
        ("Mia wrote this reason", {"id", "kind", "reason", "created_at"})]  # not whom they thanked
    assert [t["points"] for t in data["totals"]] == [10, 10]
    assert [(r["action"], r["status"]) for r in data["rewards"]] == [("perk", "delivered"), ("role_add", "pending")]
    assert data["perk_codes"] == [{"pool": "beta", "code": "AC••••••••••••76", "assigned_at": T0.isoformat(),
                                   "expires_at": None, "voided_at": None}]
    assert [(b["name"], b["status"]) for b in data["betas"]] == [("Sync", "joined")]
    assert data["feedback_reported"][0]["steps"] == "click here then there"
    assert len(data["feedback_votes"]) == len(data["feedback_follows"]) == len(data["feedback_coreported"]) == 1
    assert [s["you_answered"] for s in data["solutions"]] == [True, False]
    assert [p["your_post"] for p in data["featured_posts"]] == [True, False, True]
    assert [(a["action"], a["by_you"]) for a in data["audit_log"]] == [("ledger.reverse", True),
                                                                       ("reward.revoke", False)]
    assert data["activity"] == [{"day": "2026-05-01", "channel_id": 840000000000000001, "messages": 3,
                                 "reactions": 1}]
    # Dashboard sessions and logins are listed, without the cookie's hash or the link's nonce.
    assert data["dashboard_sessions"] == [{"created_at": T0.isoformat(),
                                           "expires_at": (T0 + timedelta(hours=12)).isoformat(), "revoked_at": None}]
    assert data["dashboard_logins"] == [{"used_at": T0.isoformat()}]
    assert CODE not in repr(data) and str(X) not in repr(data)
    assert await privacy.holds_data(G, M)

    await privacy.forget(G, M)
    again = await privacy.export(G, M)
    assert {k for k, v in again.items() if v and k not in ("format", "generated_at", "server_id", "member_id",
                                                          "about")} == {"tracking_off_since"}
    assert not await privacy.holds_data(G, M)
    with pytest.raises(NotFound, match="nothing to erase"):
        await privacy.forget(G, M)
    # Another server's data about the member is untouched.
    elsewhere = await privacy.export(G2, M)
    assert [c["reason"] for c in elsewhere["contributions_received"]] == ["elsewhere"]
    assert elsewhere["member"][0]["display_name"] == "Mimi" and len(elsewhere["dashboard_sessions"]) == 1


async def test_a_custom_declaration_runs_and_counts(db: Database, seeded: tuple[PrivacyService, FakeClock]) -> None:
    """The escape hatch: a declaration's own function erases (here: instead of the generic delete), its count
    is reported under the table, and a Keep leaves rows alone."""
    seen: list[Erasing] = []

    async def erase(conn: Any, erasing: Erasing) -> int:
        seen.append(erasing)
        return 7

    sessions = next(d for d in PERSONAL_DATA if d.table.name == "web_sessions")
    custom = PersonalData(sessions.table, sessions.user_columns, erase=Custom(erase, what="test"))
    kept = [d if d.table.name != "web_sessions" else custom for d in PERSONAL_DATA]
    privacy = PrivacyService(db, seeded[1], lambda _g: 0, personal_data=kept)
    erased = await privacy.forget(G, M)
    assert erased.rows["web_sessions"] == 7
    assert [(e.guild_id, e.user_id, e.pseudonym, e.now) for e in seen] == [(G, M, erased.pseudonym, seeded[1].now())]
    assert (await _holding(db, M))[("web_sessions", "user_id", G)] == 1  # the function chose to leave it


async def test_holds_data_is_whether_erasure_would_find_a_row(
    db: Database, seeded: tuple[PrivacyService, FakeClock]
) -> None:
    """``/mydata forget`` asks ``holds_data`` before it offers the button: one statement, true for a row in any table
    erasure changes (each declaration on its own: the seed holds the member in every one), false for what erasure
    keeps (the tracking opt-out), for someone Kudos never saw, and once the member is erased."""
    _, clock = seeded
    for decl in PERSONAL_DATA:
        alone = PrivacyService(db, clock, lambda _g: 0, personal_data=[decl])
        assert await alone.holds_data(G, M) is not isinstance(decl.erase, Keep), decl.table.name
        assert not await alone.holds_data(G, 830000000000000099), decl.table.name
    privacy = PrivacyService(db, clock, lambda _g: 0, personal_data=PERSONAL_DATA)
    assert await privacy.holds_data(G, M) and await privacy.holds_data(G2, M)
    await privacy.forget(G, M)
    assert not await privacy.holds_data(G, M)
    assert await privacy.holds_data(G2, M)  # another server's data is another question
