"""The Settings page in headless Chromium (the same set-up as test_browser.py): a staff member changes
points.answer with the form, then saves a wrong value and sees the error beside the field; each screenshot is
checked not to be blank. Skipped, with the reason, when Chromium, ChromeDriver or selenium are missing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.sandbox.harness import Harness
from tests.dashboard.conftest import login_link
from tests.dashboard.test_browser import By, distinct_colours, start_browser, wait


async def test_settings_page_in_headless_chromium(dash: Harness, tmp_path: Path) -> None:
    link = await login_link(dash)
    assert dash.bot is not None and dash.bot.web is not None
    root, base = dash.bot.web.base_url, f"/g/{dash.guild_id}"
    shots = tmp_path / "screenshots"
    shots.mkdir()

    def drive() -> dict[str, tuple[str, str, int]]:
        browser = start_browser(tmp_path / "profile")
        seen: dict[str, tuple[str, str, int]] = {}

        def shot(name: str, row: str) -> None:
            png = browser.get_screenshot_as_png()
            (shots / f"{name}.png").write_bytes(png)
            value = browser.find_element(By.ID, f"f-{row}").get_attribute("value")
            seen[name] = (browser.find_element(By.TAG_NAME, "body").text,
                          f"{value} | {browser.find_element(By.ID, f'field-{row}').text}", distinct_colours(png))

        try:
            browser.get(link)
            browser.find_element(By.ID, "continue").click()
            wait(browser).until(lambda d: d.current_url.rstrip("/").endswith(base))
            browser.get(root + base + "/settings")
            shot("settings", "points.answer")
            box = browser.find_element(By.ID, "f-points.answer")
            box.clear()
            box.send_keys("25")
            browser.find_element(By.ID, "save-points").click()
            wait(browser).until(lambda d: "saved points.answer" in d.find_element(By.TAG_NAME, "body").text)
            shot("saved", "points.answer")
            box = browser.find_element(By.ID, "f-points.thanks")
            box.clear()
            box.send_keys("-3")
            browser.find_element(By.ID, "save-points").click()
            wait(browser).until(lambda d: "Nothing in this group was saved" in d.find_element(By.TAG_NAME, "body").text)
            shot("refused", "points.thanks")
        finally:
            browser.quit()
        return seen

    seen = await asyncio.to_thread(drive)
    body, row, _ = seen["settings"]
    assert "Settings" in body and "Points" in body and row.startswith("10 | ")
    _, row, _ = seen["saved"]
    assert row.startswith("25 | ") and "this server" in row
    _, row, _ = seen["refused"]
    assert row.startswith("-3 | ") and "must be >= 0 (got -3)" in row
    for name, (_body, _row, colours) in seen.items():
        assert colours > 2, f"{name} renders blank"
        assert (shots / f"{name}.png").stat().st_size > 1000
    cfg = dash.bot.guild_config(dash.guild_id)
    assert (cfg.points.answer, cfg.points.thanks) == (25, 2)
