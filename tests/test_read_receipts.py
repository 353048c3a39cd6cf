"""已读不回 (issue 27): the moment the widget shows our question read, fed to the conversation
core as recorded events. Only a change counts: a read mark that turns up beside our question
(or a line of its own saying so) after it was shown without one; a sent or delivered tick, or
a mark there from the first showing, claims nothing. The flag accuses, so it needs proof of
sight, and a human reply clears it."""

from __future__ import annotations

from watchdog.records import Kind, Outcome, Side
from watchdog.verdicts.lines import ReadRule

from .test_conversation import ANSWER, ORIGIN, QUESTION, conversation, shown

ASKED_MS = 4030.0


def probe_of(events: list[dict], *, on_screen: list[tuple[Side, str]] | None = None, read: ReadRule | None = None):
    """Our question sent at 4 s and shown at 4.03 s (decorated as the events say), then the
    events; the screen checked at the end against what it shows (by default, what was seen)."""
    talk = conversation(max_wait_s=300, read=read)
    talk.sending(QUESTION, ORIGIN + 4000)
    for event in events:
        talk.observe(event)
    platform = [
        (Side.PLATFORM, e["text"]) for e in events if e.get("side", "platform") == "platform" and e["type"] == "message"
    ]
    talk.reconcile(on_screen if on_screen is not None else [(Side.VISITOR, QUESTION), *platform])
    return talk, talk.finish(None)


def ours(at_ms: float, mark: str, **extra) -> dict:
    return shown(at_ms, f"我 14:05 {QUESTION} {mark}".strip(), "visitor", **extra)


def update(event: dict, at_ms: float, mark: str, **extra) -> dict:
    text = f"我 14:05 {QUESTION} {mark}".strip()
    return {**event, "type": "update", "at": event["at"] - ASKED_MS + at_ms, "text": text, **extra}


def test_our_question_turning_read_then_silence_is_read_no_reply():
    first = ours(ASKED_MS, "未读")
    talk, probe = probe_of([first, update(first, ASKED_MS + 3100, "已读")])
    assert probe.read_ms == 3100.0
    assert (probe.outcome, probe.read_no_reply, probe.fake_online) == (Outcome.NO_REPLY, True, True)
    assert any(
        r.startswith("read, no reply (已读不回): the widget showed our question as read 3.1 s") for r in probe.reasons
    )
    assert [m.kind for m in talk.messages] == [Kind.QUESTION]  # the read mark is no message


def test_a_line_of_its_own_saying_read_is_read_and_never_a_reply():
    talk, probe = probe_of([ours(ASKED_MS, ""), shown(ASKED_MS + 2000, "对方已读", line=True)])
    assert probe.read_ms == 2000.0 and probe.read_no_reply and probe.outcome == Outcome.NO_REPLY
    assert [m.kind for m in talk.messages if m.side == Side.PLATFORM] == [Kind.SYSTEM]
    # drawn as a bubble, the same: a notice, not an answer (nor a bot loop)
    talk, probe = probe_of([ours(ASKED_MS, ""), shown(ASKED_MS + 2000, "Seen 14:05")])
    assert probe.read_no_reply and probe.outcome == Outcome.NO_REPLY and not probe.bot_loop


def test_a_delivered_tick_or_a_mark_there_from_the_start_claims_nothing():
    first = ours(ASKED_MS, "已发送")
    _, delivered = probe_of([first, update(first, ASKED_MS + 1000, "已送达")])
    assert delivered.read_ms is None and not delivered.read_no_reply and delivered.fake_online
    _, from_the_start = probe_of([ours(ASKED_MS, "已读")])
    assert from_the_start.read_ms is None and not from_the_start.read_no_reply


def test_read_then_a_human_is_timed_and_not_flagged():
    first = ours(ASKED_MS, "未读")
    _, probe = probe_of([first, update(first, ASKED_MS + 1500, "已读"), shown(ASKED_MS + 40_000, ANSWER)])
    assert (probe.outcome, probe.read_ms, probe.read_no_reply) == (Outcome.HUMAN, 1500.0, False)


