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

BEGIN_REWARD = """
[[guilds.default.rewards]]
name = "r"
"""

# (TOML text, expected key, expected problem)
ERROR_CASES = [
    pytest.param(
        """
        [bot]
        database_url = "sqlite+aiosqlite:///kudos.db"
        log_level = = "INFO"
        """,
        None,
        "line 4, column 13: malformed TOML: Invalid value",
        id="malformed-toml",
    ),
    pytest.param(
        "[guilds.default.channles]\nshowcase = 'x'\n",
        "guilds.default.channles",
        "unknown key (did you mean 'channels'?)",
        id="unknown-key-did-you-mean",
    ),
    pytest.param(
        "[bot]\ndatbase_url = 'sqlite+aiosqlite:///x.db'\n",
        "bot.datbase_url",
        "unknown key (did you mean 'database_url'?)",
        id="unknown-bot-key",
    ),
    pytest.param(
        "[sandbox]\nenabled = true\n",
        "sandbox",
        "unknown key (allowed keys: bot, scheduler, web, metrics, guilds)",
        id="unknown-top-level-table",
    ),
    pytest.param("[metrics]\nenable = true\n", "metrics.enable", "unknown key (did you mean 'enabled'?)",
                 id="unknown-metrics-key"),
    pytest.param("[metrics]\nport = 70000\n", "metrics.port", "must be <= 65535 (got 70000)", id="metrics-port-range"),
    pytest.param("[bot]\ndatabase_url = 5\n", "bot.database_url", "expected a string (got integer)", id="wrong-type-str"),
    pytest.param("[bot]\nauto_migrate = 'yes'\n", "bot.auto_migrate", "expected a boolean (true or false) (got string)",
                 id="wrong-type-bool"),
    pytest.param("[bot]\nshard_count = true\n", "bot.shard_count", "expected an integer (got boolean)",
                 id="bool-is-not-int"),
    pytest.param("[scheduler]\nmax_attempts = 2.5\n", "scheduler.max_attempts", "expected an integer (got float)",
                 id="float-is-not-int"),
    pytest.param("[guilds.default]\nstaff_roles = 'Staff'\n", "guilds.default.staff_roles",
                 "expected an array (got string)", id="wrong-type-array"),
    pytest.param("[guilds.default]\nstaff_roles = ['Staff', false]\n", "guilds.default.staff_roles[1]",
                 "expected a role name or numeric id (got boolean)", id="wrong-type-role-ref"),
    pytest.param("[guilds.default.points]\nanswer = -5\n", "guilds.default.points.answer", "must be >= 0 (got -5)",
                 id="negative-points"),
    pytest.param("[bot]\nguild_ready_timeout = 0\n", "bot.guild_ready_timeout", "must be > 0 (got 0)",
                 id="timeout-not-positive"),
    pytest.param("[bot]\nshard_count = -2\n", "bot.shard_count", "must be >= -1 (got -2)", id="shard-count"),
    pytest.param(
        "[guilds.default.channels]\nshowcase = ''\n",
        "guilds.default.channels.showcase",
        "must not be empty",
        id="empty-channel",
    ),
    pytest.param(
        "[guilds.default.channels]\nhelp_forums = ['help', '  ']\n",
        "guilds.default.channels.help_forums[1]",
        "must not be empty",
        id="empty-help-forum",
    ),
    pytest.param("[bot]\ntoken = 'abc'\n", "bot.token", TOKEN_PROBLEM, id="token"),
    pytest.param("[bot]\ndiscord_token = 'abc'\n", "bot.discord_token", TOKEN_PROBLEM, id="discord-token"),
    pytest.param("[guilds.default]\nAPI_Token = 'abc'\n", "guilds.default.API_Token", TOKEN_PROBLEM,
                 id="token-anywhere-any-case"),
    pytest.param(
        # the token is refused before anything else is looked at
        "[bot]\ndatabase_url = 5\n[sandbox]\nTOKEN = 'abc'\n",
        "sandbox.TOKEN",
        TOKEN_PROBLEM,
        id="token-first",
    ),
    pytest.param(
        "[guilds.main]\nstaff_roles = []\n",
        "guilds.main",
        "not a guild id: guild tables must be [guilds.default] or [guilds.<numeric guild id>]",
        id="unknown-guild-key",
    ),
    pytest.param(
        "[guilds.0123]\nstaff_roles = []\n",
        "guilds.0123",
        "not a guild id: guild tables must be [guilds.default] or [guilds.<numeric guild id>]",
        id="guild-key-leading-zero",
    ),
    pytest.param("[guilds]\n123 = 5\n", "guilds.123", "expected a table (got integer)", id="guild-not-a-table"),
    pytest.param(
        "[[scheduler.cron]]\nname = 'digest'\nevent = 'digest'\ncron = '0 9 * *'\n",
        "scheduler.cron[0].cron",
        "invalid cron expression '0 9 * *': expected 5 fields (minute hour day month day-of-week), got 4",
        id="cron-field-count",
    ),
    pytest.param(
        "[[scheduler.cron]]\nname = 'digest'\nevent = 'digest'\ncron = '0 25 * * mon'\n",
        "scheduler.cron[0].cron",
        "invalid cron expression '0 25 * * mon': bad hour field '25': Error validating expression '25': "
        "the last value (25) is higher than the maximum value (23)",
        id="cron-bad-hour",
    ),
    pytest.param(
        "[[scheduler.cron]]\nname = 'digest'\nevent = 'digest'\ncron = '0 9 * * moon'\n",
        "scheduler.cron[0].cron",
        "invalid cron expression '0 9 * * moon': bad day-of-week field 'moon': Invalid weekday name \"moon\"",
        id="cron-bad-weekday",
    ),
    pytest.param(
        "[[scheduler.cron]]\nname = 'a'\nevent = 'e'\ncron = '0 9 * * *'\n"
        "[[scheduler.cron]]\nname = 'a'\nevent = 'e'\ncron = '0 10 * * *'\n",
        "scheduler.cron[1].name",
        "duplicate cron job name 'a' (already used by cron[0])",
        id="cron-duplicate-name",
    ),
    pytest.param(
        "[[scheduler.cron]]\nname = 'a'\nevent = 'e'\ncron = '0 9 * * *'\npayload = { at = 2024-01-01 }\n",
        "scheduler.cron[0].payload.at",
        "payload values must be strings, numbers, booleans, arrays or tables (got date)",
        id="cron-payload-date",
    ),
    pytest.param(
        "[scheduler]\ntimezone = 'Europe/Pariss'\n",
        "scheduler.timezone",
        "unknown time zone 'Europe/Pariss' (did you mean 'Europe/Paris'?)",
        id="bad-timezone",
    ),
    pytest.param(
        "[scheduler]\ntimezone = 'Moon/Base'\n",
        "scheduler.timezone",
        "unknown time zone 'Moon/Base' (use an IANA name such as 'UTC' or 'Europe/Paris')",
        id="bad-timezone-no-suggestion",
    ),
    pytest.param(
        "[bot]\nlog_level = 'VERBOSE'\n",
        "bot.log_level",
        "must be one of: DEBUG, INFO, WARNING, ERROR (got 'VERBOSE')",
        id="literal",
    ),
    pytest.param(
        "[bot]\ncommand_sync = 'globl'\n",
        "bot.command_sync",
        "must be one of: guild, global, off (got 'globl'; did you mean 'global'?)",
        id="literal-did-you-mean",
    ),
    pytest.param(
        "[guilds.default.caps]\npoints_per_kind_per_day = { thnks = 20 }\n",
        "guilds.default.caps.points_per_kind_per_day.thnks",
        "unknown key (did you mean 'thanks'?)",
        id="caps-unknown-kind",
    ),
    pytest.param(
        "[guilds.default.points]\nfeedback = 5\n",
        "guilds.default.points.feedback",
        "unknown key: the kind 'feedback' was split into feedback_given, feedback_acknowledged and feedback_shipped",
        id="points-retired-feedback-kind",
    ),
    pytest.param(
        "[guilds.default.points]\nfeedback_heard = 5\n",
        "guilds.default.points.feedback_heard",
        "unknown key (did you mean 'feedback_shipped'?)",
        id="points-unknown-feedback-kind",
    ),
    pytest.param(
        "[guilds.default.feedback]\npoints_shipped = 10\n",
        "guilds.default.feedback.points_shipped",
        "unknown key: moved: set points.feedback_shipped (its own contribution kind)",
        id="feedback-points-moved",
    ),
    pytest.param(
        "[guilds.123456789012345678.feedback]\npoints_acknowledged = 1\n",
        "guilds.123456789012345678.feedback.points_acknowledged",
        "unknown key: moved: set points.feedback_acknowledged (its own contribution kind)",
        id="override-feedback-points-moved",
    ),
    pytest.param(
        "[guilds.default.caps]\npoints_per_kind_per_day = { feedback = 20 }\n",
        "guilds.default.caps.points_per_kind_per_day.feedback",
        "unknown key: the kind 'feedback' was split into feedback_given, feedback_acknowledged and feedback_shipped",
        id="caps-retired-kind",
    ),
    pytest.param(
        "[guilds.default.caps]\nexempt_kinds = ['answer', 'feedback_shiped']\n",
        "guilds.default.caps.exempt_kinds[1]",
        "must be one of: answer, curation, creation, thanks, feedback_given, feedback_acknowledged, "
        "feedback_shipped, beta (got 'feedback_shiped'; did you mean 'feedback_shipped'?)",
        id="exempt-unknown-kind",
    ),
    pytest.param(
        BEGIN_REWARD + "trigger = { kind = 'feedback', count = 1 }\nrole = 'Implemented'\n",
        "guilds.default.rewards[0].trigger.kind",
        "unknown contribution kind: the kind 'feedback' was split into feedback_given, feedback_acknowledged and "
        "feedback_shipped",
        id="reward-trigger-retired-kind",
    ),
    pytest.param(
        BEGIN_REWARD + "trigger = { event = 'feedback_shipped' }\nbonus_points = 5\nbonus_kind = 'feedback'\n",
        "guilds.default.rewards[0].bonus_kind",
        "unknown contribution kind: the kind 'feedback' was split into feedback_given, feedback_acknowledged and "
        "feedback_shipped",
        id="reward-bonus-retired-kind",
    ),
    pytest.param(
        "[guilds.default.announcements]\nper_channel_per_day = 6\n",
        "guilds.default.announcements.per_channel_per_day",
        "must not exceed per_channel_per_week (6 > 5)",
        id="announcements-day-over-week",
    ),
    pytest.param(
        "[guilds.default.broadcast]\nper_channel_per_day = 2\n",
        "guilds.default.broadcast",
        "config key 'broadcast' was renamed to 'announcements': write [guilds.default.announcements]",
        id="broadcast-section-renamed",
    ),
    pytest.param(
        "[guilds.123456789012345678.broadcast]\nmax_image_mb = 4\n",
        "guilds.123456789012345678.broadcast",
        "config key 'broadcast' was renamed to 'announcements': write [guilds.123456789012345678.announcements]",
        id="override-broadcast-section-renamed",
    ),
    pytest.param(
        "[broadcast]\nper_channel_per_day = 2\n",
        "broadcast",
        "config key 'broadcast' was renamed to 'announcements', a section of each guild: write "
        "[guilds.default.announcements]",
        id="top-level-broadcast-section-renamed",
    ),
    pytest.param(
        "[bot]\ndatabase_url = 'postgres://kudos:s3cret@db/kudos'\n",
        "bot.database_url",
        "unsupported database driver 'postgres'; use 'sqlite+aiosqlite://...' or 'postgresql+asyncpg://...'",
        id="database-driver",
    ),
    pytest.param(
        "[[guilds.default.perk_pools]]\nname = 'Beta Storage'\n",
        "guilds.default.perk_pools[0].name",
        "must contain only lowercase letters, digits and '-' (got 'Beta Storage')",
        id="perk-pool-name",
    ),
    pytest.param(
        BEGIN_REWARD + "trigger = { event = 'beta_joined', points = 100 }\nrole = 'Beta'\n",
        "guilds.default.rewards[0].trigger",
        "must set exactly one of: event, points, kind+count, ladder_stage (got event and points)",
        id="trigger-ambiguous",
    ),
    pytest.param(
        BEGIN_REWARD + "trigger = {}\nrole = 'Beta'\n",
        "guilds.default.rewards[0].trigger",
        "must set exactly one of: event, points, kind+count, ladder_stage (got none)",
        id="trigger-empty",
    ),
    pytest.param(
        BEGIN_REWARD + "trigger = { kind = 'answer' }\nrole = 'Helper+'\n",
        "guilds.default.rewards[0].trigger",
        'a kind trigger also needs count (e.g. { kind = "answer", count = 5 })',
        id="trigger-kind-without-count",
    ),
    pytest.param(
        BEGIN_REWARD + "trigger = { event = 'beta_joined', window_days = 3 }\nrole = 'Beta'\n",
        "guilds.default.rewards[0].trigger.window_days",
        "only applies to points triggers",
        id="trigger-window-without-points",
    ),
    pytest.param(
        BEGIN_REWARD + "trigger = { event = 'beta_join' }\nrole = 'Beta'\n",
        "guilds.default.rewards[0].trigger.event",
        "must be one of: beta_joined, first_feedback, feedback_shipped, answer_accepted, post_featured "
        "(got 'beta_join'; did you mean 'beta_joined'?)",
        id="trigger-unknown-event",
    ),
    pytest.param(
        BEGIN_REWARD + "trigger = { event = 'beta_joined' }\n",
        "guilds.default.rewards[0]",
        "grants nothing: set at least one of role, perk_pool, dm, or bonus_points > 0",
        id="reward-grants-nothing",
    ),
    pytest.param(
        "[[guilds.default.rewards]]\ntrigger = { event = 'beta_joined' }\nrole = 'Beta'\n",
        "guilds.default.rewards[0].name",
        "missing required key",
        id="reward-missing-name",
    ),
    pytest.param(
        "[[guilds.default.perk_pools]]\nname = 'beta-storage'\n"
        + BEGIN_REWARD
        + "trigger = { event = 'beta_joined' }\nperk_pool = 'beta-storag'\n",
        "guilds.default.rewards[0].perk_pool",
        "unknown perk pool 'beta-storag' (did you mean 'beta-storage'?) (perk pools of this guild: beta-storage)",
        id="reward-unknown-perk-pool",
    ),
    pytest.param(
        BEGIN_REWARD + "trigger = { event = 'beta_joined' }\nperk_pool = 'codes'\n",
        "guilds.default.rewards[0].perk_pool",
        "unknown perk pool 'codes' (this guild has no perk pools)",
        id="reward-perk-pool-none-defined",
    ),
    pytest.param(
        BEGIN_REWARD + "trigger = { event = 'beta_joined' }\ndm = 'Your code: {code}'\n",
        "guilds.default.rewards[0].dm",
        "uses {code} but the reward has no perk_pool to draw a code from",
        id="dm-code-without-pool",
    ),
    pytest.param(
        BEGIN_REWARD + "trigger = { event = 'beta_joined' }\ndm = 'Hi {member.guild.owner}'\n",
        "guilds.default.rewards[0].dm",
        "placeholders must be plain names like {code} (got {member.guild.owner})",
        id="dm-attribute-placeholder",
    ),
    pytest.param(
        BEGIN_REWARD + "trigger = { event = 'beta_joined' }\ndm = 'Hi {member'\n",
        "guilds.default.rewards[0].dm",
        "malformed template: expected '}' before end of string (write {{ and }} for literal braces)",
        id="dm-malformed",
    ),
    pytest.param(
        BEGIN_REWARD + "trigger = { event = 'beta_joined' }\nrole = 'Beta'\ncooldown_days = 7\n",
        "guilds.default.rewards[0].cooldown_days",
        "only applies to repeatable rewards (set repeatable = true)",
        id="cooldown-not-repeatable",
    ),
    pytest.param(
        BEGIN_REWARD + "trigger = { event = 'beta_joined' }\nrole = 'A'\n" + BEGIN_REWARD
        + "trigger = { event = 'beta_joined' }\nrole = 'B'\n",
        "guilds.default.rewards[1].name",
        "duplicate reward name 'r' (already used by rewards[0])",
        id="reward-duplicate-name",
    ),
    pytest.param(
        "[[guilds.default.perk_pools]]\nname = 'p'\n" + BEGIN_REWARD
        + "trigger = { event = 'beta_joined' }\nperk_pool = 'p'\n"
        + "[guilds.123456789012345678]\nperk_pools = []\n",
        "guilds.123456789012345678.rewards[0].perk_pool",
        "unknown perk pool 'p' (this guild has no perk pools) (value inherited from guilds.default)",
        id="override-breaks-inherited-reward",
    ),
    pytest.param(
        "[guilds.123456789012345678.points]\nanswr = 3\n",
        "guilds.123456789012345678.points.answr",
        "unknown key (did you mean 'answer'?)",
        id="override-unknown-key",
    ),
    pytest.param(
        "[guilds.123456789012345678.channels]\nstaff_log = ''\n",
        "guilds.123456789012345678.channels.staff_log",
        "must not be empty",
        id="override-empty-channel",
    ),
]


@pytest.mark.parametrize(("text", "key", "problem"), ERROR_CASES)
def test_error_messages(tmp_path: Path, text: str, key: str | None, problem: str) -> None:
    path, err = load_error(tmp_path, text)
    expected = f"{path}: {key}: {problem}" if key else f"{path}: {problem}"
    assert str(err) == expected
    assert err.key == key
    assert err.problem == problem
    assert err.source == str(path)
    assert_one_line(str(err))


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
    assert set(schema["properties"]) == {"bot", "scheduler", "web", "metrics", "guilds"}


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
