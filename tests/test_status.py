"""The claimed status of a vendor's embed, built 0.7 s after the page loaded, whose status is
only an icon: awaited, it is read right every time."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Page, async_playwright

from watchdog.config import Chat
from watchdog.probe.browser import launch
from watchdog.probe.driver import STATUS_WAIT_MS, read_status
from watchdog.records import Claimed

pytestmark = pytest.mark.browser

VENDOR = Chat(input=".vc-field", status_online=".vc-dot--online", status_offline=".vc-dot--offline")
LOADS = 20


async def read_every_load(url: str) -> list[Claimed | None]:
    """LOADS fresh loads, five pages at a time (as a run loads several platforms at once)."""
    async with async_playwright() as playwright:
        browser = await launch(playwright)

        async def load_and_read(page: Page) -> Claimed | None:
            await page.goto(url, wait_until="domcontentloaded")
            reading = await read_status(page, VENDOR, STATUS_WAIT_MS)
            return None if reading is None else reading[0]

        pages = [await browser.new_page() for _ in range(5)]
        readings: list[Claimed | None] = []
        while len(readings) < LOADS:
            readings += await asyncio.gather(*(load_and_read(page) for page in pages))
        await browser.close()
    return readings


@pytest.mark.parametrize(("slug", "claimed"), [("vendor-online", Claimed.ONLINE), ("vendor-offline", Claimed.OFFLINE)])
def test_an_icon_status_built_late_is_read_right_on_every_load(sandbox, slug, claimed):
    assert asyncio.run(read_every_load(f"{sandbox.url}/p/{slug}/")) == [claimed] * LOADS
