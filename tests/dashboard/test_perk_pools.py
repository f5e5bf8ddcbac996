"""Perk pools from the dashboard, as ``/perks``: create, add codes by uploading a file, void, reissue. Codes are
masked on every page; the session's secrets scan checks no code reached a log line or a public channel."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.rewards.tables import grants, perk_codes
from bot.sandbox.harness import Harness
from tests.dashboard.conftest import csrf_of, get, log_in, post, refused_for_non_staff, refused_without_csrf

CODES = ["ACME-STORAGE-0001", "ACME-STORAGE-0002", "ACME-STORAGE-0003"]


@pytest.fixture
def dash_config() -> dict[str, Any]:
    return {"guilds": {"default": {
        "perk_pools": [{"name": "storage", "low_stock_warning": 0}],
        "rewards": [{"name": "helper", "trigger": {"kind": "answer", "count": 1}, "perk_pool": "storage"}],
    }}}


async def upload(http: aiohttp.ClientSession, url: str, csrf: str | None, filename: str, content: bytes
                 ) -> tuple[int, str]:
    form = aiohttp.FormData()
    if csrf is not None:
        form.add_field("csrf", csrf)
    form.add_field("file", content, filename=filename, content_type="text/plain")
    async with http.post(url, data=form, allow_redirects=False) as resp:
        return resp.status, await resp.text()


async def codes_of(h: Harness, pool: str) -> list[Any]:
    assert h.bot is not None
    stock = {p.name: p.id for p, _ in await h.bot.app.rewards.pool_stock(h.guild_id)}
    async with h.bot.db.connect() as conn:
        return list(await conn.execute(select(perk_codes).where(perk_codes.c.pool_id == stock[pool])
                                       .order_by(perk_codes.c.id)))


def dm_codes(h: Harness, name: str) -> list[str]:
    text = " ".join((m.content or "") + " ".join(e.get("description") or "" for e in m.embeds)
                    for m in h.member(name).dms())
    return [c for c in CODES if c in text]


async def test_create_a_pool_and_upload_codes(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    csrf = await csrf_of(http, base + "/rewards")
    status, page = await post(http, base + "/rewards/pools", {"csrf": csrf, "name": "stickers",
                                                             "description": "Sticker packs <3", "budget": "2"})
    assert status == 200 and "Created perk pool stickers" in page and "Sticker packs &lt;3" in page
    assert dash.bot is not None
    pools = {p.name: p for p, _ in await dash.bot.app.rewards.pool_stock(dash.guild_id)}
    assert pools["stickers"].budget == 2 and pools["stickers"].origin == "command"
    status, page = await post(http, base + "/rewards/pools", {"csrf": csrf, "name": "stickers"})
    assert status == 409 and "exists already" in page
    status, page = await post(http, base + "/rewards/pools", {"csrf": csrf, "name": "Bad Name"})
    assert status == 400 and "lowercase" in page
    status, page = await post(http, base + "/rewards/pools", {"csrf": csrf, "name": "x-pool", "budget": "lots"})
    assert status == 400 and "&#39;budget&#39; takes a whole number" in page

    status, page = await upload(http, base + "/rewards/pools/stickers/codes", csrf, "codes.txt",
                                "\n".join(CODES).encode())
    assert status == 200 and "Added 3 codes to stickers." in page, page
    assert "AC•••••••••••••01" in page and all(c not in page for c in CODES)  # masked on the page
    assert len(await codes_of(dash, "stickers")) == 3

    # All or nothing: a file with one bad line and one known code imports nothing, and names them masked.
    status, page = await upload(http, base + "/rewards/pools/stickers/codes", csrf, "more.csv",
                                b"code\nACME-STORAGE-0009,2027-01-31\nshort\nACME-STORAGE-0001\n")
    assert status == 400 and "Nothing was imported (2 problems" in page
    assert "line 3" in page and "AC•••••••••••••01 is already in stickers" in page
    assert "short" not in page and all(c not in page for c in CODES)
    assert len(await codes_of(dash, "stickers")) == 3
    status, page = await upload(http, base + "/rewards/pools/stickers/codes", csrf, "codes.exe", b"ACME-STORAGE-0009")
    assert status == 400 and "Upload a .txt" in page
    status, page = await upload(http, base + "/rewards/pools/nope/codes", csrf, "codes.txt", b"ACME-STORAGE-0009")
    assert status == 404 and "no perk pool called &#39;nope&#39;" in page


async def test_void_and_reissue_a_handed_out_code(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    csrf = await csrf_of(http, base + "/rewards")
    status, _ = await upload(http, base + "/rewards/pools/storage/codes", csrf, "codes.txt", "\n".join(CODES).encode())
    assert status == 200
    assert dash.bot is not None
    await dash.bot.app.ledger.credit(dash.guild_id, dash.members["alice"], "answer", source_key="answer:a",
                                     actor_id=None)
    await dash.settle()
    assert len(dm_codes(dash, "alice")) == 1
    given = next(c for c in await codes_of(dash, "storage") if c.assigned_to == dash.members["alice"])
    status, page = await get(http, base + "/rewards")
    assert f'/rewards/codes/{given.id}/reissue"' in page and given.code not in page

    status, page = await post(http, base + f"/rewards/codes/{given.id}/reissue", {"csrf": csrf, "reason": "leaked"})
    assert status == 200 and f"Code #{given.id} is void; a new code is on its way" in page, page
    await dash.settle()
    assert len(dm_codes(dash, "alice")) == 2  # the fresh code came by DM through the dispatcher
    rows = {c.id: c for c in await codes_of(dash, "storage")}
    assert rows[given.id].voided_at is not None and rows[given.id].void_reason == "leaked"
    async with dash.bot.db.connect() as conn:
        reissued = list(await conn.execute(select(grants).where(grants.c.dedupe_key == f"reissue:{given.id}")))
    assert len(reissued) == 1 and reissued[0].status == "delivered"

    spare = next(c for c in rows.values() if c.assigned_to is None)
    status, page = await post(http, base + f"/rewards/codes/{spare.id}/void", {"csrf": csrf})
    assert status == 200 and f"Code #{spare.id} is void." in page
    status, page = await post(http, base + f"/rewards/codes/{spare.id}/void", {"csrf": csrf})
    assert status == 409 and "voided already" in page
    status, page = await post(http, base + "/rewards/codes/999999/void", {"csrf": csrf})
    assert status == 404


async def test_pool_actions_need_csrf_and_a_current_staff_member(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    csrf = await csrf_of(http, base + "/rewards")
    status, _ = await upload(http, base + "/rewards/pools/storage/codes", csrf, "codes.txt", CODES[0].encode())
    assert status == 200
    code_id = (await codes_of(dash, "storage"))[0].id
    actions: list[tuple[str, dict[str, str]]] = [("/rewards/pools", {"name": "stickers"}),
                                                 ("/rewards/pools/storage/codes", {}),
                                                 (f"/rewards/codes/{code_id}/void", {}),
                                                 (f"/rewards/codes/{code_id}/reissue", {})]
    for path, data in actions:
        await refused_without_csrf(http, base + path, data)
        await refused_for_non_staff(dash, path, data)
    for bad in (None, "0" * 64):  # the upload form itself (multipart) without a valid token
        status, page = await upload(http, base + "/rewards/pools/storage/codes", bad, "codes.txt", CODES[1].encode())
        assert status == 403 and "CSRF" in page
    assert dash.bot is not None
    assert "stickers" not in {p.name for p, _ in await dash.bot.app.rewards.pool_stock(dash.guild_id)}
    rows = await codes_of(dash, "storage")
    assert len(rows) == 1 and rows[0].voided_at is None
    # Files are taken only by the upload form.
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("file", b"x", filename="x.txt")
    async with http.post(base + "/rewards/pools", data=form) as resp:
        assert resp.status == 400 and "File uploads are not accepted" in await resp.text()
