"""The Settings page against the real bot over HTTP: forms grouped as config.example.toml, effective values and
their source, saving through the same settings service as /settings (audited, applied at once), errors beside the
field with nothing saved, and a stale save refused."""

from __future__ import annotations

from html.parser import HTMLParser

from sqlalchemy import select

from bot.platform.tables import audit_log
from bot.sandbox.harness import Harness
from tests.contributions._helpers import ledger_rows, post_with_reply
from tests.dashboard.conftest import get, log_in


class _Form(HTMLParser):
    """The fields a browser would send for the form posting to ``action`` (inputs, checked boxes, selected
    options)."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.select = action, False, None
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action", "").endswith(self.action)
        elif self.inside and tag == "input" and a.get("type") != "checkbox":
            self.fields.append((a["name"], a.get("value", "")))
        elif self.inside and tag == "select":
            self.select = a["name"]
        elif self.inside and tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def form_of(page: str, group: str) -> list[tuple[str, str]]:
    parser = _Form(f"/settings/{group}")
    parser.feed(page)
    assert parser.fields, f"no form for {group}"
    return parser.fields


def with_values(fields: list[tuple[str, str]], **values: str | list[str]) -> list[tuple[str, str]]:
    """The form with fields ``f:<key>`` replaced (keys given with ``__`` for ``.``)."""
    wanted = {f"f:{k.replace('__', '.')}": v for k, v in values.items()}
    out = [(k, v) for k, v in fields if k not in wanted]
    for name, value in wanted.items():
        out.extend((name, v) for v in ([value] if isinstance(value, str) else value))
    return out


async def post_form(http, url: str, fields: list[tuple[str, str]]) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    async with http.post(url, data=fields, allow_redirects=False) as resp:
        return resp.status, await resp.text()


def row_of(page: str, key: str) -> str:
    start = page.index(f'<tr id="field-{key}">')
    return page[start:page.index("</tr>", start)]


async def test_the_page_shows_groups_values_and_sources(dash: Harness, http) -> None:
    await dash.member("sam").slash("settings set", key="points.thanks", value="4")
    base = await log_in(dash, http)
    status, page = await get(http, base + "/settings")
    assert status == 200, page
    for title in ("Roles", "Channels", "Points", "Caps", "Ledger", "Betas", "Feedback", "Announcements",
                  "Privacy"):
        assert f"<h2>{title}</h2>" in page
    answer = row_of(page, "points.answer")
    assert 'value="10"' in answer and "config.toml</td>" in answer
    thanks = row_of(page, "points.thanks")
    assert 'value="4"' in thanks and "this server, sam" in thanks and "config.toml: 2" in thanks
    # channel and role pickers are fed from the server
    assert '<option value="showcase">' in page and '<option value="Moderator"' in page


async def test_a_saved_group_applies_at_once_and_is_audited(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    _, page = await get(http, base + "/settings")
    status, saved = await post_form(http, base + "/settings/points", with_values(form_of(page, "points"),
                                                                                  points__answer="25"))
    assert status == 200, saved
    assert "Points: saved points.answer. It applies now." in saved
    assert "this server, sam" in row_of(saved, "points.answer")
    assert dash.bot is not None and dash.bot.guild_config(dash.guild_id).points.answer == 25
    _thread, reply = await post_with_reply(dash, "alice", "bob")
    await dash.member("alice").context_menu("Mark as solution", message_id=reply.id)
    assert [r.points for r in await ledger_rows(dash, "bob")] == [25]
    async with dash.bot.db.connect() as conn:
        [line] = list(await conn.execute(select(audit_log).where(audit_log.c.action == "settings.set")))
    assert line.actor_id == dash.members["sam"]
    assert line.details == {"key": "points.answer", "old": "10", "new": "25", "version": 1, "via": "dashboard"}
    # roles from the multi-select picker; and back to config.toml with the box
    _, page = await get(http, base + "/settings")
    status, saved = await post_form(http, base + "/settings/roles", with_values(
        form_of(page, "roles"), staff_roles=["Staff", "Moderator"]))
    assert status == 200, saved
    assert dash.bot.guild_config(dash.guild_id).staff_roles == ["Staff", "Moderator"]
    _, page = await get(http, base + "/settings")
    status, saved = await post_form(http, base + "/settings/points",
                                    [*form_of(page, "points"), ("reset:points.answer", "1")])
    assert status == 200 and dash.bot.guild_config(dash.guild_id).points.answer == 10


async def test_errors_are_shown_beside_the_field_and_nothing_is_saved(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    _, page = await get(http, base + "/settings")
    status, refused = await post_form(http, base + "/settings/points", with_values(
        form_of(page, "points"), points__answer="-1", points__thanks="7"))
    assert status == 400
    assert "must be &gt;= 0 (got -1)" in row_of(refused, "points.answer")
    assert "must be" not in row_of(refused, "points.thanks")
    assert 'value="-1"' in row_of(refused, "points.answer")  # kept as typed
    status, refused = await post_form(http, base + "/settings/points", with_values(
        form_of(page, "points"), points__answer="ten points"))
    assert status == 400 and "expected an integer (got string)" in row_of(refused, "points.answer")
    assert dash.bot is not None
    cfg = dash.bot.guild_config(dash.guild_id)
    assert (cfg.points.answer, cfg.points.thanks) == (10, 2)
    # a missing CSRF token is refused before anything
    fields = [(k, v) for k, v in with_values(form_of(page, "points"), points__answer="30") if k != "csrf"]
    status, _ = await post_form(http, base + "/settings/points", fields)
    assert status == 403 and dash.bot.guild_config(dash.guild_id).points.answer == 10


async def test_a_stale_save_is_refused(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    _, page = await get(http, base + "/settings")
    stale = with_values(form_of(page, "points"), points__answer="30")
    # meanwhile, another staff member changes the same setting from Discord
    await dash.member("sam").slash("settings set", key="points.answer", value="20")
    status, refused = await post_form(http, base + "/settings/points", stale)
    assert status == 409
    assert "Someone else saved this meanwhile" in refused
    assert "`points.answer` was changed by someone else since you loaded it" in row_of(refused, "points.answer")
    assert dash.bot is not None and dash.bot.guild_config(dash.guild_id).points.answer == 20
