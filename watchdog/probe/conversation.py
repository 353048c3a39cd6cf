"""The conversation of one probe as pure logic: no browser, no store, no clock of its own.

Observer events go in (`observe`), with what the driver did (`sending`, `echo_missing`) and
the time it is (`next_step(now)`); out come the message records to write and the next step:
wait, make sure the page has nothing more to report (drain), ask for a human, or stop. At
the end `finish` judges the probe. Every rule of "What one probe does" (README) lives here
or in verdicts/, so each can be tested from a recorded event sequence in milliseconds.

Two clocks, never mixed: page times (ms since the page started loading, from the observer's
in-page stamps) time the messages; `now` (the driver's monotonic seconds) times the waiting.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..config import SERVICE_NAMES, Chat, Handoff
from ..reasons import Reason
from ..records import (
    ANSWERED,
    AUTOMATED,
    Claimed,
    Classification,
    Kind,
    MessageRecord,
    Outcome,
    ProbeRecord,
    Seen,
    Side,
    State,
)
from ..text import clean_text, decoration, our_text, page_text, without_leading_time, without_time_labels
from ..timescale import to_real_seconds, to_simulated_seconds
from ..verdicts.classify import Classifier
from ..verdicts.decide import judge
from ..verdicts.lines import ReadRule, system_line
from ..verdicts.templates import Templates

GREETING_WAIT_S = 3.0  # before writing, wait this long for greetings
GRACE_S = 15.0  # after the first human reply, keep recording this long
ECHO_WAIT_S = 5.0  # how long our own message may take to show in the chat (a loaded machine is slow)
MAX_STATUS_CHARS = 200  # a status is a word or two; page text beyond this is noise
MAX_ELSEWHERE = 1000  # batches kept from another document of the chat's frame
# The page's clock must agree with ours to within this (seconds), or this share of the time.
CLOCK_TOLERANCE_S = 2.0
CLOCK_TOLERANCE_SHARE = 0.05


@dataclass(frozen=True)
class Wait:
    """Nothing to do until `until` (driver's monotonic seconds), or until an event arrives."""

    until: float


@dataclass(frozen=True)
class Drain:
    """Round-trip to the page first: a reply it reported already must be seen before calling silence."""


@dataclass(frozen=True)
class AskForHuman:
    text: str


@dataclass(frozen=True)
class Stop:
    why: str


Step = Wait | Drain | AskForHuman | Stop
Failure = tuple[Outcome, str]  # the outcome when no conversation could happen, and why


def claimed_from_text(text: str, chat: Chat) -> Claimed:
    """What a status element's text claims; offline words first ("不在线" contains "在线"), and
    online words outside the service's name ("在线客服" is no claim to be online)."""
    lowered = text.lower()
    if any(word.lower() in lowered for word in chat.offline):
        return Claimed.OFFLINE
    for name in SERVICE_NAMES:
        lowered = lowered.replace(name, " ")
    if any(word.lower() in lowered for word in chat.online):
        return Claimed.ONLINE
    return Claimed.UNKNOWN


def unreachable(reason: str, control_url: str | None, control_error: str | None) -> Failure:
    """A page that did not load is the platform's fault only if the control URL loaded."""
    if not control_url:
        return Outcome.UNREACHABLE, Reason("no_control", why=reason)
    if control_error is not None:
        return Outcome.PROBE_ERROR, Reason("control_failed", why=reason, url=control_url, detail=control_error)
    return Outcome.UNREACHABLE, Reason("control_loaded", why=reason, url=control_url)


class Conversation:
    """One probe's messages and decisions. The driver feeds it and writes what it returns."""

    def __init__(self, probe: ProbeRecord, handoff: Handoff, templates: Templates, read: ReadRule | None = None):
        self.probe = probe
        self.read = read or ReadRule()  # how the platform shows our message read (chat.read)
        self.handoff = handoff
        self.templates = templates
        self.messages: list[MessageRecord] = []  # in the order seen; seq = index + 1
        self.by_observer_id: dict[int, int] = {}  # the observer's message id -> index
        self.time_origin: float | None = None  # page clock at navigation start (ms)
        self.ours_shown: set[str] = set()  # texts of the visitor-side messages recorded
        self.sent: list[str] = []  # what we sent (cleaned): a bubble showing it is ours, whatever decorates it
        self.last_reply_at: float | None = None  # page time of the last platform message
        self.pending_echo: str | None = None  # text we sent that the widget has not shown yet
        self.pressed_at: float | None = None  # page time we pressed send for it
        self.typing_seen_at: float | None = None
        self.sent_at: float | None = None  # now() when the question was out
        self.human_at: float | None = None  # now() when the first human reply was seen
        self.drained = False
        self.statuses: list[tuple[str, Claimed, str]] = []  # (when, claimed, its text) as read
        self.classifier = Classifier(probe, templates)
        self.replies: Counter[Kind] = Counter()  # live kinds of the replies so far (greetings aside)
        self.document: str | None = None  # the chat document's token (observer.js)
        self.navigated_to: str | None = None  # where the chat went when its page navigated
        self.clock_readings: list[tuple[float, float, float]] = []  # (our before, page clock, our after)
        self.elsewhere: list[dict[str, Any]] = []  # batches of other documents of the chat's frame
        self.restoring: Counter[str] | None = None  # after a reload: the texts the restored chat shows again
        self.restored_ours = False  # ...and whether it shows our question
        self.shown_unread = False  # our question shown without a read mark: a read mark since is news
        self.read_unseen = False  # ...or shown read before we could see it change: it claims nothing

    # -- the page clock -------------------------------------------------------------------

    def page_loaded(self, time_origin: float) -> None:
        self.time_origin = time_origin

    def offset(self, stamp: float) -> float:
        """A page clock reading as stored: ms since the page started loading."""
        return round(stamp - (self.time_origin or 0.0), 1)

    def clock_reading(self, before: float, page_clock: float, after: float) -> None:
        """The page clock (ms), read by a call that started at our monotonic `before` and
        returned at `after` (s): at the end the two clocks must have advanced alike, or the
        page's times cannot be trusted. A slow call widens what counts as alike."""
        self.clock_readings.append((before, page_clock, after))

    def _clock_disagreement(self) -> Reason | None:
        if len(self.clock_readings) < 2:
            return None
        (before0, page0, after0), (before1, page1, after1) = self.clock_readings[0], self.clock_readings[-1]
        theirs = (page1 - page0) / 1000
        shortest, longest = before1 - after0, after1 - before0
        slack = max(CLOCK_TOLERANCE_S, CLOCK_TOLERANCE_SHARE * longest)
        if shortest - slack <= theirs <= longest + slack:
            return None
        return Reason("clock_untrusted", seconds=theirs, passed=(shortest + longest) / 2)

    # -- what the observer reports ----------------------------------------------------------

    def chat_document(self, token: str) -> None:
        """The document the chat is in; events from any other document of its frame mean the
        chat navigated (a reload or a redirect) and its conversation is gone."""
        self.document = token

    def observe_batch(self, batch: dict[str, Any], frame_url: str | None = None) -> list[MessageRecord]:
        """One batch of the chat frame's observer events (observer.js sends them so)."""
        if self.document is not None and batch.get("doc") != self.document:
            if self.sent_at is not None and self.navigated_to is None:
                self.navigated_to = page_text(frame_url or "")
            if len(self.elsewhere) < MAX_ELSEWHERE:  # kept: the new document may restore the chat
                self.elsewhere.append(batch)
            return []
        return [record for event in batch.get("events", []) for record in self.observe(event, frame_url)]

    def observe(self, event: dict[str, Any], frame_url: str | None = None) -> list[MessageRecord]:
        """One event from the chat frame's observer; returns the message records to write."""
        at = self.offset(event["at"]) if "at" in event else None
        kind = event.get("type")
        if kind in ("message", "update") and at is not None:
            self._watch_read(event, at)
        if kind == "typing" and at is not None:
            self.typing_seen_at = at
        elif kind == "error":
            self.probe.notes.append(Reason("observer_error", detail=page_text(str(event.get("message")))))
        elif kind == "learned":
            self._learned(page_text(str(event.get("message") or "")), page_text(str(event.get("visitor") or "")))
        elif kind == "update" and event.get("id") in self.by_observer_id:
            message = self.messages[self.by_observer_id[event["id"]]]
            text = clean_text(page_text(str(event.get("text") or "")))
            if message.side == Side.VISITOR and our_text(text, self.sent) is not None:
                return []  # our bubble decorated since (a read mark, a time): still what we sent
            if not text or text == message.text:
                return []
            message.text = text
            self._classify_again()
            return [message]
        elif kind == "message" and at is not None:
            added = self._record(event, at, frame_url)
            if added is not None:
                self.by_observer_id[event["id"]] = len(self.messages) - 1
                return [added]
        return []

    def _watch_read(self, event: dict[str, Any], at: float) -> None:
        """When our question turned read (a read mark in or beside its bubble, or a line of its
        own saying so, after it was shown without one): a mark there from the first showing
        claims nothing, and a sent or delivered tick is no read mark. The observer's `bare`
        report (the list not learned yet) shows our text alone; its `baseline`, the bubble
        as it is when the list is learned: a read mark then was not seen turning up."""
        question = self.sent[0] if self.sent else None
        if question is None or self.probe.read_ms is not None or self.read_unseen or event.get("bare"):
            return
        text = clean_text(page_text(str(event.get("text") or "")))
        around = decoration(text, question, self.read.word_forms)
        if around is None:
            how = self.read.line(text) if self.shown_unread else None
        else:
            marks = [[page_text(str(part)) for part in mark[:2]] for mark in event.get("marks") or [] if len(mark) >= 2]
            how = self.read.bubble(around, marks)
            if how is None:
                self.shown_unread = True
                return
            if not self.shown_unread or event.get("baseline"):
                self.read_unseen = True
                return
        if how is not None and self.probe.question_at_ms is not None:
            self.probe.read_ms = round(max(0.0, at - self.probe.question_at_ms), 1)
            self.probe.read_by = how
            seconds = to_simulated_seconds(self.probe.read_ms / 1000, self.probe.time_scale)
            self.probe.notes.append(Reason("read_seen", seconds=seconds, by=how))

    def reattach(self, token: str, frame_url: str | None = None) -> list[MessageRecord]:
        """The chat's page navigated and a new document (`token`) shows the chat again, restored
        from the widget's storage: follow it. What it shows again of what was recorded is not
        new; the conversation goes on only if it shows our question (`restored_ours`)."""
        self.document, self.navigated_to = token, None
        self.by_observer_id.clear()  # the new document numbers its messages afresh
        self.restoring = Counter(without_time_labels(m.text) for m in self.messages if m.side == Side.PLATFORM)
        self.restored_ours = False
        batches, self.elsewhere = [b for b in self.elsewhere if b.get("doc") == token], []
        return [record for batch in batches for record in self.observe_batch(batch, frame_url)]

    def restored(self) -> None:
        """The restored chat has shown again what it keeps: from here on every message is new."""
        self.restoring = None

    def _learned(self, message: str, visitor: str) -> None:
        """Without chat.message, the observer learned the message list from our question."""
        self.probe.learned_message, self.probe.learned_visitor = message or None, visitor or None
        said = f'message = "{message}"' + (f', visitor = "{visitor}"' if visitor else "")
        self.probe.notes.append(Reason("learned_list", said=said))

    def _record(self, event: dict[str, Any], at: float, frame_url: str | None) -> MessageRecord | None:
        raw = page_text(str(event.get("text") or ""))
        text = clean_text(raw)
        if not text:
            return None  # an icon or a spacer: nothing a person reads
        marked_ours = event.get("side") == "visitor"
        said = our_text(text, self.sent)  # our words, the widget's label, time or read mark aside
        # Ours is what we sent: the echo of our pending text, or what the widget marks as ours
        # while we wait for that echo (a widget may decorate our text).
        if self.pending_echo is not None and (said == self.pending_echo or marked_ours):
            self.pending_echo = None
            # The widget showed our message: time from that, not from pressing send.
            if self.probe.handoff_at_ms is not None:
                self.probe.handoff_at_ms = at
            else:
                self.probe.question_at_ms = at
            return self._add_ours(said or text, at, frame_url, Seen.LIVE, raw)
        if said is not None:
            # Our message again: redrawn, or the widget's first copy replaced by the server's.
            # Whichever side the widget draws it on, a platform is never credited with our words.
            self.restored_ours = self.restored_ours or (self.restoring is not None and said == self.sent[0])
            return None
        if self.restoring and self.restoring[without_time_labels(text)] > 0:
            self.restoring[without_time_labels(text)] -= 1
            return None  # shown again by the restored chat: recorded already
        if marked_ours:
            if without_time_labels(text) in self.ours_shown:
                return None  # a message of ours shown again (the list re-rendered)
            return self._add_unknown(text, at, frame_url, raw)
        text = without_leading_time(text)  # the widget's clock beside the reply is not what it says
        last_reply = self.last_reply_at
        typing_at = self.typing_seen_at
        if typing_at is not None and last_reply is not None and typing_at < last_reply:
            typing_at = None  # that indicator belonged to an earlier reply
        message = MessageRecord(
            self.probe.id,
            len(self.messages) + 1,
            Side.PLATFORM,
            at,
            text,
            sender=clean_text(page_text(str(event.get("sender") or ""))) or None,
            dom_bot=bool(event.get("bot")),
            dom_line=bool(event.get("line")),
            typing_ms=typing_at,
            frame_url=frame_url,
            raw_text=raw,
        )
        self.messages.append(message)
        self.last_reply_at = at
        live = self._classify_next(message)
        if live is not None:
            message.classify(live)
        return message

    def _add_unknown(self, text: str, at: float, frame_url: str | None, raw: str) -> MessageRecord:
        """Text the widget marks as ours that we never sent: whose it is, the probe cannot tell
        (a chat.visitor selector that matches too much), so no accusation may rest on it."""
        return self._add_visitor_side(text, at, frame_url, raw, Kind.UNKNOWN, [Reason("unknown_visitor")], Seen.LIVE)

    def _add_ours(self, text: str, at: float, frame_url: str | None, seen: Seen, raw: str) -> MessageRecord:
        kind = Kind.HANDOFF if self.probe.handoff_at_ms is not None else Kind.QUESTION
        return self._add_visitor_side(
            text, at, frame_url, raw, kind, [Reason("not_shown")] if seen == Seen.SENT else [], seen
        )

    def _add_visitor_side(
        self, text: str, at: float, frame_url: str | None, raw: str, kind: Kind, reasons: list[str], seen: Seen
    ) -> MessageRecord:
        message = MessageRecord(
            self.probe.id,
            len(self.messages) + 1,
            Side.VISITOR,
            at,
            text,
            frame_url=frame_url,
            kind=kind,
            reasons=reasons,
            raw_text=raw,
            seen=seen,
        )
        self.messages.append(message)
        self.ours_shown.add(without_time_labels(text))
        self._classify_next(message)
        return message

    def _classify_next(self, message: MessageRecord) -> Classification | None:
        """The live kind of a new message, to decide when to ask for a human and when to stop:
        computed once, at a cost that does not grow with the conversation."""
        kind = None
        if message.at_ms is not None:
            self.classifier.remember(message)
            kind = self.classifier.next(message)
        if kind is not None and kind.kind not in (Kind.GREETING, Kind.SYSTEM):
            self.replies[kind.kind] += 1
        return kind

    def _classify_again(self) -> None:
        """A message's text changed: every live kind again, from the start."""
        self.classifier = Classifier(self.probe, self.templates)
        self.replies = Counter()
        for message in self.messages:
            self._classify_next(message)

    # -- what the driver does -------------------------------------------------------------

    def sending(self, text: str, pressed_at: float) -> None:
        """We are about to press send (page clock `pressed_at`): the stamp to time from,
        until the widget shows our message."""
        self.pending_echo = clean_text(text)
        self.sent.append(self.pending_echo)
        self.pressed_at = self.offset(pressed_at)
        if self.probe.question_at_ms is None:
            self.probe.question_at_ms = self.pressed_at
        else:
            self.probe.handoff_at_ms = self.pressed_at

    @property
    def echo_pending(self) -> bool:
        return self.pending_echo is not None

    def echo_missing(self, frame_url: str | None = None) -> list[MessageRecord]:
        """The widget never showed what we sent: record it, timed from pressing send."""
        if self.pending_echo is None or self.pressed_at is None:
            return []
        text, self.pending_echo = self.pending_echo, None
        self.probe.notes.append(Reason("echo_missing"))
        return [self._add_ours(text, self.pressed_at, frame_url, Seen.SENT, text)]

    def question_sent(self, now: float) -> None:
        """The question is out: the waits (max_wait, the silence before 转人工) start now."""
        self.sent_at = now

    def next_step(self, now: float) -> Step:
        """Stop once a human replied (plus grace) or max_wait passed; ask for a human after the
        first automated reply or a silence; else wait."""
        sent_at = self.sent_at if self.sent_at is not None else now
        give_up = sent_at + self._real(self.probe.max_wait_s)
        silence_handoff = sent_at + self._real(self.handoff.after_silence_s)
        replies = self.replies
        if self.human_at is None and any(replies[kind] for kind in ANSWERED):
            self.human_at = now
        stop_at = give_up if self.human_at is None else min(give_up, self.human_at + self._real(GRACE_S))
        if self.navigated_to is not None:
            return Stop("the chat navigated")
        if now >= stop_at:
            return Stop("a human replied" if self.human_at is not None else "max_wait passed")
        if self.probe.handoff_at_ms is None and self.human_at is None:
            automated = self.handoff.after_auto_reply and any(replies[kind] for kind in AUTOMATED)
            silent = not +replies and now >= silence_handoff
            if silent and not self.drained:
                self.drained = True
                return Drain()
            if automated or silent:
                return AskForHuman(self.handoff.text)
        wake = stop_at
        if self.probe.handoff_at_ms is None and not +replies:
            wake = min(wake, silence_handoff)
        return Wait(wake)

    def hard_deadline(self, grace_s: float) -> float:
        """Real seconds from its start after which a probe is stopped whatever the page does."""
        return self._real(self.probe.max_wait_s) + grace_s

    def greeting_wait(self) -> float:
        """How long (real seconds) to wait for greetings before writing."""
        return self._real(GREETING_WAIT_S)

    def _real(self, seconds: float) -> float:
        return to_real_seconds(seconds, self.probe.time_scale)

    def reconcile(self, on_screen: Sequence[tuple[Side, str] | tuple[Side, str, bool]]) -> list[MessageRecord]:
        """Compare what the chat shows at the end (read with Playwright's own engine) with the
        transcript: (side, text) of each bubble, and (side, text, True) of each other line of
        its list. Platform text on screen that was never recorded means the observer missed
        something: it is recorded as seen only at the end, with no time, and the comparison
        becomes a reason; a notice of the chat's own (verdicts/lines.py) is kept as such and
        hides no reply. Returns the records to write."""
        # A bubble is judged by its text first: a wrong chat.visitor must not turn ours into theirs.
        # Time labels aside: a widget may have redrawn "刚刚" as "30秒前" since.
        # A sender's name standing beside the bubbles (read with them) is not a message either.
        recorded = Counter(without_time_labels(m.text) for m in self.messages if m.seen != Seen.END)
        not_theirs = self.ours_shown | {m.sender for m in self.messages if m.sender}
        shown, missed = 0, list[MessageRecord]()
        for side, shown_text, *outside in on_screen:
            raw = page_text(shown_text)
            text = clean_text(raw)
            said = without_time_labels(text)
            if not said or (side == Side.VISITOR and said not in recorded) or said in not_theirs:
                continue
            if our_text(text, self.sent) is not None:
                continue  # ours, decorated: never theirs
            if recorded[said] > 0:
                recorded[said] -= 1
                shown += 1
                continue
            line = bool(outside and outside[0])
            notice = system_line(text, bubble=not line)
            shown += notice is None
            seq = len(self.messages) + len(missed) + 1
            missed.append(
                MessageRecord(
                    self.probe.id,
                    seq,
                    Side.PLATFORM,
                    None,
                    text,
                    dom_line=line,
                    raw_text=raw,
                    seen=Seen.END,
                    kind=Kind.SYSTEM if notice else None,
                    reasons=[Reason("seen_at_end")],
                )
            )
        self.probe.screen_checked = True
        self.messages += missed
        replies = [m for m in missed if m.kind != Kind.SYSTEM]
        if replies:
            self.probe.notes.append(
                Reason("unreported_on_screen", count=len(replies), shown=shown, quote=replies[0].text[:40])
            )
        else:
            self.probe.notes.append(Reason("screen_checked", shown=shown))
        return missed

    def status_seen(self, moment: str, claimed: Claimed, text: str) -> None:
        """A reading of the widget's status: at load (awaited), when the question was sent, at
        the end, or in the open chat itself. The claim that counts is the chat's own saying
        offline (a notice, a read-only input), else the one shown when we asked, else the first known."""
        text = clean_text(page_text(text))[:MAX_STATUS_CHARS]
        self.statuses.append((moment, claimed, text))
        known = [(when, status, said) for when, status, said in self.statuses if status != Claimed.UNKNOWN]
        chosen = next(
            (reading for reading in known if reading[0] == "chat"),
            next((reading for reading in known if reading[0] == "question"), known[0] if known else None),
        )
        if chosen is None:
            self.probe.claimed_status, self.probe.claimed_status_text = claimed, text
        else:
            self.probe.claimed_status, self.probe.claimed_status_text = chosen[1], chosen[2]

    def _status_changes(self) -> Reason | None:
        known = [(when, status) for when, status, _ in self.statuses if status != Claimed.UNKNOWN]
        if len({status for _, status in known}) < 2:
            return None
        changes = [Reason("status_at", status=str(status), moment=when) for when, status in known]
        return Reason("status_changed", changes=changes)

    # -- the verdict ----------------------------------------------------------------------

    def _lost_sight(self) -> Failure | None:
        """A page whose clock cannot be trusted, or a chat that navigated away before anyone
        answered, gives no verdict: what was seen is kept, with the reason."""
        clock = self._clock_disagreement()
        if clock is not None:
            return Outcome.PROBE_ERROR, clock
        if self.navigated_to is None:
            return None
        if any(self.replies[kind] for kind in ANSWERED):
            self.probe.notes.append(Reason("navigated_after_human", url=self.navigated_to))
            return None
        return Outcome.PROBE_ERROR, Reason("navigated_lost", url=self.navigated_to)

    def missing(self, reason: str, contacts: list[str] | None = None) -> Failure:
        """The chat or its input is not there: an honest offline widget, a page that offers only
        QQ or WeChat, or needs review."""
        if self.probe.claimed_status == Claimed.OFFLINE:
            return Outcome.OFFLINE_DECLARED, Reason(
                "offline_no_chat", claimed=self.probe.claimed_status_text, why=reason
            )
        if contacts:
            return Outcome.IM_ONLY, Reason("im_only", contacts="/".join(contacts), why=reason)
        return Outcome.CHAT_MISSING, reason

    def finish(self, failure: Failure | None, *, interrupted: bool = False) -> ProbeRecord:
        """Judge the probe (its record and the messages' kinds are updated); what it saw
        becomes template evidence for the probes after it."""
        probe = self.probe
        probe.state = State.INTERRUPTED if interrupted else State.FINISHED
        changes = self._status_changes()
        if changes:
            probe.notes.append(changes)
        if failure is None:
            failure = self._lost_sight()
        if failure is not None:
            probe.failure, probe.failure_reason = failure
        judge(probe, self.messages, self.templates)
        self.templates.add_probe(probe.id, probe.platform, (m.text for m in self.messages if m.side == Side.PLATFORM))
        return probe
