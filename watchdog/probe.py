"""One probe run: open the platform's chat in a fresh browser context, ask the standard
question, ask for a human when due, and record every message as it appears.

A platform's failure (page down, no chat input, silence) is a result, never an exception.
Every message is written to the store the moment the in-page observer reports it.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Frame, Page
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from .browser import USER_AGENT
from .classify import Kind, MessageFacts, ProbeFacts, TemplateIndex, classify_messages
from .config import Chat, Platform, QuestionSet, to_real_seconds
from .store import Store, utc_now
from .verdicts import record_verdict

PAGE_TIMEOUT_MS = 30_000
ELEMENT_TIMEOUT_MS = 10_000
GREETING_WAIT_S = 3.0  # before writing, wait this long for greetings
GRACE_S = 15.0  # after the first human reply, keep recording this long
ECHO_WAIT_S = 5.0  # how long our own message may take to show in the chat (a loaded machine is slow)
CONTROL_TIMEOUT_S = 15.0


def observer_script(chat: Chat) -> str:
    config = {key: getattr(chat, key) for key in ("message", "visitor", "bot", "sender", "typing")}
    source = (resources.files("watchdog") / "observer.js").read_text(encoding="utf-8")
    return source.replace("__CONFIG__", json.dumps(config, ensure_ascii=False))


def new_probe_id(slug: str) -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{slug}-{secrets.token_hex(3)}"


@dataclass
class ProbeResult:
    """What `watchdog probe --json` prints for one probe."""

    platform: str
    probe_id: str
    outcome: str
    claimed_status: str
    claimed_status_text: str
    first_reply_ms: float | None
    first_human_ms: float | None
    fake_online: bool
    bot_loop: bool
    template_only: bool
    messages: int  # platform-side messages
    handoff_sent: bool
    question: str
    screenshot: str | None
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        """One log line: the platform, its outcome and the first reason."""
        return f"{self.platform}: {self.outcome} ({'; '.join(self.reasons[:1])})"


class _Stop(Exception):
    """Internal: the conversation cannot go on; carries the outcome and its reason."""

    def __init__(self, outcome: str, reason: str):
        super().__init__(reason)
        self.outcome, self.reason = outcome, reason


class ProbeRun:
    """Drives one platform's chat and records what happens. Use `await ProbeRun(...).run()`."""

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
        templates: TemplateIndex | None = None,
        run_id: str | None = None,
        on_ready: Callable[[], None] = lambda: None,
    ):
        self.browser, self.platform, self.questions, self.store = browser, platform, questions, store
        self.tag, self.vantage, self.control_url, self.run_id = tag, vantage, control_url, run_id
        self.on_ready = on_ready  # told once the chat is open: the costly start is over
        self.templates = templates if templates is not None else TemplateIndex(store.platform_texts())
        self.scale = platform.probe.time_scale
        self.max_wait_s = max_wait_s or platform.probe.max_wait_s
        self.probe_id = new_probe_id(platform.slug)
        self.question_index, self.question = questions.pick(store.probe_count(platform.slug))
        self.chat_frame: Frame | None = None
        self.buffered: list[tuple[Frame, dict]] = []
        self.messages: list[MessageFacts] = []  # in the order seen; seq = index + 1
        self.live_kinds: list[Kind | None] = []  # one per message; None for ours
        self.by_observer_id: dict[int, int] = {}  # observer's message id -> index
        self.changed = asyncio.Event()
        self.time_origin: float | None = None  # page clock at navigation start (ms)
        self.question_stamp: float | None = None
        self.handoff_stamp: float | None = None
        self.pending_echo: str | None = None  # text we sent that the widget has not shown yet
        self.counting_from: float | None = None  # text-node mode: ignore what came before this
        self.typing_seen_at: float | None = None
        self.claimed_status, self.claimed_text = "unknown", ""
        self.notes: list[str] = []
        self.interrupted = False

    # -- the run ------------------------------------------------------------------------

    async def run(self) -> ProbeResult:
        platform = self.platform
        self.store.start_probe({
            "id": self.probe_id, "platform": platform.slug, "started_at": utc_now(),
            "tag": self.tag, "vantage": self.vantage, "run_id": self.run_id, "url": platform.url,
            "question_set": self.questions.name, "question_index": self.question_index,
            "question": self.question, "handoff_text": self.questions.handoff.text,
            "max_wait_s": self.max_wait_s, "time_scale": self.scale,
        })
        failure: tuple[str, str] | None = None
        context: BrowserContext | None = None
        page: Page | None = None
        screenshot: str | None = None
        try:
            context = await self.browser.new_context(
                user_agent=USER_AGENT, locale="zh-CN", timezone_id="Asia/Shanghai",
                viewport={"width": 1280, "height": 800},
            )
            await context.expose_binding("__kefuWatchdog", self._on_event)
            await context.add_init_script(script=observer_script(platform.chat))
            page = await context.new_page()
            await self._converse(page)
        except _Stop as stop:
            failure = (stop.outcome, stop.reason)
        except (asyncio.CancelledError, KeyboardInterrupt):
            failure = ("probe_error", "interrupted: the run was stopped before the probe ended")
            self.interrupted = True
            raise
        except PlaywrightError as e:
            failure = ("probe_error", f"browser error: {str(e).splitlines()[0]}")
        except Exception as e:  # a bug of ours must not end the other probes of the run
            failure = ("probe_error", f"internal error: {type(e).__name__}: {e}")
        finally:
            if page is not None:
                screenshot = await self._screenshot(page)
            if context is not None:
                try:
                    await context.close()
                except PlaywrightError:
                    pass
            # Also when interrupted: the probe is recorded as such before the error goes on.
            result = self._finish(failure, screenshot)
        return result

    async def _converse(self, page: Page) -> None:
        chat = self.platform.chat
        await self._load(page)
        await self._read_status(page)
        if chat.open:
            try:
                await page.locator(chat.open).first.click(timeout=ELEMENT_TIMEOUT_MS)
            except PlaywrightTimeout:
                raise self._missing(f"chat.open {chat.open} not found on the page") from None
        frame = await self._find_chat_frame(page)
        chat_input = frame.locator(chat.input).first
        try:
            await chat_input.wait_for(state="visible", timeout=ELEMENT_TIMEOUT_MS)
        except PlaywrightTimeout:
            raise self._missing(f"chat.input {chat.input} not found in the chat") from None
        if not chat.message:
            self.counting_from = await self._page_clock(frame)
        self._use_chat_frame(frame)
        self.on_ready()
        await asyncio.sleep(self._real(GREETING_WAIT_S))
        await self._send(frame, self.question)
        await self._await_replies(frame, time.monotonic())

    async def _load(self, page: Page) -> None:
        try:
            response = await page.goto(self.platform.url, wait_until="domcontentloaded",
                                       timeout=PAGE_TIMEOUT_MS)
        except PlaywrightTimeout:
            raise await self._unreachable(f"page did not load within {PAGE_TIMEOUT_MS // 1000} s") from None
        except PlaywrightError as e:
            reason = str(e).splitlines()[0].removeprefix("Page.goto: ")
            raise await self._unreachable(f"page did not load: {reason}") from None
        if response is not None:
            self.store.update_probe(self.probe_id, {"http_status": response.status})
            if response.status >= 400:
                raise _Stop("unreachable", f"page answered HTTP {response.status}")
        self.time_origin = await page.evaluate("performance.timeOrigin")

    async def _unreachable(self, reason: str) -> _Stop:
        """Not the platform's fault if our own network is down: check the control URL first."""
        if not self.control_url:
            return _Stop("unreachable", f"{reason} (no control URL checked)")
        try:
            async with httpx.AsyncClient(timeout=CONTROL_TIMEOUT_S) as client:
                await client.get(self.control_url)
        except httpx.HTTPError as e:
            return _Stop("probe_error", f"{reason}, and the control URL {self.control_url} failed too "
                                        f"({type(e).__name__}): our network, not the platform")
        return _Stop("unreachable", f"{reason} (the control URL {self.control_url} loaded)")

    async def _read_status(self, page: Page) -> None:
        chat = self.platform.chat
        if chat.status:
            try:
                text = (await page.locator(chat.status).first.inner_text(timeout=ELEMENT_TIMEOUT_MS)).strip()
            except PlaywrightTimeout:
                self.notes.append(f"chat.status {chat.status} not found: status unknown")
                return
            self.claimed_text = text
            lowered = text.lower()
            if any(word.lower() in lowered for word in chat.offline):
                self.claimed_status = "offline"
            elif any(word.lower() in lowered for word in chat.online):
                self.claimed_status = "online"
            return
        for selector, status in ((chat.status_offline, "offline"), (chat.status_online, "online")):
            if selector and await page.locator(selector).count() > 0:
                self.claimed_status, self.claimed_text = status, selector
                return

    async def _find_chat_frame(self, page: Page) -> Frame:
        frame = page.main_frame
        for selector in self.platform.chat.frame:
            try:
                handle = await frame.locator(selector).first.element_handle(timeout=ELEMENT_TIMEOUT_MS)
            except PlaywrightTimeout:
                raise self._missing(f"chat.frame {selector} not found") from None
            inner = await handle.content_frame()
            if inner is None:
                raise self._missing(f"chat.frame {selector} is not an iframe")
            frame = inner
        return frame

    def _missing(self, reason: str) -> _Stop:
        if self.claimed_status == "offline":
            return _Stop("offline_declared",
                         f"the widget said offline ({self.claimed_text}) and offers no chat: {reason}")
        return _Stop("chat_missing", reason)

    async def _page_clock(self, frame: Frame) -> float:
        """Now, in ms since the page started loading (the time every message is stored in)."""
        return self._offset(await frame.evaluate("performance.timeOrigin + performance.now()"))

    async def _send(self, frame: Frame, text: str) -> None:
        chat = self.platform.chat
        box = frame.locator(chat.input).first
        try:
            await box.fill(text, timeout=ELEMENT_TIMEOUT_MS)
        except PlaywrightTimeout:
            raise self._missing(f"chat.input {chat.input} does not accept text") from None
        # Fallback stamp, used only if the widget never shows our message.
        pressed_at = await self._page_clock(frame)
        self.pending_echo = text
        is_question = self.question_stamp is None
        if is_question:
            self.question_stamp = pressed_at
        else:
            self.handoff_stamp = pressed_at
        if chat.send:
            await frame.locator(chat.send).first.click(timeout=ELEMENT_TIMEOUT_MS)
        else:
            await box.press("Enter", timeout=ELEMENT_TIMEOUT_MS)
        deadline = time.monotonic() + ECHO_WAIT_S
        while self.pending_echo is not None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if self.pending_echo is not None:
            self.pending_echo = None
            self.notes.append("the widget did not show our message: timed from pressing send")
            self._record_visitor(text, pressed_at, frame.url, echoed=False)
        kind = "question" if is_question else "handoff"
        self.store.update_probe(self.probe_id, {
            f"{kind}_at_ms": self.question_stamp if is_question else self.handoff_stamp})

    async def _await_replies(self, frame: Frame, sent_at: float) -> None:
        """Wait until a human replied (plus grace) or max_wait; ask for a human when due."""
        handoff = self.questions.handoff
        give_up = sent_at + self._real(self.max_wait_s)
        silence_handoff = sent_at + self._real(handoff.after_silence_s)
        human_at: float | None = None
        drained = False
        while True:
            now = time.monotonic()
            replies = [k.kind for k in self.live_kinds if k is not None and k.kind != "greeting"]
            if human_at is None and "human" in replies:
                human_at = now
            stop_at = give_up if human_at is None else min(give_up, human_at + self._real(GRACE_S))
            if now >= stop_at:
                return
            if self.handoff_stamp is None and human_at is None:
                automated = handoff.after_auto_reply and any(kind in ("bot", "auto") for kind in replies)
                silent = not replies and now >= silence_handoff
                if silent and not drained:
                    # A reply may be on its way from the page: let it land before calling silence.
                    await self._drain(frame)
                    drained = True
                    continue
                if automated or silent:
                    await self._send(frame, handoff.text)
                    continue
            wake = stop_at
            if self.handoff_stamp is None and not replies:
                wake = min(wake, silence_handoff)
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), timeout=max(0.0, wake - now))
            except TimeoutError:
                pass

    def _real(self, seconds: float) -> float:
        return to_real_seconds(seconds, self.scale)

    async def _drain(self, frame: Frame) -> None:
        """Round-trip to the page, so that messages it reported before are handled first."""
        await frame.evaluate("0")
        for _ in range(3):
            await asyncio.sleep(0)

    async def _screenshot(self, page: Page) -> str | None:
        path = self.store.evidence_dir / f"{self.probe_id}.png"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=path, timeout=ELEMENT_TIMEOUT_MS)
        except (PlaywrightError, OSError) as e:
            self.notes.append(f"no screenshot: {str(e).splitlines()[0]}")
            return None
        return str(path)

    # -- events from the in-page observer -------------------------------------------------

    def _use_chat_frame(self, frame: Frame) -> None:
        self.chat_frame = frame
        buffered, self.buffered = self.buffered, []
        for source_frame, event in buffered:
            if source_frame is frame:
                self._handle(event, frame.url)

    def _on_event(self, source: dict, event: dict) -> None:
        frame = source["frame"]
        if self.chat_frame is None:
            self.buffered.append((frame, event))
        elif frame is self.chat_frame:
            self._handle(event, frame.url)

    def _handle(self, event: dict, frame_url: str) -> None:
        if "at" in event:  # every time from here on: ms since the page started loading
            event = {**event, "at": self._offset(event["at"])}
        kind = event.get("type")
        if kind == "typing":
            self.typing_seen_at = event["at"]
        elif kind == "error":
            self.notes.append(event["message"])
        elif kind == "update" and event["id"] in self.by_observer_id:
            index = self.by_observer_id[event["id"]]
            self.messages[index].text = event["text"]
            self.store.update_message(self.probe_id, index + 1, {"text": event["text"]})
            self._classify_live()
        elif kind == "message":
            if self.counting_from is not None and event["at"] < self.counting_from:
                return
            if self._record(event, frame_url):
                self.by_observer_id[event["id"]] = len(self.messages) - 1
        self.changed.set()

    def _record(self, event: dict, frame_url: str) -> bool:
        text = event["text"]
        ours = event["side"] == "visitor" or (
            not self.platform.chat.visitor and self.pending_echo is not None and text == self.pending_echo
        )
        if ours:
            if self.pending_echo is None:
                return False  # an old message of ours re-shown, or text we did not send
            self.pending_echo = None
            # The widget showed our message: time from that, not from pressing send.
            if self.handoff_stamp is not None:
                self.handoff_stamp = event["at"]
            else:
                self.question_stamp = event["at"]
            self._record_visitor(text, event["at"], frame_url, echoed=True)
            return True
        last_reply = next((m.stamp for m in reversed(self.messages) if m.side == "platform"), None)
        typing_at = self.typing_seen_at
        if typing_at is not None and last_reply is not None and typing_at < last_reply:
            typing_at = None  # that indicator belonged to an earlier reply
        message = MessageFacts("platform", event["at"], text, event.get("sender") or "",
                               bool(event.get("bot")), typing_at)
        self.messages.append(message)
        self._classify_live()
        kind = self.live_kinds[-1]
        self.store.add_message({
            "probe_id": self.probe_id, "seq": len(self.messages), "side": "platform",
            "at_ms": message.stamp, "text": text, "sender": message.sender or None,
            "dom_bot": message.dom_bot, "frame_url": frame_url, "typing_ms": typing_at,
            "kind": kind.kind, "confidence": kind.confidence, "reasons": kind.reasons,
        })
        return True

    def _record_visitor(self, text: str, stamp: float, frame_url: str, echoed: bool) -> None:
        kind = "handoff" if self.handoff_stamp is not None else "question"
        self.messages.append(MessageFacts("visitor", stamp, text))
        self.live_kinds.append(None)
        self.store.add_message({
            "probe_id": self.probe_id, "seq": len(self.messages), "side": "visitor",
            "at_ms": stamp, "text": text, "frame_url": frame_url, "kind": kind,
            "reasons": [] if echoed else ["not shown by the widget: timed from pressing send"],
        })

    def _classify_live(self) -> None:
        """Kinds of the messages so far, for deciding when to ask for a human and when to stop:
        computed once per new platform message, not at every wake of the waiting loop."""
        self.live_kinds = classify_messages(self._facts(), self.messages, self.templates)

    def _facts(self, failure: tuple[str, str] | None = None) -> ProbeFacts:
        return ProbeFacts(
            probe_id=self.probe_id, platform=self.platform.slug, question=self.question,
            question_stamp=self.question_stamp, handoff_stamp=self.handoff_stamp,
            claimed_status=self.claimed_status, claimed_text=self.claimed_text,
            max_wait_s=self.max_wait_s, time_scale=self.scale, failure=failure,
        )

    def _offset(self, stamp: float | None) -> float | None:
        if stamp is None or self.time_origin is None:
            return None
        return round(stamp - self.time_origin, 1)

    # -- the verdict ----------------------------------------------------------------------

    def _finish(self, failure: tuple[str, str] | None, screenshot: str | None) -> ProbeResult:
        self.store.update_probe(self.probe_id, {
            "state": "interrupted" if self.interrupted else "finished", "finished_at": utc_now(),
            "claimed_status": self.claimed_status,
            "claimed_status_text": self.claimed_text, "screenshot": screenshot, "notes": self.notes,
        })
        verdict = record_verdict(self.store, self._facts(failure), self.messages,
                                 list(range(1, len(self.messages) + 1)), self.templates, self.notes)
        for message in self.messages:
            if message.side == "platform":
                self.templates.add(message.text, self.probe_id, self.platform.slug)
        return ProbeResult(
            platform=self.platform.slug, probe_id=self.probe_id, outcome=verdict.outcome,
            claimed_status=self.claimed_status, claimed_status_text=self.claimed_text,
            first_reply_ms=verdict.first_reply_ms, first_human_ms=verdict.first_human_ms,
            fake_online=verdict.fake_online, bot_loop=verdict.bot_loop,
            template_only=verdict.template_only,
            messages=sum(1 for m in self.messages if m.side == "platform"),
            handoff_sent=self.handoff_stamp is not None, question=self.question,
            screenshot=screenshot, reasons=verdict.reasons + self.notes,
        )
