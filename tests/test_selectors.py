"""One selector language: the in-page observer resolves every observer selector of the
sandbox's platform files, and harder ones, to exactly the elements Playwright's locators do."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Frame, Page, async_playwright

from watchdog.config import Platform, load_catalog
from watchdog.probe.browser import launch
from watchdog.probe.driver import ensure_observer, observer_script

pytestmark = pytest.mark.browser

SHAPES = ("prompt-human", "slow-human", "bot-loop", "template-only", "shadow-human", "vendor-online", "popup-human")
FIELDS = ("message", "visitor", "bot", "sender", "typing")
# Beyond the platform files: crossing shadow roots with child and sibling combinators, :not(),
# :has(), :is(), attribute selectors and selector lists.
HARDER = {
    "shadow-human": [
        "kefu-widget > .kefu-chat .msg",
        "kefu-widget .msgs > .msg + .msg",
        "kefu-widget .msg ~ .msg",
        ".msg:not(.me)",
        ".msg:has(> .name)",
        "kefu-widget :is(.name, .text)",
        "[class~=msg]",
        ".msg.me, kefu-widget .name",
        "kefu-widget",
    ],
    "vendor-online": [
        ".vc-item:not(.vc-item--guest) p",
        ".vc-thread > li:has(em)",
        "[class^='vc-item vc-item--']",
        "section.vc-panel ul li.vc-item",
        ".vc-who, .vc-read",
    ],
    "prompt-human": ["#kefu .msgs > div.msg", ".msg + .msg", "div:has(> .text)", "#kefu-panel .msg:not(.me) .name"],
}
IDS = """(elements) => elements.map((e) => {
  if (!e.__selectorTestId) { window.__selectorTestIds = (window.__selectorTestIds || 0) + 1; e.__selectorTestId =
    window.__selectorTestIds; }
  return e.__selectorTestId;
})"""
OURS = f"(selector) => ({IDS})(window.__kefuWatchdogQuery(selector))"


async def chat_frame(page: Page, platform: Platform) -> Frame:
    chat = platform.chat
    if chat.open:
        opened: list[Page] = []
        page.on("popup", lambda popup: opened.append(popup))
        await page.locator(chat.open).first.click()
        await asyncio.sleep(1.0)
        page = opened[0] if opened else page
    frame = page.main_frame
    for selector in chat.frame:
        frame = await (await frame.locator(selector).first.element_handle()).content_frame()
    await ensure_observer(frame, chat)
    box = frame.locator(chat.input).first
    await box.fill("你好，请问多久到账？")
    if chat.send:
        await frame.locator(chat.send).first.click()
    else:
        await box.press("Enter")
    await asyncio.sleep(2.5)  # greetings, our message and the first replies are shown
    return frame


async def resolve(browser, platform: Platform) -> dict[str, tuple[list[int], list[int]]]:
    context = await browser.new_context()
    await context.expose_binding("__kefuWatchdog", lambda source, event: None)
    await context.add_init_script(script=observer_script(platform.chat))
    page = await context.new_page()
    await page.goto(platform.url)
    frame = await chat_frame(page, platform)
    selectors = [getattr(platform.chat, f) for f in FIELDS if getattr(platform.chat, f)] + HARDER.get(platform.slug, [])
    found = {}
    for selector in selectors:
        for _ in range(10):  # a reply may land between the two look-ups: compare a still page
            theirs = await frame.locator(selector).evaluate_all(IDS)
            ours = await frame.evaluate(OURS, selector)
            if await frame.locator(selector).evaluate_all(IDS) == theirs:
                break
        found[selector] = (sorted(ours), sorted(theirs))
    await context.close()
    return found


async def resolve_all(platforms: list[Platform]) -> dict[str, dict[str, tuple[list[int], list[int]]]]:
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        results = await asyncio.gather(*(resolve(browser, p) for p in platforms))
        await browser.close()
    return {p.slug: found for p, found in zip(platforms, results, strict=True)}


def test_the_observer_and_playwright_find_the_same_elements(sandbox_probes):
    catalog = load_catalog(sandbox_probes)
    found = asyncio.run(resolve_all([catalog.platforms[slug] for slug in SHAPES]))
    for slug, selectors in found.items():
        platform = catalog.platforms[slug]
        assert selectors[platform.chat.message or ""][1], (slug, "no message bubbles to compare")
        for selector, (ours, theirs) in selectors.items():
            assert ours == theirs, (slug, selector, ours, theirs)
