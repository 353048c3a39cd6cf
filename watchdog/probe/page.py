"""What the probe, the live check and discovery do to a platform's page: call into it without
letting a frozen page hold us up, read the widget's claimed status, open the chat (in the
page or a new window), find its frame and click through to its input. Nothing here sends or
records anything."""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Awaitable
from importlib import resources
from typing import Any, TypeVar

from playwright.async_api import Frame, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

from ..config import Chat
from ..reasons import Reason
from ..records import Claimed
from ..verdicts.lines import NO_AGENT
from .conversation import claimed_from_text
from .discovery import scan_words

T = TypeVar("T")
PAGE_TIMEOUT_MS = 30_000
PAGE_CALL_TIMEOUT_S = 10.0  # a page that does not answer a call this long is frozen (a busy loop)
POPUP_WAIT_S = 3.0  # after clicking chat.open, this long for a new window (unless the chat shows in the page)
ELEMENT_TIMEOUT_MS = 10_000
STATUS_WAIT_MS = 5_000  # a vendor's embed builds its status some time after the page loaded


class Unresponsive(Exception):
    """The page stopped answering the browser (a busy loop): nothing more can be read from it."""


class NotFound(Exception):
    """The chat's entry, window or frame is not there; the reason names the field."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


async def page_call(call: Awaitable[T], what: str) -> T:
    """A call into the page that a frozen page cannot hold up: Unresponsive after
    PAGE_CALL_TIMEOUT_S."""
    try:
        return await asyncio.wait_for(call, PAGE_CALL_TIMEOUT_S)
    except TimeoutError:
        raise Unresponsive(Reason("unresponsive", what=what, waited=PAGE_CALL_TIMEOUT_S)) from None


@functools.cache
def _scan_source() -> str:
    source = (resources.files("watchdog.probe") / "scan.js").read_text(encoding="utf-8")
    return source.replace("__WORDS__", json.dumps(scan_words(), ensure_ascii=False))


async def scan(frame: Frame, call: str, arg: Any = None) -> Any:
    """Run one of scan.js's functions (it only reads the page) in a frame."""
    script = f"(arg) => {{ {_scan_source()}\nreturn {call}(arg); }}"
    return await page_call(frame.evaluate(script, arg), f"reading the page ({call})")


async def other_contacts(page: Page) -> tuple[list[str], str]:
    """The contacts a page offers that are not a web chat (scan.js contacts): their kinds (QQ,
    WeChat) and one of them as the page gives it ("" when there are none)."""
    found = await scan(page.main_frame, "contacts")
    return sorted({kind for kind, _ in found}), (found[0][1] if found else "")


async def read_status(page: Page, chat: Chat, wait_ms: int) -> tuple[Claimed, str] | None:
    """What the widget claims, waiting up to `wait_ms` for its status to show: a text element
    (chat.status; it may get its text late), or whichever of chat.status_offline and
    chat.status_online is present. None when it shows none."""
    deadline = time.monotonic() + wait_ms / 1000
    if chat.status:
        element = page.locator(chat.status).first
        while True:
            try:
                text = (await element.inner_text(timeout=max(1, (deadline - time.monotonic()) * 1000))).strip()
            except PlaywrightTimeout:
                return None
            if text or time.monotonic() >= deadline:
                return claimed_from_text(text, chat), text
            await asyncio.sleep(0.1)
    shown = [
        (selector, claimed)
        for selector, claimed in ((chat.status_offline, Claimed.OFFLINE), (chat.status_online, Claimed.ONLINE))
        if selector
    ]
    if not shown:
        return None
    either = page.locator(shown[0][0])
    for selector, _ in shown[1:]:
        either = either.or_(page.locator(selector))
    try:
        await either.first.wait_for(state="attached", timeout=max(1, wait_ms))
    except PlaywrightTimeout:
        return None
    for selector, claimed in shown:
        if await page.locator(selector).count() > 0:
            return claimed, selector
    return None


