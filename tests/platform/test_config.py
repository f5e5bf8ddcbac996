"""Tests of the configuration layer (bot/config): loading, defaults, merging, and error messages."""

from __future__ import annotations

import json
import re
import textwrap
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.platform.config import (
    CONTRIBUTION_KINDS,
    ConfigError,
    GuildConfig,
    KudosConfig,
    load_config,
    merge_overrides,
    parse_config,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "config.example.toml"
TOKEN_PROBLEM = "tokens are not read from the config file; set the KUDOS_TOKEN environment variable"


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> tuple[Path, ConfigError]:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return path, info.value


def assert_one_line(message: str) -> None:
    assert "\n" not in message and "\r" not in message
    for marker in ("Traceback", 'File "', "pydantic", "errors.pydantic.dev", "Input should", "ValidationError"):
        assert marker not in message, message


# --------------------------------------------------------------------------- error messages, end to end

def test_error_source_is_the_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "[guilds.default.points]\nanswer = -5\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config("config.toml")
    assert str(info.value) == "config.toml: guilds.default.points.answer: must be >= 0 (got -5)"


def test_malformed_toml_reports_line_and_column(tmp_path: Path) -> None:
    path, err = load_error(tmp_path, '[bot]\nauto_migrate = true\nshard_count = 2\nlog_level = "INFO\n')
    assert err.key is None
    assert str(err) == f"{path}: line 4, column 18: malformed TOML: Illegal character '\\n'"


def test_malformed_toml_at_end_of_file(tmp_path: Path) -> None:
    path, err = load_error(tmp_path, "[bot]\nshard_count = [1,")
    assert str(err) == f"{path}: line 2, column 18: malformed TOML: Invalid value at end of file"


def test_file_not_found(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: file not found"
    assert info.value.key is None
    assert info.value.problem == "file not found"


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == f"{tmp_path}: is a directory, not a file"


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[bot]\n")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: cannot read file (permission denied)"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"[bot]\nlog_level = '\xff'\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: file is not valid UTF-8 (invalid byte at offset 19)"


def test_database_password_is_not_echoed(tmp_path: Path) -> None:
    _, err = load_error(tmp_path, "[bot]\ndatabase_url = 'mysql://kudos:hunter2@db/kudos'\n")
    assert "hunter2" not in str(err)


def test_only_the_first_error_is_reported(tmp_path: Path) -> None:
    _, err = load_error(tmp_path, "[bot]\ndatabase_url = 5\nshard_count = 'x'\nlog_level = 3\n")
    assert str(err).count(": ") == 2  # "<source>: <key>: <problem>"
    assert err.key == "bot.database_url"


def test_parse_config_uses_given_source() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"bot": {"database_url": 5}}, source="scenario.toml")
    assert str(info.value) == "scenario.toml: bot.database_url: expected a string (got integer)"
    with pytest.raises(ConfigError) as info:
        parse_config({"bot": {"token": "x"}})
    assert str(info.value) == f"<string>: bot.token: {TOKEN_PROBLEM}"


def test_parse_config_rejects_non_table() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(["not", "a", "table"], source="x")  # type: ignore[arg-type]
    assert str(info.value) == "x: expected a table at the top level (got array)"


def test_config_error_traceback_is_not_chained(tmp_path: Path) -> None:
    _, err = load_error(tmp_path, "[bot]\nshard_count = 'many'\n")
    assert err.__cause__ is None
    assert err.__suppress_context__


