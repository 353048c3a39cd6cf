"""The browser side of one probe: open the platform's chat in a fresh browser context, type
what the conversation core decides, and hand it every observer event. This is the only
writer of a probe's rows: each message is stored the moment the core returns it.

A platform's failure (page down, no chat input, silence) is a result, never an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Dialog, Frame, Locator, Page
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from ..config import Chat, Platform, QuestionSet
from ..followups import tagged
from ..leave import Contact, leaves_message
from ..reasons import Reason
from ..records import Claimed, FollowUp, FollowUpState, FormProblem, MessageRecord, Outcome, ProbeRecord, Side
from ..store import Store, utc_now
from ..text import TIME_LABEL, clean_text, page_text
from ..verdicts.lines import ReadRule
from ..verdicts.templates import Templates
from .browser import new_context
from .conversation import (
    ECHO_WAIT_S,
    AskForHuman,
    Conversation,
    Drain,
    Failure,
    Stop,
    unreachable,
)
from .form import leave_message
from .page import (
    ELEMENT_TIMEOUT_MS,
    PAGE_TIMEOUT_MS,
    STATUS_WAIT_MS,
    NotFound,
    Unresponsive,
    find_chat_frame,
    open_chat,
    other_contacts,
    page_call,
    read_chat_notice,
    read_status,
    start_chat,
)

# Marks the elements a Playwright locator resolved (visitor bubbles, sender names), so that
# READ_BUBBLES can tell, for each message bubble, whose it is and its text as the observer
# reads it: textContent, whitespace collapsed, the sender name taken off its front. The other
# visible children of the bubbles' lists are read too: a reply shaped unlike the bubbles the
# selector names (chat.message matching only ours, or a learned shape) is on screen all the
# same, and must not go unseen (each is said to be such a line).
MARK = "(elements, role) => elements.forEach((e) => { e.__kefuWatchdogRole = role; })"
READ_BUBBLES = """(bubbles) => {
  const up = (e) => e.parentElement || (e.parentNode && e.parentNode.host) || null;
  const clean = (s) => (s || "").replace(/\\s+/g, " ").trim();
  const marked = new Set(bubbles);
  const inside = (b) => { for (let a = up(b); a; a = up(a)) if (marked.has(a)) return true; return false; };
  const outermost = bubbles.filter((b) => !inside(b));
  const holding = new Set(); // the bubbles and their ancestors: a sibling holding a bubble is not one more message
  for (const b of outermost) for (let a = b; a && !holding.has(a); a = up(a)) holding.add(a);
  const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden";
  const siblings = new Set(outermost);
  for (const b of outermost) {
    const list = b.parentElement;
    if (list) for (const other of list.children) if (!holding.has(other) && shown(other)) siblings.add(other);
  }
  return Array.from(siblings).map((b) => {
      let ours = false;
      for (let a = b; a && !ours; a = up(a)) ours = a.__kefuWatchdogRole === "visitor";
      const name = Array.from(b.querySelectorAll("*")).find((e) => e.__kefuWatchdogRole === "sender");
      const sender = name ? clean(name.textContent) : "";
      let text = clean(b.textContent);
      if (sender) text = clean(text.startsWith(sender) ? text.slice(sender.length) : text.replace(sender, ""));
      return [ours, text, !marked.has(b)];
    });
}"""
# A probe ends by this long after max_wait at the latest, whatever the page does; what it
# saw is kept and its outcome is probe_error.
HARD_GRACE_S = 35.0
CLOSE_TIMEOUT_S = 5.0
# observer.js's handle: the page clock as it was before page scripts ran, its document, flush().
OBSERVER = "document.__kefuWatchdogHandle"
STATUS_REREAD_MS = 1_000
START_HOLD_MS = 2_000  # a probe waiting longer than this for the chat gives up its start slot
CONTROL_TIMEOUT_S = 15.0
MAX_REATTACH = 2  # reloads a probe follows
REATTACH_SETTLE_S = 0.5  # after a reload, for the restored chat to show what it keeps
LEAVE_TIMEOUT_S = 60.0  # finding, filling and submitting a 留言 form, whatever the page does


@functools.cache
def _observer_source() -> str:
    return (resources.files("watchdog.probe") / "observer.js").read_text(encoding="utf-8")


def observer_script(chat: Chat) -> str:
    selectors = ("input", "message", "visitor", "bot", "sender", "typing")
    config: dict[str, str | bool | None] = {key: getattr(chat, key) for key in selectors}
    config["read"] = ReadRule.of(chat.read).selector
    config["readMarks"] = not chat.read  # the default markers: classes and labels saying read
    config["timeLabel"] = TIME_LABEL.pattern
    return _observer_source().replace("__CONFIG__", json.dumps(config, ensure_ascii=False))


async def ensure_observer(frame: Frame, chat: Chat) -> None:
    """The observer in the chat frame even where the init script did not run: a window that
    window.open gave a same-origin page keeps its first Window, and Chromium does not run init
    scripts for the page that replaces its blank document."""
    if not await page_call(frame.evaluate(f"!!{OBSERVER}"), "is the observer there"):
        await page_call(frame.evaluate(observer_script(chat)), "adding the observer")


def new_probe_id(slug: str) -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{slug}-{secrets.token_hex(3)}"


class _Stopped(Exception):
    """Internal: the conversation cannot go on (page down, no chat); carries the failure."""

    def __init__(self, failure: Failure):
        super().__init__(failure[1])
        self.failure = failure


class ProbeRun:
    """Drives one platform's chat. Use `await ProbeRun(...).run()`; it returns the stored record."""

    def __init__(
        self,
        browser: Browser,
        platform: Platform,
        questions: QuestionSet,
        store: Store,
        *,
        tag: str | None = None,
        vantage: str | None = None,
        max_wait_s: float | None = None,
        control_url: str | None = None,
        templates: Templates | None = None,
        run_id: str | None = None,
        contact: Contact | None = None,
        on_ready: Callable[[], None] = lambda: None,
    ):
        self.browser, self.platform, self.store = browser, platform, store
        self.contact = contact  # a mailbox to be answered at: messages may be left on forms
        self.control_url = control_url
        self.on_ready = on_ready  # told once the chat is open: the costly start is over
        question_index, question = questions.pick(store.probe_count(platform.slug))
        probe = ProbeRecord(
            id=new_probe_id(platform.slug),
            platform=platform.slug,
            started_at=utc_now(),
            tag=tag,
            vantage=vantage,
            run_id=run_id,
            url=platform.url,
            question_set=questions.name,
            question_index=question_index,
            question=question,
            handoff_text=questions.handoff.text,
            max_wait_s=max_wait_s or platform.probe.max_wait_s,
            time_scale=platform.probe.time_scale,
        )
        if templates is None:
            templates = store.templates
        self.conversation = Conversation(probe, questions.handoff, templates, ReadRule.of(platform.chat.read))
        self.chat_page: Page | None = None  # where the chat is: the page, or a window it opened
        self.chat_frame: Frame | None = None
        self.buffered: list[tuple[Frame, dict[str, Any]]] = []
        self.contacts: list[str] = []  # what the page offers besides a web chat (QQ, WeChat)
        self.in_window = False  # chat.open opened the chat in a window of its own
        self.changed = asyncio.Event()
        self.judged = False  # the conversation is over and judged: events from the page are ignored

    @property
    def probe(self) -> ProbeRecord:
        return self.conversation.probe

    async def run(self) -> ProbeRecord:
        self.store.start_probe(self.probe)
        failure: Failure | None = None
        interrupted = False
        frozen = False
        context: BrowserContext | None = None
        page: Page | None = None
        deadline_s = self.conversation.hard_deadline(HARD_GRACE_S)
        try:
            context = await new_context(self.browser)
            await context.expose_binding("__kefuWatchdog", self._on_event)
            await context.add_init_script(script=observer_script(self.platform.chat))
            context.on("dialog", self._on_dialog)
            page = await context.new_page()
            await asyncio.wait_for(self._converse(page), deadline_s)
        except _Stopped as stop:
            failure = stop.failure
        except Unresponsive as e:
            failure, frozen = (Outcome.PROBE_ERROR, e.args[0] if e.args else str(e)), True
        except TimeoutError:
            failure, frozen = (
                (
                    Outcome.PROBE_ERROR,
                    Reason("deadline", seconds=f"{deadline_s:.0f}", grace=f"{HARD_GRACE_S:g}"),
                ),
                True,
            )
        except (asyncio.CancelledError, KeyboardInterrupt):
            failure = (Outcome.PROBE_ERROR, Reason("interrupted_run"))
            interrupted = True
            raise
        except PlaywrightError as e:
            failure = (Outcome.PROBE_ERROR, Reason("browser_error", detail=page_text(str(e).splitlines()[0])))
        except Exception as e:  # a bug of ours must not end the other probes of the run
            failure = (Outcome.PROBE_ERROR, Reason("internal_error", detail=f"{type(e).__name__}: {page_text(str(e))}"))
        finally:
            alive = page is not None and not frozen and not interrupted
            if page is not None and alive:
                self.probe.screenshot = await self._screenshot(self.chat_page or page)
            elif page is not None:
                self.probe.notes.append(Reason("no_screenshot_stopped"))
            # Also when interrupted: the probe is recorded as such before the error goes on.
            self.probe.finished_at = utc_now()
            self.judged = True  # what the page shows from here on (a 留言 form) is no message of the chat's
            self.conversation.finish(failure, interrupted=interrupted)
            if page is not None and alive and self.contact is not None:
                await self._leave_message(page, self.contact)
            if context is not None:
                with contextlib.suppress(PlaywrightError, TimeoutError):
                    await asyncio.wait_for(context.close(), CLOSE_TIMEOUT_S)
            self.store.save_verdict(self.probe, self.conversation.messages)
        return self.probe

    async def _leave_message(self, page: Page, contact: Contact) -> None:
        """The chat said offline (or the file says always): leave our question on the form, at
        most once per [leave_message] min_interval, claimed before anything is typed."""
        leave = self.platform.leave_message
        if not leaves_message(leave.when, self.probe.outcome):
            return
        tag = secrets.token_hex(4)
        follow_up = FollowUp(
            tag,
            self.probe.id,
            self.platform.slug,
            self.platform.url,
            tagged(contact.address, tag),
            datetime.now(UTC),
            FollowUpState.NOT_LEFT,
            problem=FormProblem.NOT_SENT,
            detail="the probe stopped before the submit",
        )
        if not self.store.claim_follow_up(follow_up, leave.min_interval_s):
            self.probe.notes.append(Reason("message_left_lately", hours=f"{leave.min_interval_s / 3600:g}"))
            return
        page = self.chat_page or page
        try:
            await asyncio.wait_for(
                leave_message(page, leave, self.platform.chat.input, follow_up, contact.name, self.probe.question),
                LEAVE_TIMEOUT_S,
            )
        except TimeoutError:
            follow_up.detail = f"the form took longer than {LEAVE_TIMEOUT_S:g} s"
        except (PlaywrightError, Unresponsive) as e:
            follow_up.detail = page_text(str(e).splitlines()[0])[:200]
        if follow_up.form_fields:  # a form was found: what it asked, or what it said, is evidence
            follow_up.screenshot = await self._screenshot(page, "form")
        if follow_up.state == FollowUpState.PENDING:
            self.probe.notes.append(Reason("message_left", address=follow_up.address))
        else:
            self.probe.notes.append(Reason("message_not_left", problem=str(follow_up.problem), detail=follow_up.detail))
        self.store.save_follow_up(follow_up)

    async def _converse(self, page: Page) -> None:
        chat = self.platform.chat
        await self._load(page)
        await self._read_status(page, "load", STATUS_WAIT_MS)  # the status is on the platform's page
        with contextlib.suppress(PlaywrightError):
            self.contacts, _ = await other_contacts(page)  # QQ or WeChat: said if there is no web chat
        self.chat_page = await self._open_chat(page) if chat.open else page
        frame = await self._find_chat_frame(self.chat_page)
        chat_input = frame.locator(chat.input).first
        try:
            await chat_input.wait_for(state="visible", timeout=START_HOLD_MS)
        except PlaywrightTimeout:
            self.on_ready()  # a chat slow to show, or missing, must not hold back the other probes' starts
            try:
                await chat_input.wait_for(state="visible", timeout=ELEMENT_TIMEOUT_MS - START_HOLD_MS)
            except PlaywrightTimeout:
                raise self._missing(Reason("input_missing", selector=chat.input)) from None
        await ensure_observer(frame, chat)
        await self._read_clock(frame)
        await self._use_chat_frame(frame)
        self.on_ready()
        await asyncio.sleep(self.conversation.greeting_wait())
        await self._read_chat_claim(frame, chat_input)
        await self._send(frame, self.probe.question)
        self.conversation.question_sent(time.monotonic())
        await self._read_status(page, "question", STATUS_REREAD_MS)
        await self._await_replies(frame)
        if self.conversation.navigated_to is not None:
            return  # the chat is gone: nothing left to read from it
        frame = self.chat_frame or frame  # the restored chat's, after a reload it followed
        if not chat.message:  # a list not learned by now is taken from where our question shows
            await page_call(frame.evaluate(f"{OBSERVER}.settle()"), "settling the list")
        await self._drain(frame)
        await self._reconcile(frame)
        await self._read_clock(frame)
        await self._read_status(page, "end", STATUS_REREAD_MS)
        await self._read_chat_notice(frame)

    async def _open_chat(self, page: Page) -> Page:
        try:
            chat_page = await open_chat(page, self.platform.chat)
        except NotFound as e:
            raise self._missing(e.reason) from None
        if chat_page is not page:  # a new window: from here on every time is on its own clock
            self.in_window = True
            await ensure_observer(chat_page.main_frame, self.platform.chat)
            self.conversation.page_loaded(await page_call(chat_page.evaluate(f"{OBSERVER}.origin"), "its clock"))
            self.probe.notes.append(Reason("new_window", url=chat_page.url))
        return chat_page

    async def _load(self, page: Page) -> None:
        try:
            response = await page.goto(self.platform.url, wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_MS)
        except PlaywrightTimeout:
            raise await self._unreachable(Reason("page_timeout", waited=PAGE_TIMEOUT_MS // 1000)) from None
        except PlaywrightError as e:
            reason = str(e).splitlines()[0].removeprefix("Page.goto: ")
            raise await self._unreachable(Reason("page_failed", detail=reason)) from None
        if response is not None:
            self.probe.http_status = response.status
            self.store.save_probe(self.probe)
            if response.status >= 400:
                raise _Stopped((Outcome.UNREACHABLE, f"page answered HTTP {response.status}"))
        self.conversation.page_loaded(await page_call(page.evaluate(f"{OBSERVER}.origin"), "its clock"))

    async def _unreachable(self, reason: str) -> _Stopped:
        """Not the platform's fault if our own network is down: load the control URL first."""
        control_error: str | None = None
        if self.control_url:
            try:
                async with httpx.AsyncClient(timeout=CONTROL_TIMEOUT_S) as client:
                    await client.get(self.control_url)
            except httpx.HTTPError as e:
                control_error = type(e).__name__
        return _Stopped(unreachable(reason, self.control_url, control_error))

    async def _read_status(self, page: Page, moment: str, wait_ms: int) -> None:
        reading = await read_status(page, self.platform.chat, wait_ms)
        if reading is not None:
            self.conversation.status_seen(moment, *reading)
        elif moment == "load" and (
            self.platform.chat.status or self.platform.chat.status_online or self.platform.chat.status_offline
        ):
            self.probe.notes.append(Reason("no_status", waited=wait_ms / 1000))

    async def _read_chat_claim(self, frame: Frame, chat_input: Locator) -> None:
        """What the open chat itself says before we write: an input made read-only or disabled
        is an offline claim (nothing can be asked), and so is a notice of its own that no
        agent is on duty (many widgets show no status outside the chat)."""
        if not await page_call(chat_input.is_editable(), "is the input editable"):
            self.conversation.status_seen("chat", Claimed.OFFLINE, "the chat's input is read-only or disabled")
            raise self._missing(Reason("input_read_only", selector=self.platform.chat.input))
        await self._read_chat_notice(frame)

    async def _read_chat_notice(self, frame: Frame) -> None:
        own = frame.parent_frame is not None or self.in_window  # the chat has its document to itself
        notice = await read_chat_notice(frame, self.platform.chat, whole_document=own)
        if notice is not None:
            self.conversation.status_seen("chat", Claimed.OFFLINE, notice)

    async def _find_chat_frame(self, page: Page) -> Frame:
        try:
            frame = await find_chat_frame(page, self.platform.chat)
            await start_chat(frame, self.platform.chat)
            return frame
        except NotFound as e:
            raise self._missing(e.reason) from None

    def _missing(self, reason: str) -> _Stopped:
        return _Stopped(self.conversation.missing(reason, self.contacts))

    async def _page_clock(self, frame: Frame) -> float:
        return float(await page_call(frame.evaluate(f"{OBSERVER}.now()"), "its clock"))

    async def _read_clock(self, frame: Frame) -> None:
        """The page clock next to ours, to check at the end that the page kept real time."""
        before = time.monotonic()
        page_clock = await self._page_clock(frame)
        self.conversation.clock_reading(before, page_clock, time.monotonic())

    async def _send(self, frame: Frame, text: str) -> None:
        chat = self.platform.chat
        box = frame.locator(chat.input).first
        # What we send: our bubbles (their read marks), and the message list where not given.
        await page_call(frame.evaluate(f"(text) => {OBSERVER}.learn(text)", text), "telling the observer our text")
        try:
            await box.fill(text, timeout=ELEMENT_TIMEOUT_MS)
        except PlaywrightTimeout:
            raise self._missing(Reason("input_refuses_text", selector=chat.input)) from None
        self.conversation.sending(text, await self._page_clock(frame))
        if chat.send:
            await frame.locator(chat.send).first.click(timeout=ELEMENT_TIMEOUT_MS)
        else:
            await box.press("Enter", timeout=ELEMENT_TIMEOUT_MS)
        deadline = time.monotonic() + ECHO_WAIT_S
        while self.conversation.echo_pending and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        self._write(self.conversation.echo_missing(frame.url))
        self.store.save_probe(self.probe)

    async def _await_replies(self, frame: Frame) -> None:
        """Do what the core says until it says stop."""
        reattached = 0
        while True:
            step = self.conversation.next_step(time.monotonic())
            if isinstance(step, Stop):
                if self.conversation.navigated_to is None or reattached >= MAX_REATTACH:
                    return
                reattached += 1
                restored = await self._reattach()
                if restored is None:
                    return
                frame = restored
                continue
            if isinstance(step, Drain):
                await self._drain(frame)
            elif isinstance(step, AskForHuman):
                await self._send(frame, step.text)
            else:
                self.changed.clear()
                try:
                    await asyncio.wait_for(self.changed.wait(), timeout=max(0.0, step.until - time.monotonic()))
                except TimeoutError:
                    pass

    async def _reattach(self) -> Frame | None:
        """The chat's page navigated: when the new document shows the chat again with our
        question in it (a widget restoring its conversation from storage), follow it there.
        None when it does not: the conversation is lost and the probe ends without a verdict."""
        chat = self.platform.chat
        page = self.chat_page
        if page is None:
            return None
        try:
            await page.wait_for_load_state("domcontentloaded", timeout=ELEMENT_TIMEOUT_MS)
            frame = await find_chat_frame(page, chat)
            await frame.locator(chat.input).first.wait_for(state="visible", timeout=ELEMENT_TIMEOUT_MS)
            await ensure_observer(frame, chat)
            token = await page_call(frame.evaluate(f"{OBSERVER}.doc"), "its document")
            learned = self.probe.learned_message
            if not chat.message and learned:
                await page_call(
                    frame.evaluate(f"([m, v]) => {OBSERVER}.use(m, v)", [learned, self.probe.learned_visitor]),
                    "using the list learned before",
                )
            await page_call(frame.evaluate(f"{OBSERVER}.flush()"), "a round trip")
            await asyncio.sleep(REATTACH_SETTLE_S)
        except (NotFound, PlaywrightTimeout, PlaywrightError):
            return None
        url = self.conversation.navigated_to
        self._write(self.conversation.reattach(str(token), frame.url))
        self.chat_frame = frame
        await self._drain(frame)
        self.conversation.restored()
        if not self.conversation.restored_ours:
            self.conversation.navigated_to = url  # a fresh chat, not ours: the conversation is lost
            return None
        self.probe.notes.append(Reason("reloaded_followed", url=url))
        return frame

    async def _drain(self, frame: Frame) -> None:
        """Everything the observer has seen reaches the conversation before it decides."""
        await page_call(frame.evaluate(f"{OBSERVER}.flush()"), "a round trip")
        for _ in range(3):
            await asyncio.sleep(0)

    async def _reconcile(self, frame: Frame) -> None:
        """Read the chat's visible messages with Playwright's own engine (the platform file's
        selectors as locators) and let the core compare them with the transcript."""
        chat = self.platform.chat
        message = chat.message or self.probe.learned_message
        visitor = chat.visitor or self.probe.learned_visitor
        if not message:
            self.probe.notes.append(Reason("no_list_to_check"))
            return
        try:
            for role, selector in (("visitor", visitor), ("sender", chat.sender)):
                if selector:
                    await page_call(frame.locator(selector).evaluate_all(MARK, role), "marking the chat")
            bubbles = await page_call(
                frame.locator(message).filter(visible=True).evaluate_all(READ_BUBBLES), "reading the chat"
            )
        except PlaywrightError as e:
            self.probe.notes.append(Reason("unreadable_at_end", detail=str(e).splitlines()[0]))
            return
        on_screen = [(Side.VISITOR if ours else Side.PLATFORM, str(text), bool(line)) for ours, text, line in bubbles]
        self._write(self.conversation.reconcile(on_screen))

    async def _screenshot(self, page: Page, what: str = "") -> str | None:
        path = self.store.evidence_dir / f"{self.probe.id}{'-' + what if what else ''}.png"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=path, timeout=ELEMENT_TIMEOUT_MS)
        except (PlaywrightError, OSError) as e:
            self.probe.notes.append(Reason("no_screenshot", detail=str(e).splitlines()[0]))
            return None
        return str(path)

    # -- events from the in-page observer ---------------------------------------------------

    async def _use_chat_frame(self, frame: Frame) -> None:
        self.conversation.chat_document(await page_call(frame.evaluate(f"{OBSERVER}.doc"), "its document"))
        self.chat_frame = frame
        buffered, self.buffered = self.buffered, []
        for source_frame, batch in buffered:
            if source_frame is frame:
                self._write(self.conversation.observe_batch(batch, frame.url))

    def _on_event(self, source: dict[str, Any], batch: dict[str, Any]) -> None:
        frame = source["frame"]
        if self.judged:
            return
        if self.chat_frame is None:
            self.buffered.append((frame, batch))
        elif frame is self.chat_frame:
            self._write(self.conversation.observe_batch(batch, frame.url))
            self.changed.set()

    async def _on_dialog(self, dialog: Dialog) -> None:
        """Accept what the page asks (a widget may confirm before sending), and note it."""
        said = clean_text(page_text(dialog.message))[:200]
        self.probe.notes.append(Reason("dialog_accepted", dialog=dialog.type, said=said))
        with contextlib.suppress(PlaywrightError):
            await dialog.accept()

    def _write(self, messages: list[MessageRecord]) -> None:
        if messages:
            self.store.save_messages(messages)
