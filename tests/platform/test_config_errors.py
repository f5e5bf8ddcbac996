"""The config loader's error table: every refused key is named, on one line (bot/platform/config)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.platform.test_config import TOKEN_PROBLEM, assert_one_line, load_error

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
        "unknown key (allowed keys: bot, scheduler, web, metrics, linked_roles, guilds)",
        id="unknown-top-level-table",
    ),
    pytest.param("[metrics]\nenable = true\n", "metrics.enable", "unknown key (did you mean 'enabled'?)",
                 id="unknown-metrics-key"),
    pytest.param("[metrics]\nport = 70000\n", "metrics.port", "must be <= 65535 (got 70000)", id="metrics-port-range"),
    pytest.param('[linked_roles]\nrecords = ["points", "stage", "points"]\n', "linked_roles.records",
                 "listed twice: points", id="linked-roles-record-twice"),
    pytest.param('[linked_roles]\nenabled = true\n', "linked_roles.enabled",
                 "linked roles need the web server: its verification URL and OAuth2 redirect are served there; "
                 "set [web] enabled = true", id="linked-roles-without-web"),
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
