"""The typed records of one probe and its messages: what the probe observed, how each message
was classified and the verdict with its reasons. The store reads and writes exactly these;
the CLI, exports and pages derive what they show from them.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from . import __version__, i18n, reasons
from .reasons import Reason
from .text import valid_text
from .timescale import to_simulated_seconds


class Outcome(StrEnum):
    """Exactly one per probe (DESIGN.md section 5)."""

    HUMAN = "human"
    AUTO_ONLY = "auto_only"
    NO_REPLY = "no_reply"
    OFFLINE_DECLARED = "offline_declared"
    UNREACHABLE = "unreachable"
    CHAT_MISSING = "chat_missing"
    IM_ONLY = "im_only"  # no web chat: the page offers only QQ or WeChat (neither for nor against it)
    BLIND = "blind"  # the chat was there, but the probe could not see the conversation
    PROBE_ERROR = "probe_error"


# Outcomes that accuse a platform: only with proof that the probe saw the conversation.
ACCUSING = (Outcome.NO_REPLY, Outcome.AUTO_ONLY)
# Outcomes shown as "needs review" and kept out of ratings (probe_error is simply ours).
NEEDS_REVIEW = (Outcome.CHAT_MISSING, Outcome.BLIND)
# Outcomes left out of ratings: ours, the ones to review, and a page with no web chat at all.
UNRATED = (Outcome.PROBE_ERROR, Outcome.IM_ONLY, *NEEDS_REVIEW)


class Kind(StrEnum):
    """What a message was: the platform's four kinds, and which of ours it is."""

    GREETING = "greeting"
    BOT = "bot"
    AUTO = "auto"
    HUMAN = "human"
    QUESTION = "question"
    HANDOFF = "handoff"
    UNKNOWN = "unknown"  # the widget marks it as ours (chat.visitor), but we never sent it
    SYSTEM = "system"  # the chat's own line: agent assigned, queue, transfer, no agent, a time
    STOCK_ANSWER = "stock_answer"  # a template that answers the question: a quick reply or a macro


AUTOMATED = (Kind.BOT, Kind.AUTO)
# What answers our question: a person's own words, or stock words that address it.
ANSWERED = (Kind.HUMAN, Kind.STOCK_ANSWER)


class Side(StrEnum):
    PLATFORM = "platform"
    VISITOR = "visitor"


class Seen(StrEnum):
    """How the probe knows a message was there."""

    LIVE = "live"  # the observer reported it as it appeared, stamped on the page clock
    SENT = "sent"  # ours, never shown by the widget: timed from pressing send
    END = "end"  # on screen at the end but never reported: no time


