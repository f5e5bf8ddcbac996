"""``[bot] log_format = "json"``: one JSON object per line, carrying the ids of the interaction or job it is
about, and one correlation id from a slash command to the job it queued and that job's retries.

Discord's ``developers/topics/opcodes-and-status-codes.mdx``: "5xx (SERVER ERROR) | The server had an error
processing your request (these are rare)." (the receipt job's first send fails, and is retried).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.core.logs import JsonFormatter, bind_context, make_formatter, redactor
from bot.platform import logctx
from bot.platform.config import parse_config
from bot.platform.config.errors import ConfigError
from bot.sandbox.harness import Harness, WorldSpec
from tests.contributions.test_receipt_jobs import until_delivered

pytestmark = pytest.mark.usefixtures("quick_discord_retries")

MESSAGES = "POST /channels/{channel_id}/messages"


@pytest.fixture
def world() -> WorldSpec:
    return WorldSpec.default()


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"bot": {"log_format": "json"},
            "guilds": {"default": {"ledger": {"receipts": "dm"}, "caps": {"thanks_pair_cooldown_hours": 0}}}}


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(bind_context)
    handler.addFilter(redactor)
    logging.getLogger().addHandler(handler)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)


def parsed(stream: io.StringIO) -> list[dict[str, str]]:
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    assert lines
    return [json.loads(line) for line in lines]  # every line parses on its own


def test_the_log_format_is_a_setting_and_a_wrong_one_names_its_key() -> None:
    assert parse_config({"bot": {"log_format": "json"}}).bot.log_format == "json"
    assert parse_config({}).bot.log_format == "text"
    with pytest.raises(ConfigError, match="bot.log_format: must be one of: text, json"):
        parse_config({"bot": {"log_format": "yaml"}})
    assert isinstance(make_formatter("json"), JsonFormatter)
    assert not isinstance(make_formatter("text"), JsonFormatter)


def test_a_line_carries_the_bound_ids_as_strings_and_the_traceback() -> None:
    record_logger = logging.getLogger("kudos.test.json")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(bind_context)
    record_logger.addHandler(handler)
    record_logger.propagate = False
    try:
        with logctx.bound(correlation_id="i-1", guild_id=1577533253751930881, user_id=None):
            try:
                raise RuntimeError("boom")
            except RuntimeError:
                record_logger.exception("it failed for %s", "a reason")
        record_logger.warning("outside")
    finally:
        record_logger.removeHandler(handler)
        record_logger.propagate = True
    first, second = parsed(stream)
    assert first["message"] == "it failed for a reason" and first["level"] == "ERROR"
    assert first["logger"] == "kudos.test.json" and first["timestamp"].endswith("+00:00")
    assert first["guild_id"] == "1577533253751930881" and first["correlation_id"] == "i-1"
    assert "user_id" not in first  # a None id is left out
    assert "RuntimeError: boom" in first["exception"]
    assert "correlation_id" not in second and "guild_id" not in second  # the binding ended with its block


async def test_a_command_its_job_and_the_retry_share_one_correlation_id(kudos: Harness,
                                                                         json_lines: io.StringIO) -> None:
    assert kudos.bot is not None and kudos.bot.config.bot.log_format == "json"
    outage = kudos.emu.faults.add(route=MESSAGES, status=500, count=5)  # the receipt DM's first send fails
    inter = await kudos.member("alice").slash("thanks", member=kudos.members["bob"], reason="fixed my sync")
    assert "Thanks sent" in (inter.content or ""), inter.content
    assert outage.hits == 5
    assert await until_delivered(kudos) >= 1
    lines = parsed(json_lines)
    alice, guild = str(kudos.members["alice"]), str(kudos.guild_id)
    job_lines = [line for line in lines if line.get("job") == "contrib.receipt"]
    assert job_lines, "no line was logged while the receipt job ran"
    retry = [line for line in job_lines if line["level"] == "WARNING" and "retrying" in line["message"]]
    assert retry, job_lines
    cid = retry[0]["correlation_id"]
    assert cid.startswith("i-"), retry[0]  # the job was queued by the interaction: it keeps its id
    assert retry[0]["job_id"].isdigit() and retry[0]["guild_id"] == guild
    assert all(line["correlation_id"] == cid for line in job_lines)
    assert "fixed my sync" not in json_lines.getvalue()  # member-written text is not logged at INFO or above
    # The command's own lines (the thanks was credited while it ran) carry the member and the command.
    command_lines = [line for line in lines if line.get("correlation_id") == cid and "job" not in line]
    assert command_lines, "no line was logged while the command ran"
    assert all(line["user_id"] == alice and line["command"] == "thanks" for line in command_lines)
