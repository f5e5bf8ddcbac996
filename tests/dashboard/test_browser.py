"""The dashboard in a real browser: headless Chromium (Debian's chromium + chromium-driver) driven by Selenium.

Logs in through a one-time link, opens every page, takes a screenshot of each into a temp dir and checks it is
not blank. Skipped, with the reason, when Chromium, ChromeDriver or selenium are missing.
"""

from __future__ import annotations

import asyncio
import io
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.harness import Harness
from tests.dashboard.conftest import login_link

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip("headless Chromium is not installed (apt-get install chromium chromium-driver)",
                allow_module_level=True)

from PIL import Image  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,1600")


def start_browser(profile: Path) -> Any:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    # An explicit driver path: selenium-manager never downloads anything.
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def wait(browser: Any) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,))


def distinct_colours(png: bytes) -> int:
    with Image.open(io.BytesIO(png)) as image:
        return len(image.convert("RGB").getcolors(maxcolors=1_000_000) or [])


async def test_login_and_every_page_in_headless_chromium(dash: Harness, tmp_path: Path) -> None:
    opened = await dash.member("alice").slash("feedback new", type="idea")
    await dash.member("alice").submit_modal(opened, {"Title": "Dark mode <b>please</b>", "Details": "Night owls"})
    link = await login_link(dash)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    base = f"/g/{dash.guild_id}"
    pages = [("overview", f"{base}/", "This week"), ("members", f"{base}/members?q=a", "alice"),
             ("member", f"{base}/members/{dash.members['alice']}", "Ledger"), ("betas", f"{base}/betas", "Betas"),
             ("feedback", f"{base}/feedback", "Dark mode <b>please</b>"), ("feedback-item", f"{base}/feedback/1",
                                                                         "Change the status"),
             ("rewards", f"{base}/rewards", "Perk pools"), ("audit", f"{base}/audit", "Audit log")]
    assert dash.bot is not None and dash.bot.web is not None
    root = dash.bot.web.base_url

    def drive() -> dict[str, tuple[str, int]]:
        browser = start_browser(tmp_path / "profile")
        seen: dict[str, tuple[str, int]] = {}
        try:
            browser.get(link)
            browser.find_element(By.ID, "continue").click()
            # The click navigates: wait for the new page instead of reading the old one (stale elements).
            wait(browser).until(lambda d: d.current_url.rstrip("/").endswith(base))
            for name, path, _text in pages:
                browser.get(root + path)
                png = browser.get_screenshot_as_png()
                (shots / f"{name}.png").write_bytes(png)
                seen[name] = (browser.find_element(By.TAG_NAME, "body").text, distinct_colours(png))
            cookie = browser.get_cookie("kudos_session")
            assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
            browser.find_element(By.XPATH, "//button[text()='Log out']").click()
            wait(browser).until(lambda d: "Logged out" in d.find_element(By.TAG_NAME, "body").text)
            seen["logged-out"] = (browser.find_element(By.TAG_NAME, "body").text, 0)
        finally:
            browser.quit()
        return seen

    # The browser blocks; the bot and the web server must keep running on this loop meanwhile.
    seen = await asyncio.to_thread(drive)
    for name, _path, text in pages:
        body, colours = seen[name]
        assert text in body, (name, body[:300])
        assert colours > 2, f"{name} renders blank"
        assert (shots / f"{name}.png").stat().st_size > 1000
    assert "Logged out" in seen["logged-out"][0]
