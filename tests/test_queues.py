"""What a chat shows instead of an answer (issue 27), fed to the conversation core as recorded
events: a place in a queue that does not move or grows (queue_stuck), a person announced who
never comes (handoff_broken). They accuse, so they need proof of sight like fake online: a
blind probe never carries them, and a human reply clears them."""

from __future__ import annotations

import pytest

from watchdog.publish.ratings import rate_platform
from watchdog.records import Outcome, ProbeRecord, Side
from watchdog.verdicts.lines import announces_agent, queue_place

from .test_conversation import ANSWER, QUESTION, ask, conversation, shown

MINUTE = 60_000.0


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("您前面还有3位会员在等待", 3),
        ("当前咨询人数较多，正在排队中，您前面还有 12 位，请稍候。", 12),
        ("您前面还有三位", 3),
        ("排队中 4", 4),
        ("前方 2 人", 2),
        ("您排在第 2 位", 2),
        ("当前排队人数：5", 5),
        ("There are 3 people ahead of you", 3),
        ("Queue position: 7", 7),
        ("话费充值一般3分钟到账", None),  # a number, but no queue
        ("正在排队中，请稍候", None),  # a queue, but no place
    ],
)
def test_a_place_in_a_queue_is_read_from_the_chats_words(text, place):
    assert queue_place(text) == place


def test_an_agent_or_a_transfer_announced():
    assert announces_agent("客服小美 为您服务") and announces_agent("正在转接中...")
    assert announces_agent("正在为您转接人工客服，请稍候…")
    assert not announces_agent("您好，话费充值一般10分钟内到账")
    assert not announces_agent("客服在线为您服务")  # a greeting that claims online, no person named


def probe_with(lines: list[tuple[float, str]], *, max_wait_min: float = 10, seen: bool = True, line: bool = True):
    """Our question at 4 s, then the chat's lines at their times (ms after it), drawn as lines
    of their own (or as bubbles); ended with the screen checked (what a probe that saw
    everything has)."""
    talk = conversation(max_wait_s=max_wait_min * 60)
    ask(talk, QUESTION, 4000, echo_ms=4030 if seen else None)
    for after_ms, text in lines:
        talk.observe(shown(4030 + after_ms, text, line=line))
    talk.reconcile([(Side.VISITOR, QUESTION)] * seen + [(Side.PLATFORM, text) for _, text in lines])
    return talk.finish(None)


def test_a_place_that_stands_for_5_minutes_is_a_stuck_queue():
    probe = probe_with([(1000, "客服小美 为您服务"), (3000, "您前面还有3位会员在等待")])
    assert (probe.outcome, probe.queue_stuck, probe.handoff_broken) == (Outcome.NO_REPLY, True, True)
    assert any("did not move for 9 min 57 s" in r for r in probe.reasons), probe.reasons
    assert any(
        r.startswith("handoff broken: the chat announced a person ('客服小美 为您服务') 1.0 s") for r in probe.reasons
    )


@pytest.mark.parametrize("line", [True, False], ids=["lines", "bubbles"])
def test_a_queue_that_grows_is_stuck_at_once(line):
    """Drawn as the chat's own lines or as bubbles (then a stalling template, never a reply)."""
    probe = probe_with([(3000, "您前面还有3位"), (90_000, "您前面还有5位")], max_wait_min=3, line=line)
    assert (probe.outcome, probe.fake_online) == (Outcome.NO_REPLY if line else Outcome.AUTO_ONLY, True)
    assert probe.queue_stuck and any("grew from 3 to 5" in r for r in probe.reasons), probe.reasons
    assert not probe.handoff_broken  # a queue announces no person


def test_a_queue_that_moves_is_not_stuck_and_a_short_wait_proves_nothing():
    moving = probe_with([(3000, "您前面还有3位"), (4 * MINUTE, "您前面还有2位"), (8 * MINUTE, "您前面还有1位")])
    assert moving.outcome == Outcome.NO_REPLY and not moving.queue_stuck, moving.reasons
    short = probe_with([(3000, "您前面还有3位")], max_wait_min=5)  # stood 4 min 57 s: not 5 minutes
    assert not short.queue_stuck, short.reasons


def test_a_human_reply_clears_both():
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4030)
    for at_ms, text in ((5000, "客服小美 为您服务"), (6000, "您前面还有3位"), (9 * MINUTE, ANSWER)):
        talk.observe(shown(at_ms, text, line=text != ANSWER))
    talk.reconcile([(Side.VISITOR, QUESTION), (Side.PLATFORM, "客服小美 为您服务"), (Side.PLATFORM, "您前面还有3位")])
    probe = talk.finish(None)
    assert probe.outcome == Outcome.HUMAN and not probe.queue_stuck and not probe.handoff_broken


def test_a_blind_probe_never_carries_them():
    """Our question never showed (a wrong message selector): nothing is proven, nothing accused."""
    probe = probe_with([(1000, "客服小美 为您服务"), (3000, "您前面还有3位会员在等待")], seen=False)
    assert probe.outcome == Outcome.BLIND
    assert not (probe.queue_stuck or probe.handoff_broken or probe.fake_online)


def test_ratings_count_read_no_reply_and_how_queues_went():
    def probe(n: int, outcome: Outcome, *, read: bool = False, places: list[int] | None = None) -> ProbeRecord:
        made = ProbeRecord(f"p{n}", "shop", f"2026-12-07T10:{n:02d}:00.000Z", question=QUESTION, outcome=outcome)
        made.read_no_reply = read
        made.queue_places = [[3.0 * i, place] for i, place in enumerate(places or [])]
        return made

    probes = [
        probe(1, Outcome.NO_REPLY, read=True, places=[3, 5]),  # grew
        probe(2, Outcome.HUMAN, places=[2, 1]),  # moved
        probe(3, Outcome.NO_REPLY, read=True),
        probe(4, Outcome.HUMAN),
        probe(5, Outcome.BLIND, read=True),  # not counted
    ]
    row = rate_platform({"slug": "shop", "name": "店", "promise_first_response_s": None}, probes)
    assert (row["probes"], row["read_no_reply_rate"]) == (4, 0.5)
    assert (row["queued"], row["queue_place_median"], row["queue_moved_rate"]) == (2, 2.5, 0.5)
