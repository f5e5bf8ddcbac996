"""The settings service on both databases: a server's changes over the file, validated by the config models,
audited, stored, loaded again at start, refused when stale, and seen by a second process."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from sqlalchemy import select

from bot.ledger import LedgerPolicy
from bot.platform.audit import store as audit_store
from bot.platform.clock import FakeClock
from bot.platform.config import loads_config
from bot.platform.config.per_guild import GuildConfigs, PerGuild
from bot.platform.db import Database
from bot.platform.errors import Conflict, InvalidInput
from bot.settings.keys import all_keys, find_key, parse_value, toml_value
from bot.settings.service import SettingsService
from bot.settings.tables import setting_overrides

G = 111
OTHER = 222
STAFF = 42

FILE = f"""
[guilds.default]
staff_roles = ["Staff"]
[guilds.default.points]
thanks = 3
[guilds.{G}.points]
answer = 12
"""


def service(db: Database, clock: FakeClock) -> SettingsService:
    return SettingsService(db, clock, GuildConfigs(loads_config(FILE)))


async def audit_lines(db: Database, guild_id: int = G) -> list[dict[str, Any]]:
    async with db.connect() as conn:
        return list(reversed(await audit_store.recent(conn, guild_id)))


async def test_set_takes_effect_is_audited_and_survives_a_restart(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    await svc.load()
    assert svc.configs(G).points.answer == 12
    seen: list[int] = []
    svc.subscribe(seen.append)
    setting = await svc.set(G, "points.answer", "25", STAFF)
    assert (setting.value, setting.file_value, setting.source) == (25, 12, "server")
    assert svc.configs(G).points.answer == 25
    assert svc.configs(OTHER).points.answer == 10  # another server keeps the file's
    assert seen == [G]
    [line] = await audit_lines(db)
    assert (line["action"], line["actor_id"]) == ("settings.set", STAFF)
    assert line["details"] == {"key": "points.answer", "old": "12", "new": "25", "version": setting.version,
                               "via": "command"}
    # a new process (a restart) loads it
    again = service(db, clock)
    assert again.configs(G).points.answer == 12
    await again.load()
    assert again.configs(G).points.answer == 25
    assert again.show(G, "points.answer")[0].source == "server"


async def test_reset_goes_back_to_the_file(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    await svc.load()
    await svc.set(G, "points.thanks", "7", STAFF)
    reset = await svc.reset(G, "points.thanks", STAFF)
    assert (reset.value, reset.source) == (3, "file")
    assert svc.configs(G).points.thanks == 3
    lines = await audit_lines(db)
    assert [(x["action"], x["details"]["old"], x["details"]["new"]) for x in lines] == [
        ("settings.set", "3", "7"), ("settings.reset", "7", "3")]
    restarted = service(db, clock)
    await restarted.load()
    assert restarted.configs(G).points.thanks == 3


async def test_values_are_validated_by_the_config_models_naming_the_key(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    await svc.load()
    with pytest.raises(InvalidInput, match=r"^`points.answer`: must be >= 0 \(got -1\)$"):
        await svc.set(G, "points.answer", "-1", STAFF)
    with pytest.raises(InvalidInput, match=r"`points.answer`: expected an integer \(got string\)"):
        await svc.set(G, "points.answer", '"ten"', STAFF)
    # a cross-field rule names the key it is about
    with pytest.raises(InvalidInput, match=r"`announcements.per_channel_per_day`: must not exceed"):
        await svc.set(G, "announcements.per_channel_per_week", "1", STAFF)
    with pytest.raises(InvalidInput, match=r"`ledger.receipts`: must be one of: dm, ephemeral, off"):
        await svc.set(G, "ledger.receipts", "loud", STAFF)
    assert svc.configs(G).points.answer == 12
    assert await audit_lines(db) == []
    async with db.connect() as conn:
        assert list(await conn.execute(select(setting_overrides))) == []


async def test_unknown_and_process_keys_are_refused(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    with pytest.raises(InvalidInput, match=r"`points.answr` is not a setting \(did you mean `points.answer`\?\)"):
        await svc.set(G, "points.answr", "5", STAFF)
    with pytest.raises(InvalidInput, match=r"process-level setting: it stays in config.toml \(\[bot\]\)"):
        await svc.set(G, "bot.log_level", '"DEBUG"', STAFF)
    with pytest.raises(InvalidInput, match=r"\[web\]"):
        find_key("web.port")
    with pytest.raises(InvalidInput, match="/rewards rule"):
        find_key("rewards")


async def test_lists_strings_and_table_entries(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    await svc.load()
    await svc.set(G, "staff_roles", '["Staff", "Team"]', STAFF)
    await svc.set(G, "channels.showcase", '"#showcase"', STAFF)
    await svc.set(G, "caps.points_per_kind_per_day.thanks", "6", STAFF)
    cfg = svc.configs(G)
    assert cfg.staff_roles == ["Staff", "Team"]
    assert cfg.channels.showcase == "#showcase"
    # an entry of a table is merged with the file's entries
    assert cfg.caps.points_per_kind_per_day == {"feedback_given": 15, "thanks": 6}
    # the table set as a whole takes the place of its entries
    await svc.set(G, "caps.points_per_kind_per_day", "{answer = 40}", STAFF)
    assert svc.configs(G).caps.points_per_kind_per_day == {"answer": 40}
    entry = svc.show(G, "caps.points_per_kind_per_day.thanks")[0]
    assert entry.value is None and entry.source == "server"  # the whole table is the server's


async def test_stale_save_is_refused(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    await svc.load()
    loaded = svc.show(G, "points.answer")[0]
    assert loaded.version == 0
    first = await svc.set(G, "points.answer", "20", STAFF, expected_version=loaded.version)
    with pytest.raises(Conflict, match=r"`points.answer` was changed by someone else since you loaded it"):
        await svc.set(G, "points.answer", "30", STAFF + 1, expected_version=loaded.version)
    assert svc.configs(G).points.answer == 20
    # based on the current version it goes through; another key's version is its own
    await svc.set(G, "points.answer", "30", STAFF + 1, expected_version=first.version)
    await svc.set(G, "points.thanks", "4", STAFF, expected_version=0)
    assert (svc.configs(G).points.answer, svc.configs(G).points.thanks) == (30, 4)


async def test_export_round_trips_and_import_is_all_or_nothing(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    await svc.load()
    await svc.set(G, "points.answer", "25", STAFF)
    text = svc.export(G)
    data = tomllib.loads(text)
    assert data["points"]["answer"] == 25 and data["feedback"]["tags"]["bug"] == "Bug"
    assert "rewards" not in data and "perk_pools" not in data
    # the export imports back with nothing to change
    assert await svc.import_(G, text, STAFF) == []
    edited = text.replace("answer = 25", "answer = 30").replace("thanks = 3", "thanks = 9")
    bad = edited.replace("[curation]", "[curation]\nstarbord_threshold = 3")
    with pytest.raises(InvalidInput, match=r"Nothing was changed: `curation.starbord_threshold` is not a setting "
                                           r"\(did you mean `curation.starboard_threshold`\?\)"):
        await svc.import_(G, bad, STAFF)
    with pytest.raises(InvalidInput, match=r"`points.creation`: must be >= 0"):
        await svc.import_(G, edited.replace("creation = 8", "creation = -8"), STAFF)
    assert (svc.configs(G).points.answer, svc.configs(G).points.thanks) == (25, 3)
    changed = await svc.import_(G, edited, STAFF)
    assert sorted(s.key.path for s in changed) == ["points.answer", "points.thanks"]
    assert (svc.configs(G).points.answer, svc.configs(G).points.thanks) == (30, 9)
    # a value equal to the file's is the file's again
    back = await svc.import_(G, "[points]\nanswer = 12\n", STAFF)
    assert [(s.key.path, s.source) for s in back] == [("points.answer", "file")]


async def test_a_second_process_sees_the_change(db: Database, clock: FakeClock) -> None:
    """Two processes on one database: a change in one is picked up by the other's poll (on PostgreSQL
    the bot polls every half second, tests/settings/test_e2e.py shows it end to end)."""
    one, two = service(db, clock), service(Database(db.url), clock)
    try:
        await one.load()
        await two.load()
        seen: list[int] = []
        two.subscribe(seen.append)
        assert await two.poll() == []
        await one.set(G, "points.answer", "25", STAFF)
        assert two.configs(G).points.answer == 12
        assert await two.poll() == [G]
        assert two.configs(G).points.answer == 25 and seen == [G]
        await one.reset(G, "points.answer", STAFF)
        assert await two.poll() == [G]
        assert two.configs(G).points.answer == 12
        # a stale save across processes is refused too
        await one.set(G, "points.thanks", "5", STAFF)
        with pytest.raises(Conflict):
            await two.set(G, "points.thanks", "6", STAFF, expected_version=0)
    finally:
        await two.db.close()


async def test_a_stored_setting_the_file_no_longer_allows_is_left_out(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    await svc.load()
    await svc.set(G, "announcements.per_channel_per_day", "4", STAFF)
    await svc.set(G, "points.answer", "25", STAFF)
    # the file now caps the week at 3: the stored day count would exceed it
    strict = FILE + f"[guilds.{G}.announcements]\nper_channel_per_week = 3\nper_channel_per_day = 1\n"
    restarted = SettingsService(db, clock, GuildConfigs(loads_config(strict)))
    await restarted.load()
    cfg = restarted.configs(G)
    assert (cfg.announcements.per_channel_per_day, cfg.points.answer) == (1, 25)


def test_keys_and_values() -> None:
    keys = all_keys()
    assert {"points.answer", "channels.showcase", "caps.points_per_kind_per_day.thanks", "feedback.tags.bug",
            "staff_roles", "betas.alumni_role", "seasons"} <= set(keys)
    assert not any(k.startswith(("rewards", "perk_pools")) for k in keys)
    assert parse_value("25") == 25 and parse_value('"#showcase"') == "#showcase"
    assert parse_value('["Staff", "Team"]') == ["Staff", "Team"] and parse_value("showcase") == "showcase"
    with pytest.raises(InvalidInput, match="one value"):
        parse_value("1\nother = 2")
    for value in (25, "a \"quoted\" \x7f ✓", ["Staff", 12], {"thanks": 3, "odd key": True}, 1.5):
        assert parse_value(toml_value(value)) == value


async def test_two_saves_at_once_of_the_same_version_one_is_refused(db: Database, clock: FakeClock) -> None:
    """Two staff in two processes save the same key, both based on version 0, at the same moment: the server's
    version row serialises them, and the later one is refused as stale; saves of other keys both land."""
    import asyncio

    one, two = service(db, clock), service(Database(db.url), clock)
    try:
        await one.load()
        await two.load()
        results = await asyncio.gather(one.set(G, "points.answer", "20", STAFF, expected_version=0),
                                       two.set(G, "points.answer", "30", STAFF + 1, expected_version=0),
                                       return_exceptions=True)
        refused = [r for r in results if isinstance(r, Exception)]
        assert len(refused) == 1 and isinstance(refused[0], Conflict)
        winner = next(r for r in results if not isinstance(r, Exception))
        await one.poll()
        await two.poll()
        assert one.configs(G).points.answer == two.configs(G).points.answer == winner.value
        await asyncio.gather(one.set(G, "points.thanks", "5", STAFF), two.set(G, "points.curation", "6", STAFF))
        await one.poll()
        await two.poll()
        for svc in (one, two):
            assert (svc.configs(G).points.thanks, svc.configs(G).points.curation) == (5, 6)
        assert one.version(G) == two.version(G) == 3
    finally:
        await two.db.close()


async def test_seasons_as_toml_and_the_same_value_written_another_way(db: Database, clock: FakeClock) -> None:
    svc = service(db, clock)
    await svc.load()
    season = await svc.set(G, "seasons", '[{id = "s1", starts = 2026-01-01, ends = 2026-02-01T00:00:00Z}]', STAFF)
    assert season.text == '[{id = "s1", starts = 2026-01-01T00:00:00Z, ends = 2026-02-01T00:00:00Z}]'
    assert [s.id for s in svc.configs(G).seasons] == ["s1"]
    # the export writes midnight as a datetime: importing it back changes nothing and audits nothing
    lines = len(await audit_lines(db))
    assert await svc.import_(G, svc.export(G), STAFF) == []
    assert len(await audit_lines(db)) == lines
    with pytest.raises(InvalidInput, match=r"`seasons\[0\].ends`: must be after starts"):
        await svc.set(G, "seasons", '[{id = "s2", starts = 2026-03-01, ends = 2026-02-01}]', STAFF)


async def test_a_policy_is_built_once_per_config_and_again_on_every_change(db: Database, clock: FakeClock) -> None:
    """bot.platform.config.per_guild.PerGuild: the ledger's rules for a guild are built from its config once,
    not on every command and credit, and built again as soon as a setting changes it (set, reset, another
    process's change), so the change applies to the very next call."""
    svc = service(db, clock)
    await svc.load()
    built: list[int] = []

    def build(cfg: Any) -> LedgerPolicy:
        built.append(cfg.points.answer)
        return LedgerPolicy.from_config(cfg)

    policy_for = PerGuild(svc.configs, build)
    first = policy_for(G)
    assert policy_for(G) is first and first.points_for("answer") == 12
    assert policy_for(OTHER).points_for("answer") == 10 and policy_for(OTHER) is policy_for(OTHER)
    assert built == [12, 10]
    await svc.set(G, "points.answer", "25", STAFF)
    assert policy_for(G).points_for("answer") == 25 and policy_for(OTHER).points_for("answer") == 10
    await svc.reset(G, "points.answer", STAFF)
    assert policy_for(G).points_for("answer") == 12
    two = service(Database(db.url), clock)
    try:
        await two.load()
        other_process = PerGuild(two.configs, LedgerPolicy.from_config)
        assert other_process(G).points_for("answer") == 12
        await svc.set(G, "points.answer", "30", STAFF)
        assert await two.poll() == [G]
        assert other_process(G).points_for("answer") == 30
    finally:
        await two.db.close()
    assert built == [12, 10, 25, 12]  # one build per config, none per call
