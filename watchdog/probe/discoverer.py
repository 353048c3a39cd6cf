"""`watchdog discover URL`: find a platform's chat with no selector written by hand.

Load the page in the probe's browser set-up; if a preset's chat system is there, try its
selectors; if a chat's text box is already shown, take it; else try the elements that look
like the chat's entry, best first, each on a freshly loaded page: an entry is the one whose
click shows a new chat text box (in the page, an iframe, a shadow root or a new window)
without leaving the page. Never types, never submits: the only clicks are on entries.
What to make of what scan.js reads is decided in discovery.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Frame, Page
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from ..config import presets
from ..text import page_text
from .browser import chromium, new_context
from .discovery import (
    Discovery,
    EntrySeen,
    Finding,
    InputSeen,
    StatusSeen,
    choose_input,
    choose_status,
    name_from_title,
    ranked_entries,
)
from .labels import COLOURS, Boxed, Label, labelled_screenshot
from .page import (
    ELEMENT_TIMEOUT_MS,
    PAGE_TIMEOUT_MS,
    NotFound,
    Unresponsive,
    find_chat_frame,
    open_chat,
    other_contacts,
    page_call,
    scan,
    start_chat,
)

SETTLE_S = 2.5  # after the load event: embeds build their launchers late
OPEN_WAIT_S = 5.0  # after a click, this long for a chat to show
CLICK_TIMEOUT_MS = 3_000
MARK = "window.__kefuDiscoverPage"  # set on the page before a click: gone after a navigation


class _Attempt:
    """One freshly loaded page, to try one way into the chat on."""

    def __init__(self, context: BrowserContext, url: str):
        self.context, self.url = context, url
        self.popups: list[Page] = []
        self.page: Page | None = None

    async def load(self) -> Page:
        page = self.page = await self.context.new_page()
        page.on("popup", self._on_popup)
        response = await page.goto(self.url, wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_MS)
        if response is not None and response.status >= 400:
            raise NotFound(f"the page answered HTTP {response.status}")
        with contextlib.suppress(PlaywrightTimeout):
            await page.wait_for_load_state("load", timeout=PAGE_TIMEOUT_MS)
        await asyncio.sleep(SETTLE_S)
        return page

    def _on_popup(self, popup: Page) -> None:
        self.popups.append(popup)

    async def close(self) -> None:
        for page in [*self.popups, self.page]:
            if page is not None:
                with contextlib.suppress(PlaywrightError):
                    await page.close()


async def _inputs(page: Page) -> list[tuple[Frame, InputSeen]]:
    found = []
    for frame in page.frames:
        with contextlib.suppress(PlaywrightError):
            found += [(frame, InputSeen.read(seen)) for seen in await scan(frame, "inputs")]
    return found


async def _pick(page: Page, *, after_click: bool) -> tuple[Frame, InputSeen] | None:
    seen = await _inputs(page)
    chosen = choose_input([i for _, i in seen], after_click=after_click)
    return next((pair for pair in seen if pair[1] is chosen), None)


async def _frame_chain(frame: Frame) -> tuple[str, ...]:
    """The selectors of the iframes from the page down to `frame`."""
    chain: list[str] = []
    while frame.parent_frame is not None:
        element = await frame.frame_element()
        named = await scan(frame.parent_frame, "selectorOf", element)
        if not named:
            raise NotFound("the chat's iframe has no stable selector")
        chain.insert(0, named[0])
        frame = frame.parent_frame
    return tuple(chain)


async def _box(frame: Frame, selector: str) -> tuple[float, float, float, float] | None:
    with contextlib.suppress(PlaywrightError):
        box = await frame.locator(selector).first.bounding_box(timeout=1_000)
        if box:
            return box["x"], box["y"], box["width"], box["height"]
    return None


class Discoverer:
    def __init__(self, browser: Browser, url: str):
        self.browser, self.url = browser, url
        self.found = Discovery(url)
        self.boxes: list[Boxed] = []
        self.shown: Page | None = None  # the page to take the screenshot of

    async def run(self, screenshot: Path | None = None) -> Discovery:
        context = await new_context(self.browser)
        attempts: list[_Attempt] = []
        try:
            first = _Attempt(context, self.url)
            attempts.append(first)
            page = await first.load()
            self.found.name = name_from_title(await page.title(), self.url)
            self.shown = page
            if not await self._preset(page) and not await self._shown_at_load(page):
                await self._entries(page, context, attempts)
            if not self.found.found and self.found.error is None:
                tried = "; ".join(self.found.tried) or "nothing on the page looks like a chat's entry"
                # A page whose only contact is QQ or WeChat says so (neither for nor against it).
                kinds, example = await other_contacts(page)
                found = f"{'/'.join(kinds)} only (e.g. {example}), no web chat" if kinds else "no chat found"
                self.found.error = f"{found} (tried: {tried})"
        except NotFound as e:
            self.found.error = str(e)
        except Unresponsive as e:
            self.found.error = str(e)
        except PlaywrightError as e:
            self.found.error = f"the page could not be read: {page_text(str(e).splitlines()[0])}"
        finally:
            if screenshot is not None and self.shown is not None and self.found.found:
                await labelled_screenshot(self.shown, self.boxes, screenshot)
            for attempt in attempts:
                await attempt.close()
            with contextlib.suppress(PlaywrightError):
                await context.close()
        return self.found

    async def _preset(self, page: Page) -> bool:
        """A chat system we have a preset for: its selectors, checked on the page."""
        detect = {name: preset.detect for name, preset in presets().items() if preset.detect}
        for name in await scan(page.main_frame, "vendor", detect):
            preset = presets()[name]
            chat = preset.as_chat()
            chat_page: Page = page
            try:
                chat_page = await open_chat(page, chat) if chat.open else page
                frame = await find_chat_frame(chat_page, chat)
                await start_chat(frame, chat)
                await frame.locator(chat.input).first.wait_for(state="visible", timeout=ELEMENT_TIMEOUT_MS)
            except (NotFound, PlaywrightTimeout):
                if not (chat.status_offline and await page.locator(chat.status_offline).count()):
                    self.found.tried.append(f"the {preset.title} preset's selectors did not open its chat")
                    continue
                # Its system is there and says offline: the chat opens once someone is on duty.
                self.found.note = f"{preset.title}'s status said offline when discovered: its chat did not open then"
            else:
                await self._label(frame, "input", chat.input)
            self.found.widget = name
            self.found.findings = [
                Finding(key, tuple(value) if isinstance(value, list) else value, "preset", f"{preset.title} preset")
                for key, value in preset.chat.items()
            ]
            self.shown = chat_page
            return True
        return False

    async def _shown_at_load(self, page: Page) -> bool:
        """A chat box shown without a click (an iframe in the page, say): its status is by it."""
        picked = await _pick(page, after_click=False)
        if picked is None:
            return False
        frame, chosen = picked
        chain = await self._chat_fields(frame, chosen, "shown when the page loads")
        near = await _box(page.main_frame, chain[0]) if chain else await _box(frame, chosen.selector)
        statuses = [StatusSeen.read(s) for s in await scan(page.main_frame, "statuses")]
        status = choose_status(statuses, near or chosen.box)
        self.found.findings[:0] = status
        for found in status:
            await self._label(page.main_frame, found.field, str(found.value))
        return True

    async def _entries(self, page: Page, context: BrowserContext, attempts: list[_Attempt]) -> None:
        ranked = ranked_entries([EntrySeen.read(e) for e in await scan(page.main_frame, "entries")])
        for index, (entry, _, why) in enumerate(ranked):
            attempt = attempts[0]
            if index:  # each entry on a freshly loaded page: the one before may have changed it
                attempt = _Attempt(context, self.url)
                attempts.append(attempt)
                page = await attempt.load()
            outcome = await self._try(page, attempt, entry, why)
            self.found.tried.append(f"{entry.selector} ({why}): {outcome or 'the chat'}")
            if outcome is None:
                return

    async def _try(self, page: Page, attempt: _Attempt, entry: EntrySeen, why: str) -> str | None:
        """Click one entry; None when it showed the chat (then it is recorded), else what happened."""
        statuses = [StatusSeen.read(s) for s in await scan(page.main_frame, "statuses")]
        for frame in page.frames:
            with contextlib.suppress(PlaywrightError):
                await scan(frame, "markSeen")
        await page_call(page.evaluate(f"{MARK} = true"), "marking the page")
        entry_box = await _box(page.main_frame, entry.selector) or entry.box
        try:
            await page.locator(entry.selector).first.click(timeout=CLICK_TIMEOUT_MS)
        except PlaywrightError:
            return "could not be clicked"
        deadline = time.monotonic() + OPEN_WAIT_S
        while time.monotonic() < deadline:
            await asyncio.sleep(0.25)
            chat_page, where = page, "shown after the click"
            if attempt.popups:
                chat_page, where = attempt.popups[0], "in the window it opens"
                with contextlib.suppress(PlaywrightTimeout):
                    await chat_page.wait_for_load_state("load", timeout=PAGE_TIMEOUT_MS)
            else:
                try:
                    still_here = await page_call(page.evaluate(f"!!{MARK}"), "is the page still there")
                except PlaywrightError:
                    still_here = False  # its context went away with a navigation
                if not still_here:
                    return "left the page (a link, not a chat)"
            picked = await _pick(chat_page, after_click=True)
            if picked is None and any(seen.leave and not seen.seen for _, seen in await _inputs(chat_page)):
                return "showed only a leave-a-message form: the chat is offline now, try again when someone is on duty"
            if picked is None and chat_page is not page:
                return "opened a window with no chat box"
            if picked is not None:
                self.shown = chat_page
                sure = "sure" if entry.how in ("id", "label") else "likely"
                self.found.findings.append(Finding("open", entry.selector, sure, f"the chat's entry: {why}"))
                status = choose_status(statuses, entry_box)
                frame, chosen = picked
                if not status and frame is page.main_frame:
                    status = await self._header_status(page, statuses, chosen)
                self.found.findings += status
                for found in [Finding("open", entry.selector, sure, why), *status]:  # where they are now
                    await self._label(page.main_frame, found.field, str(found.value))
                await self._chat_fields(*picked, where)
                return None
        return f"showed no chat box within {OPEN_WAIT_S:g} s"

    async def _header_status(self, page: Page, before: list[StatusSeen], chosen: InputSeen) -> list[Finding]:
        """No status by the entry, and the chat opened in the page itself: a status its window
        shows once open (a header saying 与 客服小美 交流中 / 暂时没有客服), by the chat's input."""
        shown_before = {seen.selector for seen in before}
        after = [StatusSeen.read(s) for s in await scan(page.main_frame, "statuses")]
        found = choose_status([seen for seen in after if seen.selector not in shown_before], chosen.box)
        header = "in the chat's own header once open"
        return [Finding(f.field, f.value, f.sure, f.how.replace("by the chat's entry", header)) for f in found]

    async def _chat_fields(self, frame: Frame, chosen: InputSeen, where: str) -> tuple[str, ...]:
        """Record the frame, input and send button of the chosen box; the frame chain."""
        chain = await _frame_chain(frame)
        if chain:
            self.found.findings.append(
                Finding("frame", chain if len(chain) > 1 else chain[0], "likely", "the iframe the chat box is in")
            )
        if chosen.readonly:
            self.found.note = "the chat's input was read-only when discovered (the chat said offline then)"
        kind = "a text area" if chosen.tag == "textarea" else "an editable box" if chosen.editable else "a text field"
        sure = "sure" if chosen.how in ("id", "label") else "likely"
        self.found.findings.append(Finding("input", chosen.selector, sure, f"{kind} {where}"))
        await self._label(frame, "input", chosen.selector)
        if chosen.send:
            selector, sure, how = chosen.send
            self.found.findings.append(Finding("send", selector, sure, how))
            await self._label(frame, "send", selector)
        self.found.list_hint = chosen.list
        return chain

    async def _label(self, frame: Frame, name: str, selector: str) -> None:
        box = await _box(frame, selector)
        if box is not None:
            self.boxes.append((frame.page, Label(f"chat.{name}", *box, COLOURS["ok"])))


async def discover(browser: Browser, url: str, screenshot: Path | None = None) -> Discovery:
    """What the page shows of its chat; sends nothing."""
    return await Discoverer(browser, url).run(screenshot)


async def discover_urls(urls: list[str], screenshot: Path | None = None, concurrency: int = 8) -> list[Discovery]:
    """Each page's chat, a few at once in one browser; results in the order given."""
    limit = asyncio.Semaphore(concurrency)
    async with chromium() as browser:

        async def one(url: str) -> Discovery:
            async with limit:
                return await discover(browser, url, screenshot)

        return await asyncio.gather(*(one(url) for url in urls))
