"""CSV export buttons: feedback (as /feedback export), the ledger (as /export what:contributions) and a beta's
participants (as /beta export); member text that a spreadsheet would run as a formula is defused."""

from __future__ import annotations

import csv
import io

import pytest

from bot.sandbox.harness import Harness, MemberSpec, WorldSpec
from tests.dashboard.conftest import csrf_of, log_in, post, refused_for_non_staff, refused_without_csrf

FORMULA = '=HYPERLINK("http://evil.example","click")'
EVIL_NAME = "=cmd|calc"


@pytest.fixture
def dash_world() -> WorldSpec:
    w = WorldSpec.default()
    w.members.append(MemberSpec(EVIL_NAME))  # a display name a spreadsheet would run
    return w


async def download(http, url: str, data: dict[str, str]) -> tuple[int, str, dict[str, str], list[list[str]]]:
    async with http.post(url, data=data, allow_redirects=False) as resp:
        body = await resp.read()
        headers = dict(resp.headers)
    text = body.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text))) if resp.status == 200 else []
    return resp.status, text, headers, rows


async def test_feedback_export_defuses_formulas(dash: Harness, http) -> None:
    opened = await dash.member("alice").slash("feedback new", type="idea")
    await dash.member("alice").submit_modal(opened, {"Title": FORMULA, "Details": "+1 from me, @everyone"})
    base = await log_in(dash, http)
    csrf = await csrf_of(http, base + "/feedback")
    status, text, headers, rows = await download(http, base + "/export/feedback", {"csrf": csrf})
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert headers["Content-Disposition"] == 'attachment; filename="feedback.csv"'
    assert headers["Cache-Control"] == "no-store"
    header, row = rows[0], rows[1]
    assert header[:5] == ["id", "type", "status", "title", "details"] and len(rows) == 2
    assert row[header.index("title")] == "'" + FORMULA and row[header.index("details")] == "'+1 from me, @everyone"
    assert row[header.index("reporter_id")] == str(dash.members["alice"])
    # The same file as /feedback export gives.
    assert dash.bot is not None
    from bot.feedback.export import export_csv

    assert text.encode() == export_csv(await dash.bot.app.feedback.export(dash.guild_id))


async def test_ledger_export_defuses_formulas(dash: Harness, http) -> None:
    assert dash.bot is not None
    await dash.bot.app.ledger.credit(dash.guild_id, dash.members["alice"], "answer", source_key="answer:x",
                                     actor_id=None, reason="-1 for spam? no: @here =SUM(A1)")
    base = await log_in(dash, http)
    csrf = await csrf_of(http, base + "/")
    status, _, headers, rows = await download(http, base + "/export/ledger", {"csrf": csrf, "period": "30d"})
    assert status == 200 and headers["Content-Disposition"].startswith('attachment; filename="ledger-30d-')
    header = rows[0]
    assert header[:5] == ["id", "created_at", "member", "kind", "points"]
    entry = next(r for r in rows[1:] if r[header.index("member")] == str(dash.members["alice"]))
    assert entry[header.index("kind")] == "answer" and entry[header.index("reason")] == "'-1 for spam? no: @here =SUM(A1)"
    status, page = await post(http, base + "/export/ledger", {"csrf": csrf, "period": "forever"})
    assert status == 400 and "Unknown period" in page


async def test_beta_participants_export_defuses_display_names(dash: Harness, http) -> None:
    opened = await dash.member("sam").slash("beta create", name="Photos")
    await dash.member("sam").submit_modal(opened, {"Description": "Try it"})
    assert dash.bot is not None
    beta = await dash.bot.app.betas.by_name(dash.guild_id, "Photos")
    await dash.settle()
    post_id = (await dash.bot.app.betas.get(dash.guild_id, beta.id)).row.announcement_message_id
    await dash.member(EVIL_NAME).click(post_id, label="Join")
    base = await log_in(dash, http)
    csrf = await csrf_of(http, base + f"/betas/{beta.id}")
    status, _, headers, rows = await download(http, base + f"/betas/{beta.id}/export", {"csrf": csrf})
    assert status == 200 and headers["Content-Disposition"] == 'attachment; filename="beta-photos.csv"'
    assert rows[0] == ["user_id", "name", "status", "order", "joined_at", "left_at", "terms_accepted_at", "feedback"]
    assert rows[1][0] == str(dash.members[EVIL_NAME]) and rows[1][2] == "joined"
    assert rows[1][1] == "'" + EVIL_NAME
    status, _, _, _ = await download(http, base + "/betas/999999/export", {"csrf": csrf})
    assert status == 404


async def test_exports_need_csrf_and_a_current_staff_member(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    for path in ("/export/feedback", "/export/ledger", "/betas/1/export"):
        await refused_without_csrf(http, base + path, {})
        await refused_for_non_staff(dash, path, {})