def test_a_blind_probe_never_carries_it():
    """A platform message on screen the observer never reported: the probe cannot prove what it
    saw, so no accusation, 已读不回 included."""
    first = ours(ASKED_MS, "未读")
    _, probe = probe_of(
        [first, update(first, ASKED_MS + 1000, "已读")],
        on_screen=[(Side.VISITOR, QUESTION), (Side.PLATFORM, "您好，在的，请问有什么可以帮您？")],
    )
    assert probe.outcome == Outcome.BLIND and not probe.read_no_reply and not probe.fake_online


def test_a_marker_only_markup_shows_is_read_from_the_observers_marks():
    """An icon whose class turns read (no words), and Live Helper Chat's tick, whose title goes
    from "Delivered" to "Seen": the marks the observer reports, and how the read showed kept."""
    first = ours(ASKED_MS, "", marks=[["unread", ".msg-status--unread"]])
    _, probe = probe_of([first, update(first, ASKED_MS + 2500, "", marks=[["read", ".msg-status--seen"]])])
    assert (probe.read_ms, probe.read_by, probe.read_no_reply) == (2500.0, ".msg-status--seen", True)
    assert any(n.startswith("the widget showed our question as read 2.5 s after") for n in probe.notes)
    first = ours(ASKED_MS, "", marks=[["Have been sent!", ""]])
    delivered = update(first, ASKED_MS + 900, "", marks=[["Delivered", ""]])
    _, probe = probe_of([first, delivered, update(first, ASKED_MS + 4000, "", marks=[["Seen", '[title="Seen"]']])])
    assert (probe.read_ms, probe.read_by) == (4000.0, '[title="Seen"]')


def test_an_icon_that_never_turns_read_or_a_read_class_from_the_start_claims_nothing():
    first = ours(ASKED_MS, "", marks=[["已送达", ""]])
    _, probe = probe_of([first, update(first, ASKED_MS + 800, "", marks=[["已送达", ""], ["read", ""]])])
    assert probe.read_ms is None and not probe.read_no_reply  # a read word with no selector: not ours to learn
    _, probe = probe_of([ours(ASKED_MS, "", marks=[["read", ".is-read"]])])
    assert probe.read_ms is None
    first = ours(ASKED_MS, "", marks=[["read", ".is-read"]])  # read from the start, then a line saying so
    _, probe = probe_of([first, shown(ASKED_MS + 2000, "对方已读", line=True)])
    assert probe.read_ms is None and not probe.read_no_reply


def test_a_list_learned_late_sets_the_baseline_and_claims_nothing_it_did_not_see():
    """Without chat.message the observer first reports our text alone (bare), then our bubble
    as it is when the list is learned: a read mark then was not seen turning up."""
    bare = ours(ASKED_MS, "", bare=True)
    _, probe = probe_of([bare, update(bare, ASKED_MS + 3000, "已读", bare=False, baseline=True)])
    assert probe.read_ms is None
    later = update(bare, ASKED_MS + 5000, "已读", bare=False)
    _, probe = probe_of([bare, update(bare, ASKED_MS + 3000, "已读", bare=False, baseline=True), later])
    assert probe.read_ms is None  # a time label redrawn since is no read turning up
    unread = update(bare, ASKED_MS + 3000, "未读", bare=False, baseline=True)
    _, probe = probe_of([bare, unread, update(bare, ASKED_MS + 5000, "已读", bare=False)])
    assert (probe.read_ms, probe.read_by) == (5000.0, "text=已读")


def test_chat_read_as_a_selector_or_words_replaces_the_defaults():
    selector = ReadRule(selector=".tick.blue")
    first = ours(ASKED_MS, "已读", marks=[["unread", ".tick.blue"]])  # its words say nothing here
    _, probe = probe_of([first, update(first, ASKED_MS + 1200, "已读", marks=[["read", ".tick.blue"]])], read=selector)
    assert (probe.read_ms, probe.read_by) == (1200.0, ".tick.blue")
    words = ReadRule.of("text=已阅")
    first = ours(ASKED_MS, "未阅")
    _, probe = probe_of([first, update(first, ASKED_MS + 700, "已阅")], read=words)
    assert (probe.read_ms, probe.read_by) == (700.0, "text=已阅")
    _, probe = probe_of([first, update(first, ASKED_MS + 700, "已读")], read=words)
    assert probe.read_ms is None  # not this platform's words
