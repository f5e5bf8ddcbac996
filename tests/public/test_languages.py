"""The public pages in the visitor's language (docs/languages.md), on SQLite and PostgreSQL: the browser's
Accept-Language picks the page's language and the render cache keeps one copy per language (a German page is
never served to a French visitor), with ``Content-Language`` and ``Vary``; without a browser choice the page,
and always the Atom feed and the badge, speak the server's language (or ``?lang=``). Member text stays as
written and escaped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

import aiohttp
import pytest

from bot.sandbox.harness import Harness
from tests.conftest import running_harness
from tests.feedback.test_e2e import report

CONFIG = {"web": {"enabled": True, "host": "127.0.0.1", "port": 0},
          "guilds": {"default": {"language": "es", "public": {"enabled": True, "slug": "acme"}}}}
GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


@pytest.fixture(params=["sqlite", "postgres"])
async def pub(request, tmp_path) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    async with running_harness(request.param, partial(Harness, None, CONFIG), tmp_path) as harness:
        yield harness


async def get(h: Harness, path: str, headers: dict[str, str] | None = None) -> tuple[dict[str, str], str]:
    assert h.bot is not None and h.bot.web is not None
    async with aiohttp.ClientSession() as session, \
            session.get(h.bot.web.base_url + path, headers=headers or {}) as response:
        assert response.status == 200, (path, response.status)
        return dict(response.headers), await response.text()


async def test_each_visitor_gets_their_language_from_the_same_warm_cache(pub: Harness) -> None:
    h = pub
    assert h.bot is not None
    await report(h, "alice", "idea", {"Title": "Dark <mode>", "Details": "d"})
    public = h.bot.app.public

    headers, german = await get(h, "/p/acme/", GERMAN)
    assert '<html lang="de">' in german and "Roadmap von Acme Community" in german
    assert "Dark &lt;mode&gt;" in german and "Idee · Neu" in german  # member text as written, escaped
    assert headers["Content-Language"] == "de" and "Accept-Language" in headers["Vary"]
    builds = public.builds
    _, german_again = await get(h, "/p/acme/", GERMAN)
    assert german_again == german
    headers, french = await get(h, "/p/acme/", FRENCH)
    assert public.builds == builds  # the same board, warm: only the language differs
    assert '<html lang="fr">' in french and "Feuille de route de Acme Community" in french
    assert "Roadmap von" not in french and headers["Content-Language"] == "fr"
    _, german_third = await get(h, "/p/acme/", GERMAN)
    assert german_third == german

    _, betas = await get(h, "/p/acme/betas", GERMAN)
    assert "Offene Betas" in betas and "Gerade keine offenen Betas." in betas
    # No browser choice: the server's language.
    headers, spanish = await get(h, "/p/acme/requests")
    assert "solicitud abierta" in spanish and headers["Content-Language"] == "es"

    # The feed and the badge: the server's language whatever the browser says, or ?lang=.
    headers, atom = await get(h, "/p/acme/changelog.atom", GERMAN)
    assert "Registro de cambios de Acme Community" in atom and 'xml:lang="es"' in atom
    assert headers["Content-Language"] == "es" and "Vary" not in headers
    _, badge = await get(h, "/p/acme/badge.svg", GERMAN)
    assert "0 ideas de nuestra comunidad lanzadas" in badge
    _, badge_de = await get(h, "/p/acme/badge.svg?lang=de")
    assert "0 Ideen aus unserer Community umgesetzt" in badge_de
