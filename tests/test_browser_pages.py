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


PAGE_FIGURES = {  # in Chinese, as a browser is shown them first
    "leaderboard": ("/-/leaderboard", ("100% (57–100%)", "没有真人回复", "5 次中 5 次")),
    "platform": ("/-/platform/bot-then-human", ("1分钟31秒", "承诺 1分钟内首次回复")),
}


async def read_pages(url: str, screenshots) -> dict:
    """Each page at 1280 and 390 px: sideways overflow, the key figures shown, and the links."""
    seen: dict = {}
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        for width in (1280, 390):
            page = await browser.new_page(viewport={"width": width, "height": 800})
            await page.goto(f"{url}/-/leaderboard")
            if width == 1280:  # the first screen: the top platforms' rank, name, grade, human reached, median
                cells = page.locator("table.board tbody tr td:nth-child(-n+6)")
                boxes = [await cells.nth(i).bounding_box() for i in range(await cells.count())]
                # within 1280 px across for every row, and the first 20 rows within 800 px down
                seen["first_screen"] = all(b and b["x"] + b["width"] <= 1280 for b in boxes) and all(
                    b and b["y"] + b["height"] <= 800 for b in boxes[: 20 * 6]
                )
                seen["rows"] = await page.locator("table.board tbody tr").count()
            await page.locator('a[href="/-/platform/bot-then-human"]').click()
            await page.wait_for_url("**/-/platform/bot-then-human")
            await page.locator("ul.probes a").first.click()
            await page.wait_for_url("**/-/probe/*")
            seen[("probe", width)] = await page.locator("ol.chat li").count()
            for name, (path, _) in PAGE_FIGURES.items():
                await page.goto(url + path)
                seen[(name, width)] = await page.locator("body").inner_text()
            for name in ("leaderboard", "platform", "probe"):
                if name == "probe":  # from the platform page just visited
                    await page.locator("ul.probes a").first.click()
                    await page.wait_for_url("**/-/probe/*")
                else:
                    await page.goto(url + PAGE_FIGURES[name][0])
                seen[("overflow", name, width)] = await page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                await page.screenshot(path=screenshots / f"{name}-{width}.png", full_page=True)
            await page.close()
        await browser.close()
    return seen


def test_pages_read_on_a_phone_and_a_desktop(demo_db, tmp_path):
    with ServerThread(build_datasette(demo_db).app()) as server:
        seen = asyncio.run(read_pages(server.url, tmp_path))
    assert seen["rows"] >= 20 and seen["first_screen"]
    for width in (1280, 390):
        for name in ("leaderboard", "platform", "probe"):
            assert seen[("overflow", name, width)] == 0, (name, width)
            assert (tmp_path / f"{name}-{width}.png").stat().st_size > 5_000
        assert seen[("probe", width)] >= 4  # question, bot, 转人工, person
        for name, (_, figures) in PAGE_FIGURES.items():
            for figure in figures:
                assert figure in seen[(name, width)], (name, width, figure)
