"""The dashboard in the staff member's language (docs/languages.md): the browser's Accept-Language picks it
(RFC 9110 §12.5.4, q-values), the header's picker overrides it with the ``kudos_lang`` cookie (only one of the
six languages is taken, and it sends the browser back to a page of this site only), and error pages speak it."""

from __future__ import annotations

from bot.sandbox.harness import Harness
from bot.web.lang import LANG_COOKIE, from_accept_language
from tests.dashboard.conftest import get, log_in, post

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


async def test_a_german_browser_gets_german_pages_and_the_switch_overrides_it(dash: Harness, http) -> None:
    base = await log_in(dash, http)
    status, page = await get(http, base + "/", headers=GERMAN)
    assert status == 200, page
    assert '<html lang="de">' in page
    assert "<h1>Übersicht</h1>" in page and "<h2>Diese Woche</h2>" in page
    assert ">Mitglieder</a>" in page and ">Abmelden</button>" in page  # the navigation and the header
    assert "Beta-Beitritte" in page  # the week's counts, labelled in the route
    assert "<figcaption>Beiträge, letzte 30 Tage: noch keine Daten.</figcaption>" in page  # the charts' text
    status, page = await get(http, base + "/betas", headers=GERMAN)
    assert status == 200 and "Noch keine Betas." in page
    status, page = await get(http, base + "/members/999", headers=GERMAN)  # a service error, in German
    assert status == 404 and "Auf diesem Server gibt es kein Mitglied 999." in page

    path = base.split("://", 1)[1].split("/", 1)[1]
    status, _ = await post(http, base.split("/g/")[0] + "/lang", {"lang": "fr", "next": f"/{path}/betas"},
                           headers=GERMAN)
    assert status == 303
    jar = {c.key: c.value for c in http.cookie_jar}
    assert jar[LANG_COOKIE] == "fr"
    status, page = await get(http, base + "/betas", headers=GERMAN)  # the choice wins over the header
    assert status == 200 and '<html lang="fr">' in page and "Pas encore de bêta." in page
    assert '<option value="fr" selected>Français</option>' in page


async def test_the_switch_takes_only_kudos_languages_and_only_local_pages(dash: Harness, http) -> None:
    assert dash.bot is not None and dash.bot.web is not None
    root = dash.bot.web.base_url
    status, page = await post(http, root + "/lang", {"lang": "xx", "next": "/"}, headers=GERMAN)
    assert status == 400 and "Diese Sprache spricht Kudos nicht." in page
    assert LANG_COOKIE not in {c.key for c in http.cookie_jar}
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        async with http.post(root + "/lang", data={"lang": "ja", "next": evil}, allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"] == "/", evil
    status, page = await get(http, root + "/")
    assert status == 200 and '<html lang="ja">' in page and "ログインしていません。" in page
    status, page = await get(http, root + "/", headers={"Cookie": f"{LANG_COOKIE}=../../etc"})
    assert '<html lang="en">' in page or '<html lang="ja">' in page  # an unknown value is never used


async def test_a_public_visitor_without_a_language_gets_english(dash: Harness, http) -> None:
    assert dash.bot is not None and dash.bot.web is not None
    status, page = await get(http, dash.bot.web.base_url + "/", headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    assert status == 200 and '<html lang="en">' in page and "You are not logged in." in page


def test_accept_language_is_read_with_its_weights() -> None:
    assert from_accept_language("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5") == "fr"
    assert from_accept_language("ko, de;q=0.3, ja;q=0.6") == "ja"
    assert from_accept_language("pt-BR") == "pt_BR" and from_accept_language("es-419") == "es"
    assert from_accept_language("de;q=0, fr;q=bad") is None
    assert from_accept_language("") is None and from_accept_language(None) is None
    assert from_accept_language("en-GB,en;q=0.9") == "en"


async def test_a_status_change_notice_in_german(dash: Harness, http) -> None:
    from tests.dashboard.test_pages import csrf_of, report

    item_id = await report(dash)
    base = await log_in(dash, http)
    csrf = await csrf_of(http, base + f"/feedback/{item_id}")
    status, page = await post(http, base + f"/feedback/{item_id}/status", {"csrf": csrf, "status": "planned"},
                              headers=GERMAN)
    assert status == 200, page
    assert f"Feedback #{item_id} ist jetzt Geplant." in page
    assert "1 Mitglied wird benachrichtigt; die Statuszeile des Threads ist unterwegs." in page
    assert "will be told" not in page and "is now" not in page