class Claimed(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


class State(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    INTERRUPTED = "interrupted"


FLAGS = ("fake_online", "bot_loop", "template_only", "stock_answer", "queue_stuck", "handoff_broken", "read_no_reply")


@dataclass
class Classification:
    """One platform-side message's kind, how sure, and why."""

    kind: Kind
    confidence: float
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Evidence:
    """Where else a text (or a near-duplicate of it) was sent: in other probes than the one
    asking, and how many probes those platforms had to send it in (verdicts/templates.py
    says what makes it a template)."""

    probes: int = 0  # other probes that sent it
    here: int = 0  # ...of which this platform's
    platforms: int = 0  # platforms among them
    days: int = 0  # days among them
    # Other probes that sent any text long enough to be a template: of the platforms that
    # sent this one, and of this platform.
    their_probes: int = 0
    own_probes: int = 0
    crowd: bool = False  # sent in more probes than a lookup reads (store/templates.py: MAX_SIGHTINGS)

    @property
    def share(self) -> float:
        """The share of its platforms' probes that sent it (pooled)."""
        return self.probes / self.their_probes if self.their_probes else 0.0

    @property
    def own_share(self) -> float:
        return self.here / self.own_probes if self.own_probes else 0.0


@dataclass
class Verdict:
    """One probe's outcome and flags, with reasons (before the probe's own notes)."""

    outcome: Outcome
    fake_online: bool = False
    bot_loop: bool = False
    template_only: bool = False
    stock_answer: bool = False  # answered only in stock words (a quick reply or a macro)
    queue_stuck: bool = False  # a place in a queue that did not move for 5 min, or grew, and no human
    handoff_broken: bool = False  # an agent or a transfer announced, then no human
    read_no_reply: bool = False  # our question shown as read (已读), then no human
    queue_places: list[list[float]] = field(default_factory=list)  # [seconds after the question, place]
    first_reply_ms: float | None = None
    first_human_ms: float | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class MessageRecord:
    """One message as observed (times are page offsets, ms since navigation started) and,
    for the platform's, as classified."""

    probe_id: str
    seq: int  # 1, 2, ... in the order seen
    side: Side
    at_ms: float | None  # when the widget showed it (None: seen only at the end)
    text: str  # cleaned: no icon glyphs or zero-width characters, whitespace normalised
    sender: str | None = None
    dom_bot: bool = False  # the platform's own DOM marks it as a bot/system message
    dom_line: bool = False  # a line of the message list that is not a bubble (chat.message)
    typing_ms: float | None = None  # when a typing indicator showed before it
    frame_url: str | None = None
    kind: Kind | None = None
    confidence: float | None = None
    reasons: list[str] = field(default_factory=list)
    recorded_at: str | None = None
    raw_text: str | None = None  # as the page showed it, for evidence
    seen: Seen = Seen.LIVE

    def classify(self, classification: Classification) -> None:
        self.kind = classification.kind
        self.confidence = classification.confidence
        self.reasons = list(classification.reasons)

    def to_row(self) -> dict[str, Any]:
        return _to_row(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MessageRecord:
        values = _known(cls, row)
        values["side"] = Side(values["side"])
        values.setdefault("at_ms", None)  # text seen only at the end has no time
        values["seen"] = Seen(values.get("seen") or Seen.LIVE)
        values["kind"] = Kind(values["kind"]) if values.get("kind") else None
        values["dom_bot"] = bool(values.get("dom_bot"))
        values["dom_line"] = bool(values.get("dom_line"))
        values["reasons"] = reasons.loads(values.get("reasons"))
        return cls(**values)


@dataclass
class ProbeRecord:
    """One probe run: what was asked, what the widget claimed, and the verdict with reasons."""

    id: str
    platform: str
    started_at: str  # UTC, ISO 8601 with a Z
    question: str = ""
    question_set: str | None = None
    question_index: int | None = None
    handoff_text: str | None = None
    url: str | None = None
    tag: str | None = None
    vantage: str | None = None
    run_id: str | None = None
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    version: str = __version__
    state: State = State.RUNNING
    finished_at: str | None = None
    http_status: int | None = None
    question_at_ms: float | None = None  # page time our question showed (or was sent)
    handoff_at_ms: float | None = None  # ...and our request for a human
    claimed_status: Claimed = Claimed.UNKNOWN
    claimed_status_text: str = ""
    max_wait_s: float = 600.0
    time_scale: float = 1.0  # simulated platforms only; see timescale.py
    outcome: Outcome | None = None
    fake_online: bool = False
    bot_loop: bool = False
    template_only: bool = False
    stock_answer: bool = False
    queue_stuck: bool = False
    handoff_broken: bool = False
    read_no_reply: bool = False
    read_ms: float | None = None  # page time from our question to the widget showing it read
    read_by: str | None = None  # how it showed it read: text=已读, or the marker's selector
    queue_places: list[list[float]] = field(default_factory=list)  # [seconds after the question, place]
    first_reply_ms: float | None = None
    first_human_ms: float | None = None
    platform_messages: int = 0
    reasons: list[str] = field(default_factory=list)  # the verdict's, then the notes
    failure: Outcome | None = None  # the outcome when no conversation could happen
    failure_reason: str | None = None
    notes: list[str] = field(default_factory=list)  # what the probe noticed besides the verdict
    screenshot: str | None = None
    screen_checked: bool = False  # the transcript was compared with the chat on screen at the end
    # Without chat.message, the message list the probe learned from our own question:
    learned_message: str | None = None
    learned_visitor: str | None = None

    @property
    def needs_review(self) -> bool:
        """The chat was not found, or the probe could not see the conversation: check by hand."""
        return self.outcome in NEEDS_REVIEW

    @property
    def handoff_sent(self) -> bool:
        return self.handoff_at_ms is not None

    def since_question(self, stamp: float) -> float:
        """Seconds from the question to `stamp` as people read them (simulated on sandbox
        platforms, real everywhere else)."""
        return to_simulated_seconds(max(0.0, stamp - (self.question_at_ms or 0.0)) / 1000, self.time_scale)

    def apply(self, verdict: Verdict) -> None:
        self.outcome = verdict.outcome
        for name in FLAGS:
            setattr(self, name, getattr(verdict, name))
        self.first_reply_ms, self.first_human_ms = verdict.first_reply_ms, verdict.first_human_ms
        self.queue_places = verdict.queue_places
        self.reasons = verdict.reasons + self.notes

    def as_json(self) -> dict[str, Any]:
        """What `watchdog probe --json` prints for one probe."""
        return {
            "platform": self.platform,
            "probe_id": self.id,
            "outcome": self.outcome,
            "claimed_status": self.claimed_status,
            "claimed_status_text": self.claimed_status_text,
            "first_reply_ms": self.first_reply_ms,
            "first_human_ms": self.first_human_ms,
            "fake_online": self.fake_online,
            "bot_loop": self.bot_loop,
            "template_only": self.template_only,
            "stock_answer": self.stock_answer,
            "queue_stuck": self.queue_stuck,
            "handoff_broken": self.handoff_broken,
            "read_no_reply": self.read_no_reply,
            "read_ms": self.read_ms,
            "read_by": self.read_by,
            "messages": self.platform_messages,
            "handoff_sent": self.handoff_sent,
            "question": self.question,
            "screenshot": self.screenshot,
            "reasons": self.reasons,
            "learned": {"message": self.learned_message, "visitor": self.learned_visitor}
            if self.learned_message
            else None,
        }

    def line(self, lang: str = i18n.EN) -> str:
        """One log line: the platform, its outcome and the first reason."""
        if lang == i18n.EN:
            return f"{self.platform}: {self.outcome} ({'; '.join(self.reasons[:1])})"
        first = reasons.words(self.reasons[0], lang) if self.reasons else ""
        return f"{self.platform}：{reasons.word(f'outcome.{self.outcome}', lang)}（{first}）"

    def to_row(self) -> dict[str, Any]:
        return _to_row(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ProbeRecord:
        values = _known(cls, row)
        for name, enum in (("state", State), ("claimed_status", Claimed), ("outcome", Outcome), ("failure", Outcome)):
            if values.get(name):
                values[name] = enum(values[name])
            elif name in values:
                del values[name]
        for name in (*FLAGS, "screen_checked"):
            values[name] = bool(values.get(name))
        for name in ("reasons", "notes"):
            values[name] = reasons.loads(values.get(name))
        values["queue_places"] = json.loads(values.get("queue_places") or "[]")
        if values.get("failure_reason"):
            values["failure_reason"] = reasons.loads_one(values["failure_reason"])
        return cls(**values)


def _to_row(record: Any) -> dict[str, Any]:
    """Lists as JSON text, booleans as 0/1, enums as their values, text always valid Unicode."""
    row: dict[str, Any] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if isinstance(value, list):  # reasons with a code as {"code": ..., values}
            value = valid_text(json.dumps(reasons.dumps(value), ensure_ascii=False))
        elif isinstance(value, Reason):
            value = valid_text(json.dumps(value.to_json(), ensure_ascii=False))
        elif isinstance(value, bool):
            value = int(value)
        elif isinstance(value, StrEnum):
            value = value.value
        elif isinstance(value, str):
            value = valid_text(value)
        row[f.name] = value
    return row


def _known(cls: type, row: dict[str, Any]) -> dict[str, Any]:
    """The row's columns that are fields of the record, nulls left to the defaults."""
    names = {f.name for f in fields(cls)}
    return {key: value for key, value in row.items() if key in names and value is not None}


class FollowUpState(StrEnum):
    """Where a follow-up stands (followups.py decides it)."""

    PENDING = "pending"
    ANSWERED = "answered"  # a person replied
    AUTO_ONLY = "auto_only"  # only automatic receipts, and the wait is over
    UNANSWERED = "unanswered"  # nothing, and the wait is over
    NOT_LEFT = "not_left"  # the form was not submitted: `problem` says why (a case to review)


class FormProblem(StrEnum):
    """Why a message was not left (leave.py decides it): each is the platform's to show."""

    NO_FORM = "no_form"  # no 留言 / 工单 form found
    NEEDS_PHONE = "needs_phone"  # it requires a phone number: never invented
    NEEDS_QQ = "needs_qq"  # it requires a QQ or WeChat id: never invented
    ASKS_ORDER = "asks_order"  # it asks for an order number or payment data: never filled
    CAPTCHA = "captcha"  # a captcha or a login stands before it
    NO_CONTACT = "no_contact"  # nowhere to give an address: an answer could not reach us
    UNKNOWN_REQUIRED = "unknown_required"  # a required field we cannot honestly fill
    NOT_SENT = "not_sent"  # the submit failed (the page's error, or nothing happened)


@dataclass(frozen=True)
class FormField:
    """One field of a 留言 form as read and as filled: what we typed, or "" for left empty."""

    label: str  # its label, placeholder or name, as the page shows it
    kind: str  # leave.FieldKind
    required: bool
    value: str = ""


@dataclass
class FollowUp:
    """A message left on a platform's form (留言 / 工单), waiting for an answer by e-mail."""

    id: str  # the tag in its address: watchdog+<id>@...
    probe_id: str
    platform: str
    platform_url: str
    address: str
    submitted_at: datetime
    state: FollowUpState = FollowUpState.PENDING
    first_reply_at: datetime | None = None
    first_human_at: datetime | None = None
    replies: list[str] = field(default_factory=list)  # kinds of the replies so far
    # What was left, and where: evidence for the probe page.
    form_url: str = ""
    form_fields: list[FormField] = field(default_factory=list)
    confirmation: str = ""  # what the page said after the submit
    screenshot: str | None = None
    promise_h: float | None = None  # the platform's own promise ("24小时内回复"), in hours
    promise: str = ""  # the words it promised in
    problem: FormProblem | None = None  # why not left (state not_left)
    detail: str = ""  # the field or the page's words behind the problem

    @property
    def human_delay_s(self) -> float | None:
        return None if self.first_human_at is None else (self.first_human_at - self.submitted_at).total_seconds()