# The first visible text in the chat saying no agent is on duty (a notice or a dialog of the
# chat's own: "现在是客服下班时间，请留下您的联系方式"), or null. The chat is its iframe's whole
# document; in the platform's own page only the box around the input (a few levels up), never
# the shop's footer with its service hours.
NO_AGENT_NOTICE = """([pattern, input, whole]) => {
  const says = new RegExp(pattern, "i");
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  let scope = document.body || document.documentElement;
  if (!whole) {
    let box = document.querySelector(input);
    if (!box) return null;
    for (let depth = 0; depth < 5 && box.parentElement && box.parentElement !== document.body; depth++) {
      box = box.parentElement;
    }
    scope = box;
  }
  const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    if (!el || !text || text.length > 200 || el.isContentEditable) continue;
    if (el.closest("script,style,noscript,template")) continue;
    if (says.test(text) && shown(el)) return (el.innerText || text).replace(/\\s+/g, " ").trim().slice(0, 200);
  }
  return null;
}"""


async def read_chat_notice(frame: Frame, chat: Chat, *, whole_document: bool) -> str | None:
    """What the chat itself shows saying no agent is on duty, if anything: the widget's own
    offline claim, whatever the page around it says. `whole_document`: the chat has the frame
    or window to itself (else only the box around its input is read)."""
    found = await page_call(
        frame.evaluate(NO_AGENT_NOTICE, [NO_AGENT.pattern, chat.input, whole_document]), "reading the chat's notices"
    )
    return str(found) if found else None


async def open_chat(page: Page, chat: Chat) -> Page:
    """Click chat.open; when that opens a new window or tab, the chat is there (loaded)."""
    opened: list[Page] = []

    def on_popup(popup: Page) -> None:
        opened.append(popup)

    page.on("popup", on_popup)
    try:
        await page.locator(chat.open or "").first.click(timeout=ELEMENT_TIMEOUT_MS)
    except PlaywrightTimeout:
        raise NotFound(Reason("open_not_found", selector=chat.open)) from None
    in_page = page.locator(chat.frame[0] if chat.frame else chat.input).first
    deadline = time.monotonic() + POPUP_WAIT_S
    while not opened and time.monotonic() < deadline:
        if await page_call(in_page.is_visible(), "is the chat open"):
            break  # the chat opened in the page itself
        await asyncio.sleep(0.05)
    page.remove_listener("popup", on_popup)
    if not opened:
        return page
    try:
        await opened[0].wait_for_load_state("domcontentloaded", timeout=PAGE_TIMEOUT_MS)
    except PlaywrightTimeout:
        raise NotFound(Reason("popup_not_loaded")) from None
    return opened[0]


async def find_chat_frame(page: Page, chat: Chat) -> Frame:
    """The frame the chat is in, following chat.frame's iframes from the page down."""
    frame = page.main_frame
    for selector in chat.frame:
        try:
            handle = await frame.locator(selector).first.element_handle(timeout=ELEMENT_TIMEOUT_MS)
        except PlaywrightTimeout:
            raise NotFound(Reason("frame_not_found", selector=selector)) from None
        inner = await handle.content_frame()
        if inner is None:
            raise NotFound(Reason("frame_not_iframe", selector=selector))
        frame = inner
    return frame


async def start_chat(frame: Frame, chat: Chat) -> None:
    """Click chat.start's steps in the chat frame (a home view's "Start conversation"), each
    once it or the input shows; none once the input shows. Clicking them sends nothing."""
    chat_input = frame.locator(chat.input).first
    for selector in chat.start:
        step = frame.locator(selector).first
        try:
            await chat_input.or_(step).first.wait_for(state="visible", timeout=ELEMENT_TIMEOUT_MS)
        except PlaywrightTimeout:
            raise NotFound(Reason("start_not_shown", selector=selector)) from None
        if await page_call(chat_input.is_visible(), "is the chat input there"):
            return
        try:
            await step.click(timeout=ELEMENT_TIMEOUT_MS)
        except PlaywrightTimeout:
            raise NotFound(Reason("start_not_clickable", selector=selector)) from None