# --------------------------------------------------------------------------- defaults


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, ""))
    assert cfg == KudosConfig()
    assert cfg.bot.database_url == "sqlite+aiosqlite:///kudos.db"
    assert cfg.bot.auto_migrate is True
    assert cfg.bot.shard_count == 0 and not cfg.bot.sharded
    assert cfg.bot.log_level == "INFO"
    assert cfg.bot.command_sync == "guild"
    assert cfg.bot.guild_ready_timeout == 2.0
    assert cfg.bot.member_cache is True and cfg.bot.chunk_guilds_at_startup is True
    assert cfg.scheduler.timezone == "UTC"
    assert cfg.scheduler.max_attempts == 5
    assert cfg.scheduler.retry_base_seconds == 30
    assert (cfg.metrics.enabled, cfg.metrics.host, cfg.metrics.port) == (False, "127.0.0.1", 9108)
    assert cfg.scheduler.claim_timeout_seconds == 300
    assert cfg.scheduler.cron == []
    assert list(cfg.guilds) == ["default"]
    guild = cfg.guild(1234)
    assert guild == GuildConfig()
    assert guild.staff_roles == ["Staff"]
    assert guild.moderator_roles == ["Moderator"]
    assert guild.curator_roles == ["Curator"]
    assert guild.helper_roles == ["Helper"]
    assert guild.channels.announcements == "announcements"
    assert guild.channels.feedback_forum == "feedback"
    assert guild.channels.help_forums == ["help"]
    assert guild.channels.showcase == "showcase"
    assert guild.channels.staff_log == "staff-log"
    assert {kind: guild.points.for_kind(kind) for kind in CONTRIBUTION_KINDS} == {
        "answer": 10, "curation": 3, "creation": 8, "thanks": 2, "feedback_given": 5, "feedback_acknowledged": 3,
        "feedback_shipped": 10, "beta": 5,
    }
    assert guild.caps.thanks_given_per_day == 5
    assert guild.caps.thanks_received_from_same_giver_per_week == 2
    # the kinds a member starts alone are capped by default (issue #19)
    assert guild.caps.points_per_kind_per_day == {"feedback_given": 15}
    assert guild.feedback.reports_per_day == 5
    assert guild.caps.curator_min_points == 100
    assert guild.solutions.solved_tag == "Solved"
    assert guild.solutions.multiple is False
    assert guild.solutions.close_after_hours == 24
    assert guild.announcements.per_channel_per_day == 2
    assert guild.announcements.per_channel_per_week == 5
    assert guild.perk_pools == [] and guild.rewards == []
    assert cfg.guild_ids == ()


def test_only_bot_table(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "[bot]\n"))
    assert cfg == KudosConfig()
    assert parse_config({}) == KudosConfig()


def test_postgres_url_and_case_insensitive_log_level(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, """
        [bot]
        database_url = "postgresql+asyncpg://kudos:pw@localhost:5432/kudos"
        log_level = "debug"
        shard_count = -1
    """))
    assert cfg.bot.database_backend == "postgresql"
    assert cfg.bot.log_level == "DEBUG"
    assert cfg.bot.sharded


def test_role_and_channel_refs(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, """
        [guilds.default]
        staff_roles = ["Staff", 123456789012345678, "223456789012345678"]
        [guilds.default.channels]
        showcase = 323456789012345678
        help_forums = ["help", "423456789012345678"]
    """))
    guild = cfg.guild(1)
    assert guild.staff_roles == ["Staff", 123456789012345678, 223456789012345678]
    assert guild.channels.showcase == 323456789012345678
    assert guild.channels.help_forums == ["help", 423456789012345678]


def test_config_is_immutable() -> None:
    cfg = KudosConfig()
    with pytest.raises(ValueError):
        cfg.bot.shard_count = 3  # type: ignore[misc]
    updated = cfg.model_copy(update={"bot": cfg.bot.model_copy(update={"auto_migrate": False})})
    assert updated.bot.auto_migrate is False and cfg.bot.auto_migrate is True


def test_json_schema() -> None:
    schema = KudosConfig.model_json_schema()
    json.dumps(schema)
    assert set(schema["properties"]) == {"bot", "scheduler", "web", "metrics", "linked_roles", "guilds"}


# --------------------------------------------------------------------------- guild merging


