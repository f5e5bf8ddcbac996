"""A reward rule edited in headless Chromium: open the rule's form, change the trigger, run the dry run, save.
Screenshots of the dry run and of the saved page are checked not to be blank. Skipped, as test_browser.py,
when Chromium, ChromeDriver or selenium are missing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.sandbox.harness import Harness
from tests.dashboard.conftest import login_link
from tests.dashboard.test_browser import By, distinct_colours, start_browser, wait


async def test_edit_a_reward_rule_with_its_dry_run_in_headless_chromium(dash: Harness, tmp_path: Path) -> None:
    assert dash.bot is not None and dash.bot.web is not None
    added = await dash.member("sam").slash("rewards rule add", name="vip", trigger="points:1", dm="Welcome, VIP")
    assert "Added" in (added.content or "")
    await dash.bot.app.ledger.credit(dash.guild_id, dash.members["alice"], "answer", source_key="answer:a",
                                     actor_id=None)
    await dash.settle()
    link = await login_link(dash)
    base = f"/g/{dash.guild_id}"
    root = dash.bot.web.base_url
    shots = tmp_path / "screenshots"
    shots.mkdir()

    def drive() -> dict[str, tuple[str, int]]:
        browser = start_browser(tmp_path / "profile")
        seen: dict[str, tuple[str, int]] = {}
        try:
            browser.get(link)
            browser.find_element(By.ID, "continue").click()
            wait(browser).until(lambda d: d.current_url.rstrip("/").endswith(base))
            browser.get(root + base + "/rewards")
            browser.find_element(By.XPATH, "//button[text()='Edit']").click()
            wait(browser).until(lambda d: "Edit reward rule vip" in d.find_element(By.TAG_NAME, "body").text)
            trigger = browser.find_element(By.NAME, "trigger")
            trigger.clear()
            trigger.send_keys("points:500")
            browser.find_element(By.ID, "dry-run-button").click()
            wait(browser).until(lambda d: "Nothing is saved yet" in d.find_element(By.TAG_NAME, "body").text)
            png = browser.get_screenshot_as_png()
            (shots / "dry-run.png").write_bytes(png)
            seen["dry-run"] = (browser.find_element(By.TAG_NAME, "body").text, distinct_colours(png))
            browser.find_element(By.ID, "save-button").click()
            wait(browser).until(lambda d: "Updated vip" in d.find_element(By.TAG_NAME, "body").text)
            png = browser.get_screenshot_as_png()
            (shots / "saved.png").write_bytes(png)
            seen["saved"] = (browser.find_element(By.TAG_NAME, "body").text, distinct_colours(png))
        finally:
            browser.quit()
        return seen

    seen = await asyncio.to_thread(drive)  # the bot and the web server keep running on this loop meanwhile
    body, colours = seen["dry-run"]
    assert "0 member(s) would get it now." in body and colours > 2, body[:500]
    body, colours = seen["saved"]
    assert "Updated vip" in body and "500 points" in body and colours > 2, body[:500]
    for name in ("dry-run", "saved"):
        assert (shots / f"{name}.png").stat().st_size > 1000
    rule = await dash.bot.app.rewards.rule(dash.guild_id, "vip")
    assert rule.threshold == 500 and rule.config.dm == "Welcome, VIP"
