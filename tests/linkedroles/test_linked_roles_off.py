"""With ``[linked_roles]`` off (the default) the verification URL is a 404 and ``/kudos link`` says so; nothing is
registered on Discord (developers/resources/application-role-connection-metadata.mdx: the records are the app's
own, registered with PUT /applications/{id}/role-connections/metadata)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.sandbox.harness import Harness


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"web": {"enabled": True, "host": "127.0.0.1", "port": 0}}


async def test_off_means_no_page_no_command_no_records(kudos: Harness) -> None:
    assert kudos.emu.oauth.metadata == []
    assert not any("role-connections" in r.route for r in kudos.emu.request_log)
    answer = await kudos.member("bob").slash("kudos link")
    assert "not turned on" in (answer.content or "")
    assert kudos.bot is not None and kudos.bot.web is not None
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{kudos.bot.web.base_url}/linked-roles", allow_redirects=False) as resp:
            assert resp.status == 404 and "not turned on" in await resp.text()