MERGE_TOML = """
[guilds.default]
staff_roles = ["Staff"]
helper_roles = ["Helper", "Support"]

[guilds.default.points]
answer = 10
thanks = 2

[guilds.default.caps]
points_per_kind_per_day = { thanks = 20, curation = 30 }

[[guilds.default.perk_pools]]
name = "beta-storage"

[[guilds.default.rewards]]
name = "beta-participant"
trigger = { event = "beta_joined" }
perk_pool = "beta-storage"
dm = "Your code: {code}"

[guilds.111111111111111111]
staff_roles = ["Team"]

[guilds.111111111111111111.points]
answer = 25

[guilds.111111111111111111.caps]
points_per_kind_per_day = { thanks = 5 }

[guilds.222222222222222222.solutions]
close_after_hours = 0

[[guilds.222222222222222222.rewards]]
name = "first-answer"
trigger = { kind = "answer", count = 1 }
bonus_points = 5
"""


def test_guild_override_is_deep_merged_over_default(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, MERGE_TOML))
    assert cfg.guild_ids == (111111111111111111, 222222222222222222)

    one = cfg.guild(111111111111111111)
    assert one.staff_roles == ["Team"]  # arrays are replaced
    assert one.helper_roles == ["Helper", "Support"]  # untouched keys are inherited
    assert one.points.answer == 25  # tables are merged key by key
    assert one.points.thanks == 2
    assert one.points.creation == 8  # built-in default
    assert one.caps.points_per_kind_per_day == {"thanks": 5, "curation": 30}  # nested tables merged too
    assert [r.name for r in one.rewards] == ["beta-participant"]
    assert one.perk_pool("beta-storage") is not None

    two = cfg.guild(222222222222222222)
    assert two.solutions.close_after_hours == 0
    assert two.solutions.solved_tag == "Solved"
    assert [r.name for r in two.rewards] == ["first-answer"]  # array of tables replaced
    assert two.rewards[0].trigger.type == "kind"
    assert two.perk_pools[0].name == "beta-storage"

    default = cfg.guild(999)  # unknown guild: [guilds.default]
    assert default is cfg.guilds["default"]
    assert default.staff_roles == ["Staff"]
    assert default.points.answer == 10
    assert cfg.default_guild is default


def test_announcements_section_is_read_under_its_name(tmp_path: Path) -> None:
    """The section formerly called ``broadcast``: its keys are read from ``[guilds.<id>.announcements]``."""
    cfg = load_config(write(tmp_path, "[guilds.default.announcements]\nper_channel_per_day = 1\nmax_image_mb = 3\n"
                                      "[guilds.42.announcements]\nreply_count_after_hours = 0\n"))
    assert cfg.guild(7).announcements.per_channel_per_day == 1 and cfg.guild(7).announcements.max_image_mb == 3
    assert cfg.guild(42).announcements.reply_count_after_hours == 0
    assert cfg.guild(42).announcements.max_image_mb == 3  # merged over [guilds.default]
    assert not hasattr(cfg.guild(42), "broadcast")


def test_override_without_default_table(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "[guilds.42.points]\nbeta = 0\n"))
    assert cfg.guild(42).points.beta == 0
    assert cfg.guild(42).points.answer == 10
    assert cfg.guild(43).points.beta == 5


def test_merge_overrides() -> None:
    base = {"a": {"x": 1, "y": [1, 2], "n": {"deep": 1, "keep": 2}}, "b": 1, "t": [{"k": 1}]}
    overrides = {"a": {"y": [3], "n": {"deep": 9}}, "b": {"now": "table"}, "c": 3, "t": [{"k": 2}]}
    merged = merge_overrides(base, overrides)
    assert merged == {
        "a": {"x": 1, "y": [3], "n": {"deep": 9, "keep": 2}},
        "b": {"now": "table"},
        "c": 3,
        "t": [{"k": 2}],
    }
    # inputs untouched, and no shared mutable state with them
    assert base == {"a": {"x": 1, "y": [1, 2], "n": {"deep": 1, "keep": 2}}, "b": 1, "t": [{"k": 1}]}
    merged["a"]["n"]["keep"] = 0
    merged["t"][0]["k"] = 0
    assert base["a"]["n"]["keep"] == 2
    assert overrides["t"][0]["k"] == 2


def test_scenario_style_overrides_through_parse_config() -> None:
    base = {"bot": {"database_url": "sqlite+aiosqlite:///:memory:"}, "guilds": {"default": {"points": {"answer": 1}}}}
    cfg = parse_config(merge_overrides(base, {"guilds": {"default": {"points": {"thanks": 7}}}}), source="scenario")
    assert cfg.guild(1).points.answer == 1
    assert cfg.guild(1).points.thanks == 7


