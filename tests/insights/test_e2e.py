"""Insights and members' data rights end to end: the real bot on the emulator, files as Discord receives them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from bot.betas.tables import beta_participants, betas
from bot.cli import main as cli_main
from bot.contributions.tables import help_posts
from bot.feedback.tables import feedback
from bot.insights import charts
from bot.platform.tables import audit_log, members
from bot.rewards.tables import grants, perk_codes, perk_pools
from bot.sandbox.harness import Harness, MemberSpec, WorldSpec
from bot.schema import metadata

CODE = "ACME-BETA-7777-XYZ"


@pytest.fixture
def world() -> WorldSpec:
    w = WorldSpec.default()
    w.members.append(MemberSpec("dave", dms_open=False))
    return w


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"guilds": {"default": {"privacy": {"retention_days_after_leave": 30}}}}


async def credit(h: Harness, name: str, kind: str, key: str, *, actor: str | None = None, reason: str = "") -> Any:
    assert h.bot is not None
    return await h.bot.app.ledger.credit(
        h.guild_id, h.members[name], kind, source_key=key, actor_id=h.members[actor] if actor else None,
        reason=reason, strict=False)


def files_of(reply: Any) -> list[tuple[str, bytes]]:
    return [f for msg in reply.followups for f in msg.files]


async def test_stats_overview_posts_png_charts_with_summaries(kudos: Harness) -> None:
    alice, sam = kudos.member("alice"), kudos.member("sam")
    thread, _ = await alice.post("How do I sync?", in_="help", content="It fails")
    await credit(kudos, "bob", "answer", "ans:1")
    await credit(kudos, "carol", "creation", "cre:1")
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        posts = list(await conn.execute(select(help_posts.c.thread_id)))
    assert [p.thread_id for p in posts] == [thread.id]  # help posts are recorded (no author stored)

    reply = await sam.slash("stats overview", period="30d")
    assert reply.deferred and reply.ephemeral
    files = files_of(reply)
    assert [name for name, _ in files] == ["contributions.png", "ladder.png", "betas.png", "feedback.png", "help.png"]
    for _, png in files:
        assert charts.png_size(png) == (charts.WIDTH, charts.HEIGHT)
    text = reply.content or ""
    assert "2 in total" in text and "answer 1" in text
    assert "0 of 1 have an accepted solution" in text
    assert "no beta announced" in text  # an empty chart says so instead of failing
    attachment = reply.followups[0].attachments[0]
    assert attachment["description"].startswith("Contributions, the last 30 days")  # alt text

    denied = await kudos.member("bob").slash("stats overview")
    assert "Only staff" in (denied.content or "")


async def test_stats_member_timeline(kudos: Harness) -> None:
    await credit(kudos, "alice", "curation", "cur:1", actor="sam")
    await kudos.advance(timedelta(days=2))
    await credit(kudos, "alice", "creation", "cre:1")
    reply = await kudos.member("sam").slash("stats member", member=kudos.members["alice"])
    [(name, png)] = files_of(reply)
    assert name == "timeline.png" and charts.png_size(png) == (800, 450)
    assert "11 points from 2 ledger entries" in (reply.content or "")
    assert "Stages reached: curator on" in (reply.content or "") and "creator on" in (reply.content or "")


async def _seed_beta_with_code(h: Harness) -> None:
    assert h.bot is not None
    now, alice = h.clock.now(), h.members["alice"]
    async with h.bot.db.begin() as conn:
        beta = (await conn.execute(insert(betas).values(
            guild_id=h.guild_id, name="Sync", eligibility={}, status="open", starts_at=now - timedelta(days=1),
            created_by=h.members["sam"], created_at=now - timedelta(days=2)).returning(betas.c.id))).scalar_one()
        await conn.execute(insert(beta_participants).values(beta_id=beta, user_id=alice, status="joined",
                                                            joined_at=now))
        pool = (await conn.execute(insert(perk_pools).values(guild_id=h.guild_id, name="beta", created_at=now)
                                   .returning(perk_pools.c.id))).scalar_one()
        grant = (await conn.execute(insert(grants).values(
            guild_id=h.guild_id, user_id=alice, rule_name="beta:Sync", action="perk", payload={"pool": "beta"},
            status="delivered", dedupe_key=f"beta:{beta}:{alice}:perk", created_at=now, delivered_at=now)
            .returning(grants.c.id))).scalar_one()
        await conn.execute(insert(perk_codes).values(pool_id=pool, code=CODE, assigned_to=alice, grant_id=grant,
                                                     assigned_at=now, created_at=now))
        await conn.execute(insert(feedback).values(
            guild_id=h.guild_id, beta_id=beta, reporter_id=alice, type="bug", title="Alice's sync crash",
            details="My laptop at home crashes", status="shipped", created_at=now, updated_at=now))


async def test_export_csv_masks_codes_and_cli_writes_the_same(kudos: Harness, tmp_path: Path) -> None:
    await _seed_beta_with_code(kudos)
    await credit(kudos, "bob", "thanks", "thx:1", actor="alice", reason="=cmd|calc")
    sam = kudos.member("sam")
    reply = await sam.slash("export", what="betas", period="30d")
    [(name, data)] = files_of(reply)
    assert name.startswith("betas-30d-") and name.endswith(".csv")
    assert CODE.encode() not in data
    [row] = list(csv.DictReader(io.StringIO(data.decode())))
    assert row["beta"] == "Sync" and row["member"] == str(kudos.members["alice"])
    assert row["perk_codes"] == "AC••••••••••••••YZ"
    assert "Perk codes are masked" in (reply.content or "")

    contrib = await sam.slash("export", what="contributions")
    [(_, data)] = files_of(contrib)
    [thanks] = list(csv.DictReader(io.StringIO(data.decode())))
    assert thanks["kind"] == "thanks" and thanks["reason"] == "'=cmd|calc"  # no spreadsheet formula

    config = tmp_path / "cli.toml"
    config.write_text(f'[bot]\ndatabase_url = "{kudos.database_url}"\n')
    out = tmp_path / "betas.csv"
    code = await asyncio.to_thread(cli_main, ["export", "--guild", str(kudos.guild_id), "--what", "betas",
                                              "--out", str(out), "--config", str(config)])
    assert code == 0
    assert out.read_bytes() == data_of_betas(reply)


def data_of_betas(reply: Any) -> bytes:
    return files_of(reply)[0][1]


async def _everything(h: Harness) -> str:
    """Every row of every table, as text (to look for a member's id or words)."""
    assert h.bot is not None
    out = []
    async with h.bot.db.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name == "timers":
                continue  # transient: documented as out of scope
            out += [repr(tuple(r)) for r in await conn.execute(select(table))]
    return "\n".join(out)


async def test_export_forget_export_leaves_nothing_personal(kudos: Harness) -> None:
    await _seed_beta_with_code(kudos)
    alice = kudos.member("alice")
    await credit(kudos, "alice", "thanks", "thx:1", actor="bob", reason="alice fixed my setup")
    await credit(kudos, "bob", "thanks", "thx:2", actor="alice", reason="bob is great")
    assert kudos.bot is not None
    totals_before = await kudos.bot.app.ledger.leaderboard(kudos.guild_id, "all")

    reply = await alice.slash("mydata export")
    assert "check your DMs" in (reply.content or "")
    [dm] = alice.dms()
    [(name, raw)] = dm.files
    data = json.loads(raw)
    assert name.endswith(".json") and data["member_id"] == str(alice.id)
    assert [c["reason"] for c in data["contributions_received"]] == ["alice fixed my setup"]
    assert [c["reason"] for c in data["contributions_given"]] == ["bob is great"]
    assert data["feedback_reported"][0]["details"] == "My laptop at home crashes"
    assert data["perk_codes"][0]["code"] != CODE and data["betas"][0]["name"] == "Sync"

    ask = await alice.slash("mydata forget")
    assert ask.ephemeral and "can't be undone" in (ask.content or "")
    stranger = await kudos.member("bob").click(ask.message.id, label="Erase my data")
    assert "Only the member who asked" in (stranger.content or "")
    done = await alice.click(ask.message.id, label="Erase my data")
    assert "was erased" in (done.content or "")

    await alice.slash("mydata export")
    again = json.loads(alice.dms()[-1].files[0][1])
    personal = {k: v for k, v in again.items() if k not in ("format", "generated_at", "server_id", "member_id", "about")}
    assert all(not v for v in personal.values()), personal
    dump = await _everything(kudos)
    for secret in (str(alice.id), "alice fixed my setup", "bob is great", "My laptop", "Alice's sync crash"):
        assert secret not in dump, secret
    # aggregates stay: the same totals, alice's now under a pseudonym; her code stays delivered
    totals_after = await kudos.bot.app.ledger.leaderboard(kudos.guild_id, "all")
    assert sorted(e.points for e in totals_after) == sorted(e.points for e in totals_before)
    assert any(e.user_id < 0 for e in totals_after)
    async with kudos.bot.db.connect() as conn:
        code = (await conn.execute(select(perk_codes.c.assigned_to, grants.c.status)
                                   .join(grants, grants.c.id == perk_codes.c.grant_id))).one()
        erase = (await conn.execute(select(audit_log).where(audit_log.c.action == "privacy.erase"))).one()
    assert code.assigned_to < 0 and code.status == "delivered"
    assert erase.target_id == code.assigned_to and erase.details["via"] == "request"

    twice = await alice.slash("mydata forget")
    assert "nothing to erase" in (twice.content or "")
    assert twice.ephemeral


async def test_export_with_closed_dms_is_an_ephemeral_file(kudos: Harness) -> None:
    await credit(kudos, "dave", "answer", "ans:1")
    dave = kudos.member("dave")
    reply = await dave.slash("mydata export")
    assert reply.ephemeral and "couldn't DM you" in (reply.content or "")
    [(name, raw)] = files_of(reply)
    assert json.loads(raw)["contributions_received"][0]["kind"] == "answer"
    assert dave.dms() == []


async def test_tracking_off_credits_nothing_with_a_clear_reply(kudos: Harness) -> None:
    alice, bob = kudos.member("alice"), kudos.member("bob")
    off = await alice.slash("mydata tracking", state="off")
    assert "tracking is off" in (off.content or "")
    again = await alice.slash("mydata tracking", state="off")
    assert "already off" in (again.content or "")

    thanks = await bob.slash("thanks", member=alice.id)
    assert thanks.ephemeral and "turned contribution tracking off" in (thanks.content or "")
    answer = await credit(kudos, "alice", "answer", "ans:1")
    assert answer.status == "refused" and "tracking off" in answer.message
    assert kudos.bot is not None
    assert (await kudos.bot.app.ledger.profile(kudos.guild_id, alice.id)).total_points == 0

    on = await alice.slash("mydata tracking", state="on")
    assert "on again" in (on.content or "")
    assert (await credit(kudos, "alice", "answer", "ans:2")).status == "credited"


async def test_retention_purges_members_who_left_long_ago(kudos: Harness) -> None:
    bob, carol = kudos.member("bob"), kudos.member("carol")
    await credit(kudos, "bob", "answer", "ans:1")
    await credit(kudos, "carol", "answer", "ans:2")
    await bob.leave()
    assert kudos.bot is not None
    async with kudos.bot.db.connect() as conn:
        left = (await conn.execute(select(members.c.left_at).where(members.c.user_id == bob.id))).scalar_one()
    assert left == kudos.clock.now()

    await kudos.advance(timedelta(days=29))
    assert (await kudos.bot.app.ledger.profile(kudos.guild_id, bob.id)).total_points == 10  # kept so far
    await kudos.advance(timedelta(days=2))
    assert (await kudos.bot.app.ledger.profile(kudos.guild_id, bob.id)).total_points == 0
    assert (await kudos.bot.app.ledger.profile(kudos.guild_id, carol.id)).total_points == 10  # still here
    async with kudos.bot.db.connect() as conn:
        erased = list(await conn.execute(select(audit_log.c.details).where(audit_log.c.action == "privacy.erase")))
        gone = (await conn.execute(select(members).where(members.c.user_id == bob.id))).all()
    assert [e.details["via"] for e in erased] == ["retention"] and gone == []
    assert str(bob.id) not in await _everything(kudos)
