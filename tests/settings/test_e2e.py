"""``/settings`` end to end: the emulator and the real bot, on SQLite and PostgreSQL."""

from __future__ import annotations

import tomllib

from sqlalchemy import select

from bot.platform.tables import audit_log
from bot.sandbox.harness import Harness
from tests.contributions._helpers import ledger_rows, post_with_reply, reply_text


async def accept_answer(kudos: Harness, title: str) -> int:
    _thread, reply = await post_with_reply(kudos, "alice", "bob", title=title)
    inter = await kudos.member("alice").context_menu("Mark as solution", message_id=reply.id)
    assert not inter.failed
    return (await ledger_rows(kudos, "bob"))[-1].points


async def test_set_points_answer_applies_now_and_after_a_restart(kudos: Harness) -> None:
    assert await accept_answer(kudos, "first question") == 10
    reply = await kudos.member("sam").slash("settings set", key="points.answer", value="25")
    assert reply.ephemeral
    assert "**points.answer** is now 25 (was 10)" in reply_text(reply)
    assert await accept_answer(kudos, "second question") == 25  # no restart
    await kudos.restart()
    assert await accept_answer(kudos, "third question") == 25
    shown = await kudos.member("sam").slash("settings show", key="points.answer")
    assert "**points.answer** = 25" in reply_text(shown) and f"by <@{kudos.members['sam']}>" in reply_text(shown)
    assert shown.message.allowed_mentions == {"parse": []}
    async with kudos.bot.db.connect() as conn:
        [line] = list(await conn.execute(select(audit_log).where(audit_log.c.action == "settings.set")))
    assert line.actor_id == kudos.members["sam"]
    assert (line.details["key"], line.details["old"], line.details["new"]) == ("points.answer", "10", "25")
    reset = await kudos.member("sam").slash("settings reset", key="points.answer")
    assert "config.toml's again: 10" in reply_text(reset)
    assert await accept_answer(kudos, "fourth question") == 10


async def test_a_member_is_refused(kudos: Harness) -> None:
    for command, options in (("settings set", {"key": "points.answer", "value": "99"}),
                             ("settings show", {}), ("settings export", {})):
        reply = await kudos.member("alice").slash(command, **options)
        assert "Only staff members can" in reply_text(reply)
    assert kudos.bot.guild_config(kudos.guild_id).points.answer == 10
    # a moderator is not staff either
    reply = await kudos.member("mia").slash("settings set", key="points.answer", value="99")
    assert "Only staff members can" in reply_text(reply)
    assert kudos.bot.guild_config(kudos.guild_id).points.answer == 10


async def test_a_misspelt_key_is_refused_naming_the_right_one(kudos: Harness) -> None:
    reply = await kudos.member("sam").slash("settings set", key="points.answr", value="5")
    assert "`points.answr` is not a setting (did you mean `points.answer`?)" in reply_text(reply)
    bad = await kudos.member("sam").slash("settings set", key="points.answer", value="-5")
    assert "`points.answer`: must be >= 0 (got -5)" in reply_text(bad)
    process = await kudos.member("sam").slash("settings set", key="bot.log_level", value='"DEBUG"')
    assert "process-level setting" in reply_text(process)
    assert kudos.bot.guild_config(kudos.guild_id).points.answer == 10


async def test_channel_and_role_settings_are_resolved_again(kudos: Harness) -> None:
    staff_log = kudos.channel_id("staff-log")
    reply = await kudos.member("sam").slash("settings set", key="channels.showcase", value='"#staff-log"')
    assert "is now" in reply_text(reply) and "⚠" not in reply_text(reply)
    assert kudos.bot.settings(kudos.guild_id).channel("showcase") == staff_log
    missing = await kudos.member("sam").slash("settings set", key="channels.showcase", value='"nowhere"')
    assert "⚠ no channel named 'nowhere' in this server" in reply_text(missing)
    # staff roles: the Moderator role becomes staff, at once
    await kudos.member("sam").slash("settings set", key="staff_roles", value='["Staff", "Moderator"]')
    shown = await kudos.member("mia").slash("settings show", key="staff_roles")
    assert '**staff_roles** = \\["Staff", "Moderator"\\]' in reply_text(shown)


async def test_export_and_import_all_or_nothing(kudos: Harness) -> None:
    sam = kudos.member("sam")
    exported = await sam.slash("settings export")
    (filename, data), = exported.message.files
    assert filename == f"kudos-settings-{kudos.guild_id}.toml"
    assert tomllib.loads(data.decode())["points"]["answer"] == 10
    text = data.decode().replace("answer = 10", "answer = 30")
    bad = text.replace("[curation]", "[curation]\nstarbord_threshold = 3")
    refused = await sam.slash("settings import", file=("settings.toml", bad.encode()))
    assert "Nothing was changed" in reply_text(refused)
    assert "did you mean `curation.starboard_threshold`" in reply_text(refused)
    assert kudos.bot.guild_config(kudos.guild_id).points.answer == 10
    applied = await sam.slash("settings import", file=("settings.toml", text.encode()))
    assert "Imported: 1 setting changed." in reply_text(applied)
    assert kudos.bot.guild_config(kudos.guild_id).points.answer == 30
    assert await accept_answer(kudos, "imported question") == 30


async def test_key_autocomplete(kudos: Harness) -> None:
    rec = await kudos.emu.run_autocomplete(kudos.guild_id, kudos.channel_id("general"), kudos.members["sam"],
                                           "settings set", "key", {"key": "points.ans", "value": "1"})
    assert [(c["name"], c["value"]) for c in rec.choices] == [("points.answer = 10", "points.answer")]
    typo = await kudos.emu.run_autocomplete(kudos.guild_id, kudos.channel_id("general"), kudos.members["sam"],
                                            "settings set", "key", {"key": "points.answr", "value": "1"})
    assert [c["value"] for c in typo.choices] == ["points.answer"]
    member = await kudos.emu.run_autocomplete(kudos.guild_id, kudos.channel_id("general"),
                                              kudos.members["alice"], "settings set", "key",
                                              {"key": "points", "value": "1"})
    assert member.choices == []