# --------------------------------------------------------------------------- scheduler


def test_cron_jobs_and_trigger(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, """
        [scheduler]
        timezone = "Europe/Paris"
        [[scheduler.cron]]
        name = "weekly-digest"
        event = "digest"
        cron = "0 9 * * mon"
        payload = { channel = "announcements", limit = 5 }
    """))
    job = cfg.scheduler.cron[0]
    assert (job.name, job.event, job.cron) == ("weekly-digest", "digest", "0 9 * * mon")
    assert job.payload == {"channel": "announcements", "limit": 5}
    trigger = cfg.scheduler.trigger(job)
    assert str(trigger.timezone) == "Europe/Paris"
    assert str(cfg.scheduler.tzinfo) == "Europe/Paris"


# --------------------------------------------------------------------------- rewards


def test_reward_trigger_forms(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, """
        [[guilds.default.rewards]]
        name = "a"
        trigger = { event = "answer_accepted" }
        bonus_points = 1
        [[guilds.default.rewards]]
        name = "b"
        trigger = { kind = "answer", count = 5 }
        bonus_points = 1
        [[guilds.default.rewards]]
        name = "c"
        trigger = { points = 100, window_days = 30 }
        bonus_points = 1
        [[guilds.default.rewards]]
        name = "d"
        trigger = { points = 500, season = true }
        bonus_points = 1
        [[guilds.default.rewards]]
        name = "e"
        trigger = { ladder_stage = "creator" }
        role = "Creator"
        role_duration_days = 30
        conditions = { min_account_age_days = 7, has_role = ["Member"], mode = "any" }
    """))
    rewards = cfg.guild(1).rewards
    assert [r.trigger.type for r in rewards] == ["event", "kind", "points", "points", "ladder_stage"]
    assert rewards[3].trigger.season is True
    assert rewards[4].conditions.mode == "any"
    assert rewards[4].conditions.has_role == ["Member"]
    assert cfg.guild(1).reward("e") is rewards[4]


# --------------------------------------------------------------------------- the example file


def test_example_config_loads() -> None:
    cfg = load_config(EXAMPLE)
    guild = cfg.guild(cfg.guild_ids[0])
    default = cfg.guild(1)
    beta = default.reward("beta-participant")
    assert beta is not None
    assert beta.trigger.event == "beta_joined"
    assert beta.perk_pool == "beta-storage" and default.perk_pool("beta-storage") is not None
    assert any(r.trigger.ladder_stage and r.role for r in default.rewards)  # a role ladder rule
    assert guild.points.answer != default.points.answer  # the override example takes effect
    assert cfg.scheduler.cron


def _all_field_names(model: type[BaseModel]) -> set[str]:
    names: set[str] = set()
    for field in model.model_fields.values():
        pending = [field.annotation]
        while pending:
            annotation = pending.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                names |= _all_field_names(annotation)
            pending.extend(typing.get_args(annotation))
    return names | set(model.model_fields)


def test_example_documents_every_key() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    missing = sorted(name for name in _all_field_names(KudosConfig) if not re.search(rf"\b{name}\b", text))
    assert not missing, f"keys missing from config.example.toml: {missing}"
    # the first assignment of every key comes right after a comment explaining it
    seen: set[str] = set()
    lines = text.splitlines()
    for number, line in enumerate(lines):
        match = re.match(r"\s*([A-Za-z_]+)\s*=", line)
        if match and match.group(1) not in seen:
            seen.add(match.group(1))
            assert lines[number - 1].lstrip().startswith("#"), f"undocumented key on line {number + 1}: {line}"


def test_example_config_without_comments_keeps_values() -> None:
    # sanity: the example is the documentation, so its values must equal what load_config returns
    cfg = load_config(EXAMPLE)
    assert cfg.bot.database_url == "sqlite+aiosqlite:///kudos.db"
    assert cfg.guild(1).channels.help_forums == ["help", "help-api"]
