"""The pages people look at, in a real Chromium with no network: leaderboard and charts."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import async_playwright

from watchdog.probe.browser import launch
from watchdog.publish.datasette import build_datasette
from watchdog.serving import ServerThread

pytestmark = pytest.mark.browser


async def visit(url: str, screenshots) -> dict:
    seen = {"dialogs": 0}
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        page = await browser.new_page()
        page.on("dialog", lambda dialog: seen.__setitem__("dialogs", seen["dialogs"] + 1))
        await page.goto(f"{url}/demo/leaderboard")
        seen["leaderboard_rows"] = await page.locator("table.rows-and-columns tbody tr").count()
        await page.screenshot(path=screenshots / "leaderboard.png", full_page=True)
        await page.goto(f"{url}/-/charts")
        await page.locator(".watchdog-chart svg").first.wait_for(timeout=10_000)
        seen["charts"] = await page.locator(".watchdog-chart svg").count()
        seen["bars"] = await page.locator(".watchdog-chart svg rect").count()
        await page.screenshot(path=screenshots / "charts.png", full_page=True)
        await page.goto(f"{url}/demo/messages?_size=max")  # the markup the leaky agent pasted
        await page.wait_for_timeout(300)
        seen["markup_as_text"] = (
            await page.get_by_text("<script>alert(1)</script>").count()
            + await page.get_by_text("<img src=x onerror=alert(1)>").count()
        )
        await browser.close()
    return seen


def test_leaderboard_and_charts_render_in_chromium(demo_db, tmp_path):
    with ServerThread(build_datasette(demo_db).app()) as server:
        seen = asyncio.run(visit(server.url, tmp_path))
    assert seen["leaderboard_rows"] >= 15
    assert seen["charts"] == 3 and seen["bars"] >= 20
    assert seen["dialogs"] == 0  # no agent markup ran
    assert seen["markup_as_text"] >= 1
    assert (tmp_path / "charts.png").stat().st_size > 10_000
