"""Probes without a browser: a sandbox scenario played through the real conversation core on a
simulated clock, written through the store as the driver writes it. Builds realistic
databases (real classifications, template evidence, verdicts) in milliseconds."""

from __future__ import annotations

import heapq
import random
import struct
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from watchdog.config import Chat, Handoff, Platform, Promise
from watchdog.probe.conversation import AskForHuman, Conversation, Drain, Stop, Wait
from watchdog.records import Claimed, Outcome, ProbeRecord, Side
from watchdog.sandbox import SCENARIOS, Scenario
from watchdog.store import Store, open_store
from watchdog.store.templates import TemplateIndex
from watchdog.verdicts.revisions import revise_after

QUESTION = "你好，请问你们的话费充值一般多久到账？如果充值失败了怎么退款？"
OPENED_MS = 500.0  # the chat is open this long after navigation started
ECHO_MS = 30.0  # our message shows this long after we press send
GREETING_WAIT_MS = 3000.0


def platform_of(scenario: Scenario) -> Platform:
    return Platform(
        scenario.slug,
        scenario.name,
        f"https://sandbox.test/p/{scenario.slug}/",
        Chat(input="textarea"),
        path=f"probes/{scenario.slug}.toml",
        promise=Promise(first_response_s=60.0),
    )


def png() -> bytes:
    """A valid 1x1 PNG: evidence as the pages link it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


class SimulatedPage:
    """The scenario's widget on a simulated clock: it answers what we send as the sandbox does."""

    def __init__(self, scenario: Scenario, rng: random.Random):
        self.scenario, self.rng = scenario, rng
        self.queue: list[tuple[float, int, dict[str, Any]]] = []
        self.count = 0
        self.visitor_messages = 0
        self.handed_off = False
        self.shown: list[tuple[Side, str, bool]] = []  # what the chat shows: its messages so far
        self.schedule(scenario.greeting, OPENED_MS)

    def push(self, at: float, event: dict[str, Any]) -> None:
        self.count += 1
        heapq.heappush(self.queue, (at, self.count, {"at": at, "id": self.count, **event}))

    def schedule(self, lines: tuple[Any, ...], at: float) -> None:
        for line in lines:
            text = line.compose(self.rng)
            if line.typing_s:
                self.push(at + (line.delay_s - line.typing_s) * 1000, {"type": "typing"})
            self.push(
                at + line.delay_s * 1000,
                {
                    "type": "message",
                    "text": text,
                    "sender": line.sender,
                    "bot": line.marked,
                    "side": "platform",
                    "line": line.kind == "system",
                },
            )

    def receive(self, text: str, at: float) -> None:
        shown = at + ECHO_MS
        self.push(shown, {"type": "message", "text": text, "sender": "", "bot": False, "side": "visitor"})
        if self.visitor_messages == 0 and self.scenario.receipt is not None:
            self.receipt(self.count, text, shown)
        lines, self.handed_off = self.scenario.answer(text, self.visitor_messages, self.handed_off)
        self.visitor_messages += 1
        self.schedule(lines, shown)

    def receipt(self, ours: int, text: str, shown: float) -> None:
        """Our question marked as the sandbox's widgets mark it: 已读 in quickkf's bubble, a class
        or a title on the kefu widget's icon (as the observer reports them), a line of its own."""
        how, delay_s = self.scenario.receipt or ("", 0.0)
        at = shown + delay_s * 1000
        if how == "line":
            self.push(
                at,
                {"type": "message", "text": "对方已读", "sender": "", "bot": False, "side": "platform", "line": True},
            )
        elif self.scenario.shape == "quickkf":
            self.push(at, {"type": "update", "id": ours, "text": f"{text} 已读"})
        else:
            marks = [["read", ".msg-status--seen"]] if how == "read" else [["已送达", ""]]
            self.push(at, {"type": "update", "id": ours, "text": text, "marks": marks})

    def next_at(self) -> float | None:
        return self.queue[0][0] if self.queue else None

    def pop(self) -> dict[str, Any]:
        event = heapq.heappop(self.queue)[2]
        if event["type"] == "message":
            self.shown.append((Side(event["side"]), event["text"], bool(event.get("line"))))
        return event


