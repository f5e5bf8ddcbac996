"""The dashboard's notices after a form, the webhooks page and the sentences around inline code in the page's
language (docs/languages.md, issue #27), over HTTP against the real bot: a German staff member creates a perk
pool and imports codes (a file with bad lines lists them in German, codes masked), saves a settings group,
registers and removes a webhook endpoint. Member- and staff-written values stay as written, escaped."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.sandbox.harness import Harness
from bot.web.lang import LANG_COOKIE
from tests.dashboard.conftest import csrf_of, get, log_in, post
from tests.dashboard.test_perk_pools import upload
from tests.dashboard.test_settings_page import form_of, post_form, with_values

CODES = ["ACME-STORAGE-0001", "ACME-STORAGE-0002", "ACME-STORAGE-0003"]


@pytest.fixture
def dash_config() -> dict[str, Any]:
    return {"guilds": {"default": {"perk_pools": [{"name": "storage", "low_stock_warning": 0}]}}}


async def in_german(h: Harness, http) -> str:  # type: ignore[no-untyped-def]
    """Log in, then pick German in the header's switch; returns the guild's dashboard base URL."""
    base = await log_in(h, http)
    status, _ = await post(http, base.split("/g/")[0] + "/lang", {"lang": "de", "next": "/"})
    assert status == 303 and {c.key: c.value for c in http.cookie_jar}[LANG_COOKIE] == "de"
    return base


async def test_a_perk_pool_and_its_import_in_german(dash: Harness, http) -> None:
    base = await in_german(dash, http)
    csrf = await csrf_of(http, base + "/rewards")
    status, page = await post(http, base + "/rewards/pools", {"csrf": csrf, "name": "stickers"})
    assert status == 200, page
    assert '<p class="notice" role="status">Perk-Pool stickers angelegt. Lade seine Codes unten hoch.</p>' in page

    status, page = await upload(http, base + "/rewards/pools/stickers/codes", csrf, "codes.txt",
                                "\n".join(CODES).encode())
    assert status == 200 and "3 Codes zu stickers hinzugefügt." in page, page

    status, page = await upload(http, base + "/rewards/pools/stickers/codes", csrf, "more.csv",
                                b"code\nACME-STORAGE-0009,2027-13-01\nshort\nACME-STORAGE-0001\n")
    assert status == 400, page
    assert "Nichts wurde importiert (3 Probleme; behebe sie und lade die ganze Datei erneut hoch):" in page
    assert "<li>Zeile 2: Ablaufdatum &#39;2027-13-01&#39; ist kein Datum wie 2027-01-31</li>" in page
    assert "<li>Zeile 3: ••••• ist kein gültiger Code (8–200 Buchstaben, Ziffern, - _ . : / + =)</li>" in page
    assert "<li>AC•••••••••••••01 ist schon in stickers</li>" in page
    assert "short" not in page and all(c not in page for c in CODES)  # masked
    assert "Nothing was imported" not in page and "line 2" not in page


async def test_a_settings_save_and_the_page_s_whole_sentences_in_german(dash: Harness, http) -> None:
    base = await in_german(dash, http)
    _, page = await get(http, base + "/settings")
    assert "<h2>Punkte</h2>" in page and ">Punkte speichern</button>" in page
    # one message with the command as markup: the <code> is kept, the text around it translated whole
    assert "sofort angewendet (wie <code>/settings set</code>)." in page
    assert "wie in config.toml: <code>25</code>, <code>[&#34;Staff&#34;, &#34;Team&#34;]</code>, " \
           "<code>{answer = 40}</code>." in page
    status, saved = await post_form(http, base + "/settings/points", with_values(form_of(page, "points"),
                                                                                  points__answer="25"))
    assert status == 200, saved
    assert "Punkte: points.answer gespeichert. Es gilt ab sofort." in saved and "It applies now" not in saved
    status, again = await post_form(http, base + "/settings/points", form_of(saved, "points"))
    assert status == 200 and "Punkte: nichts geändert." in again

    _, betas = await get(http, base + "/betas")
    assert '<span class="muted">(wie <code>/beta create</code>)</span>' in betas


async def test_the_webhooks_page_and_its_notices_in_german(dash: Harness, http) -> None:
    base = await in_german(dash, http)
    status, page = await get(http, base + "/webhooks")
    assert status == 200, page
    assert "<h2>Endpunkt registrieren</h2>" in page and ">Registrieren</button>" in page
    assert "Dieser Server hat keine Webhook-Endpunkte." in page
    assert "Endpunkte kommen aus <code>[guilds.&lt;id&gt;.webhooks]</code> in der Konfigurationsdatei, oder sie " \
           "werden hier oder mit <code>/webhooks add</code> registriert." in page
    assert "Register an endpoint" not in page and "Signed outbound events" not in page

    csrf = await csrf_of(http, base + "/webhooks")
    url = "https://hooks.example.com/kudos?a=1&b=<x>"  # staff-written: escaped, also inside the <code> markup
    status, page = await post(http, base + "/webhooks/endpoints", {"csrf": csrf, "name": "crm", "url": url,
                                                                   "events": "*"})
    assert status == 200, page
    assert page.count("Endpunkt crm registriert.") == 1
    found = re.search(r"Sein Signaturgeheimnis, nur dieses eine Mal angezeigt: <code>(whsec_[0-9a-f]{48})</code> – "
                      r"bewahre es in deinem Empfänger auf, um den Header <code>Kudos-Signature</code> zu prüfen\.",
                      page)
    assert found, page
    assert "<code>https://hooks.example.com/kudos?a=1&amp;b=&lt;x&gt;</code> · Ereignisse: * · vom Team " \
           "registriert" in page
    assert "<x>" not in page
    status, page = await post(http, base + "/webhooks/endpoints/crm/remove", {"csrf": csrf})
    assert status == 200 and "Endpunkt crm entfernt; sein Protokoll bleibt." in page
    assert "(deaktiviert)" in page and found.group(1) not in page
