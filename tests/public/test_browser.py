"""The public pages in a real browser: headless Chromium (Debian's chromium + chromium-driver) driven by
Selenium, like the dashboard's browser tests, on SQLite and PostgreSQL.

Opens every public page with no login, takes a screenshot of each into a temp dir and checks it is not blank
and shows what it should. Skipped, with the reason, when Chromium, ChromeDriver or selenium are missing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.sandbox.harness import Harness
from tests.dashboard.test_browser import distinct_colours, start_browser  # skips this module like that one
from tests.feedback.test_e2e import report
from tests.public.test_betas_changelog import beta_id, beta_items, pub  # noqa: F401 (the fixture)


async def test_every_public_page_renders_in_headless_chromium(pub: Harness, tmp_path: Path) -> None:  # noqa: F811
    h = pub
    await report(h, "alice", "idea", {"Title": "Dark mode <b>please</b>", "Details": "Night owls"})
    opened = await h.member("sam").slash("beta create", name="Photos v2", capacity=10)
    await h.member("sam").submit_modal(opened, {"Description": "Try the new uploader"})
    await beta_items(h, await beta_id(h, "Photos v2"), ("bob", "idea", "planned", "Albums", None))
    done = await h.member("sam").slash("feedback status", status="shipped", item=1, version="2.5")
    assert done.ephemeral, done.content
    shots = tmp_path / "screenshots"
    shots.mkdir()
    pages = [("roadmap", "/p/acme/", "Roadmap"), ("requests", "/p/acme/requests?beta=Photos+v2", "Albums"),
             ("changelog", "/p/acme/changelog", "Dark mode <b>please</b>"), ("betas", "/p/acme/betas", "10 spots left"),
             ("item", "/p/acme/i/1", "Dark mode <b>please</b>"), ("badge", "/p/acme/badge.svg", "")]
    assert h.bot is not None and h.bot.web is not None
    root = h.bot.web.base_url

    def drive() -> dict[str, tuple[str, int, str]]:
        from selenium.webdriver.common.by import By

        browser = start_browser(tmp_path / "profile")
        seen: dict[str, tuple[str, int, str]] = {}
        try:
            for name, path, _text in pages:
                browser.get(root + path)
                png = browser.get_screenshot_as_png()
                (shots / f"{name}.png").write_bytes(png)
                text = browser.find_element(By.TAG_NAME, "body").text if name != "badge" else ""
                seen[name] = (text, distinct_colours(png), browser.title)
        finally:
            browser.quit()
        return seen

    # The browser blocks; the bot and the web server keep running on this loop meanwhile.
    seen = await asyncio.to_thread(drive)
    for name, _path, text in pages:
        body, colours, _title = seen[name]
        assert text in body, (name, body[:300])
        assert colours > 2, f"{name} renders blank"
        assert (shots / f"{name}.png").stat().st_size > 1000
    assert seen["roadmap"][2] == "Acme Community roadmap · Acme Community"
    assert "Shipped (1)" in seen["roadmap"][0] and "Join on Discord" in seen["betas"][0]