def simulate_probe(
    store: Store,
    scenario: Scenario,
    templates: TemplateIndex,
    *,
    started_at: str,
    tag: str | None = None,
    vantage: str = "test-vantage",
    seed: int = 0,
    question: tuple[int, str] = (0, QUESTION),
) -> ProbeRecord:
    """One probe of `scenario` asking `question` (its index in the question set, its text),
    stored as a real probe would be; returns its record."""
    store.save_platform(platform_of(scenario))
    probe = ProbeRecord(
        id=f"{started_at[:19].replace(':', '')}Z-{scenario.slug}-{seed:06x}",
        platform=scenario.slug,
        started_at=started_at,
        tag=tag,
        vantage=vantage,
        url=platform_of(scenario).url,
        question_set="presale-zh",
        question_index=question[0],
        question=question[1],
        handoff_text="转人工",
        max_wait_s=300.0,
    )
    conversation = Conversation(probe, Handoff(), templates)
    store.start_probe(probe)
    failure = None
    if scenario.http_status != 200:
        probe.http_status = scenario.http_status
        failure = (Outcome.UNREACHABLE, f"page answered HTTP {scenario.http_status}")
    else:
        probe.http_status = 200
        conversation.page_loaded(0.0)
        if scenario.shape in ("fab", "popup", "no-chat"):  # their pages show no status
            probe.claimed_status, probe.claimed_status_text = Claimed.UNKNOWN, ""
        else:
            probe.claimed_status = Claimed.ONLINE if scenario.status == "online" else Claimed.OFFLINE
            probe.claimed_status_text = "在线" if scenario.status == "online" else "离线"
        if (
            scenario.broken
            or scenario.shape == "no-chat"
            or (scenario.shape in ("vendor", "quickkf") and scenario.status == "offline")
        ):
            failure = conversation.missing("chat.input textarea.chat-input not found in the chat")
        else:
            page = SimulatedPage(scenario, random.Random(f"{seed}/{scenario.slug}"))
            _converse(store, conversation, page, sees=scenario.expected["outcome"] != "blind")
        screenshot = store.evidence_dir / f"{probe.id}.png"
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(png())
        probe.screenshot = str(screenshot)
    probe.finished_at = started_at
    conversation.finish(failure)
    store.save_verdict(probe, conversation.messages)
    return probe


def _converse(store: Store, conversation: Conversation, page: SimulatedPage, *, sees: bool) -> None:
    """`sees`: False plays a platform file whose selectors miss the chat (the observer sees nothing)."""
    now = OPENED_MS

    def deliver_until(moment: float) -> None:
        while (at := page.next_at()) is not None and at <= moment:
            event = page.pop()
            for message in conversation.observe(event, "https://sandbox.test/chat") if sees else []:
                store.save_message(message)

    def send(text: str) -> None:
        conversation.sending(text, now)
        page.receive(text, now)
        deliver_until(now + ECHO_MS)
        for message in conversation.echo_missing():
            store.save_message(message)

    deliver_until(now + GREETING_WAIT_MS)
    now += GREETING_WAIT_MS
    send(conversation.probe.question)
    now += ECHO_MS
    conversation.question_sent(now / 1000)
    while True:
        step = conversation.next_step(now / 1000)
        if isinstance(step, Stop):
            for message in conversation.reconcile(page.shown):  # the end-of-probe screen check
                store.save_message(message)
            return
        if isinstance(step, AskForHuman):
            send(step.text)
            now += ECHO_MS
        elif isinstance(step, Wait):
            at = page.next_at()
            now = at if at is not None and at <= step.until * 1000 else step.until * 1000
            deliver_until(now)
        else:
            assert isinstance(step, Drain)


def fill(
    db_path: Path,
    *,
    rounds: int = 5,
    scenarios: tuple[Scenario, ...] = SCENARIOS,
    vantage: str = "test-vantage",
    end: datetime | None = None,
) -> Path:
    """A database as `watchdog demo --rounds N` leaves it: every scenario probed `rounds` times
    (tags peak and offpeak in turn), an hour apart, ending `end` (default: now)."""
    from watchdog.publish.ratings import compute_ratings

    end = end or datetime.now(UTC)
    with open_store(db_path) as store:
        templates = store.templates
        for number in range(rounds):
            started = (end - timedelta(hours=rounds - number)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            tag = "peak" if number % 2 == 0 else "offpeak"
            for index, scenario in enumerate(scenarios):
                probe = simulate_probe(
                    store, scenario, templates, started_at=started, tag=tag, vantage=vantage, seed=number * 1000 + index
                )
                revise_after(store, templates, probe)  # as the runner does after each probe
        compute_ratings(store)
    return db_path
