"""The settings page's refusal of a bad value in the page's language (docs/languages.md, issue #27), over HTTP
against the real bot: the config models' wording of the problem beside the field in German; English unchanged."""

from __future__ import annotations

from bot.sandbox.harness import Harness
from tests.dashboard.conftest import get, log_in
from tests.dashboard.test_languages_forms import in_german
from tests.dashboard.test_settings_page import form_of, post_form, row_of, with_values


async def test_a_bad_value_beside_its_field_in_german(dash: Harness, http) -> None:  # type: ignore[no-untyped-def]
    base = await in_german(dash, http)
    _, page = await get(http, base + "/settings")
    status, refused = await post_form(http, base + "/settings/points", with_values(
        form_of(page, "points"), points__answer="-1"))
    assert status == 400, refused
    assert "muss &gt;= 0 sein (erhalten: -1)" in row_of(refused, "points.answer"), row_of(refused, "points.answer")
    status, refused = await post_form(http, base + "/settings/points", with_values(
        form_of(page, "points"), points__answer="ten points"))
    assert status == 400
    row = row_of(refused, "points.answer")
    assert "erwartet eine ganze Zahl (erhalten: string)" in row and "expected" not in row, row
    assert dash.bot is not None and dash.bot.guild_config(dash.guild_id).points.answer == 10


async def test_the_same_refusal_stays_english_for_an_english_page(dash: Harness, http) -> None:  # type: ignore[no-untyped-def]
    base = await log_in(dash, http)
    _, page = await get(http, base + "/settings")
    status, refused = await post_form(http, base + "/settings/points", with_values(
        form_of(page, "points"), points__answer="-1"))
    assert status == 400 and "must be &gt;= 0 (got -1)" in row_of(refused, "points.answer")
