"""`watchdog check --live`: a platform file tried against its live page, sending nothing and
recording nothing. Load the page, read the status, open the chat, and look up every selector
of the file: how many elements, how many visible. A labelled screenshot shows what was found.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, Frame, Page
from playwright.async_api import Error as PlaywrightError

from ..config import Platform
from ..text import clean_text, page_text
from .browser import chromium, new_context
from .labels import COLOURS, Boxed, Label, labelled_screenshot
from .page import (
    ELEMENT_TIMEOUT_MS,
    PAGE_TIMEOUT_MS,
    STATUS_WAIT_MS,
    NotFound,
    Unresponsive,
    find_chat_frame,
    open_chat,
    page_call,
    read_status,
    start_chat,
)

PAGE_FIELDS = ("status", "status_online", "status_offline", "open")
CHAT_FIELDS = ("input", "send", "message", "visitor", "bot", "sender", "typing")
REQUIRED = ("open", "frame", "start", "input", "send")  # without these no probe can ask anything
# Present only once a conversation has begun (or only while someone types): none is fine.
LATER = ("message", "visitor", "bot", "sender", "typing")


@dataclass
class FieldCheck:
    field: str
    selector: str
    found: int = 0
    visible: int = 0
    result: str = "ok"  # ok / missing / none yet / not reached

    @property
    def failed(self) -> bool:
        return self.result == "missing" and self.field.split(".")[0] in REQUIRED


@dataclass
class LiveCheck:
    platform: str
    fields: list[FieldCheck] = field(default_factory=list)
    claimed: str = ""  # what the status said, or why the page could not be checked
    error: str | None = None
    screenshot: Path | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None or any(check.failed for check in self.fields)


async def check_live(browser: Browser, platform: Platform, screenshot_dir: Path | None = None) -> LiveCheck:
    """Try the platform file on its page; never types, never clicks anything but chat.open."""
    result = LiveCheck(platform.slug)
    context = await new_context(browser)
    boxes: list[Boxed] = []
    shown: Page | None = None
    try:
        page = shown = await context.new_page()
        try:
            await page.goto(platform.url, wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_MS)
        except PlaywrightError as e:
            result.error = f"the page did not load: {page_text(str(e).splitlines()[0])}"
            return result
        reading = await read_status(page, platform.chat, STATUS_WAIT_MS)
        result.claimed = f"{reading[0]} ({clean_text(reading[1])[:60]})" if reading else "unknown (no status shown)"
        if platform.chat.open:  # a vendor's script may build its launcher some time after the page loaded
            with contextlib.suppress(PlaywrightError):
                await page.locator(platform.chat.open).first.wait_for(state="attached", timeout=ELEMENT_TIMEOUT_MS)
        for name in PAGE_FIELDS:
            await _look(page.main_frame, name, getattr(platform.chat, name), result, boxes, allow_none=name != "open")
        chat_page = page
        if platform.chat.open:
            try:
                chat_page = shown = await open_chat(page, platform.chat)
            except NotFound as e:
                result.error = str(e)
                return result
        try:
            frame = await find_chat_frame(chat_page, platform.chat)
        except NotFound as e:
            result.fields.append(FieldCheck("frame", " / ".join(platform.chat.frame), result="missing"))
            result.error = str(e)
            return result
        for selector in platform.chat.frame:
            result.fields.append(FieldCheck("frame", selector, 1, 1))
        try:
            await start_chat(frame, platform.chat)
        except NotFound as e:
            result.fields.append(FieldCheck("start", " / ".join(platform.chat.start), result="missing"))
            result.error = str(e)
            return result
        with contextlib.suppress(PlaywrightError):
            await frame.locator(platform.chat.input).first.wait_for(state="visible", timeout=ELEMENT_TIMEOUT_MS)
        for name in CHAT_FIELDS:
            await _look(frame, name, getattr(platform.chat, name), result, boxes, allow_none=name in LATER)
    except Unresponsive as e:
        result.error = str(e)
    except PlaywrightError as e:
        result.error = f"browser error: {page_text(str(e).splitlines()[0])}"
    finally:
        if screenshot_dir is not None and shown is not None:
            result.screenshot = await labelled_screenshot(shown, boxes, screenshot_dir / f"{platform.slug}.png")
        with contextlib.suppress(PlaywrightError):
            await context.close()
    return result


async def _look(
    frame: Frame,
    name: str,
    selector: str | None,
    result: LiveCheck,
    boxes: list[Boxed],
    *,
    allow_none: bool,
) -> None:
    if not selector:
        return
    elements = frame.locator(selector)
    found = await page_call(elements.count(), f"looking up chat.{name}")
    visible = await page_call(elements.filter(visible=True).count(), f"looking up chat.{name}")
    check = FieldCheck(name, selector, found, visible)
    if not found:
        check.result = "none yet" if allow_none else "missing"
    result.fields.append(check)
    if visible:
        box = await page_call(elements.filter(visible=True).first.bounding_box(), f"placing chat.{name}")
        if box:
            colour = COLOURS["missing" if check.result == "missing" else "ok"]
            boxes.append((frame.page, Label(f"chat.{name}", box["x"], box["y"], box["width"], box["height"], colour)))


async def check_all_live(
    platforms: list[Platform], screenshot_dir: Path | None = None, concurrency: int = 8
) -> list[LiveCheck]:
    """Every platform tried live, a few at once in one browser; results in the order given."""
    limit = asyncio.Semaphore(concurrency)
    async with chromium() as browser:

        async def one(platform: Platform) -> LiveCheck:
            async with limit:
                return await check_live(browser, platform, screenshot_dir)

        return await asyncio.gather(*(one(p) for p in platforms))
