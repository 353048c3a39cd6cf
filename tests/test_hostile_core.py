"""What a hostile page can do to the conversation core, without a browser: a chat that
navigates away, a page clock that disagrees with ours, invalid or relabelled text, a flood.
The browser side of each is tests/test_hostile.py."""

from __future__ import annotations

from watchdog.formatting import for_terminal
from watchdog.probe.conversation import Conversation, Stop
from watchdog.records import Kind, Outcome, Side
from watchdog.text import clean_text, page_text, valid_text, without_time_labels

from .test_conversation import ANSWER, ORIGIN, QUESTION, ask, conversation, shown


def batch(doc: str, *events) -> dict:
    return {"doc": doc, "events": list(events)}


def asked(now: float = 100.0) -> Conversation:
    talk = conversation(max_wait_s=60)
    talk.chat_document("doc-1")
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.question_sent(now)
    return talk


def test_a_batch_from_another_document_of_the_chat_frame_ends_the_probe_without_a_verdict():
    talk = asked()
    assert talk.observe_batch(batch("doc-2", {"type": "document"}), "https://x.example/reloaded") == []
    assert isinstance(talk.next_step(101.0), Stop)
    probe = talk.finish(None)
    assert probe.outcome == Outcome.PROBE_ERROR and not probe.fake_online
    assert "navigated during the probe (to https://x.example/reloaded)" in probe.reasons[0]


def test_a_navigation_after_a_human_answered_keeps_the_verdict_with_a_note():
    talk = asked()
    talk.observe_batch(batch("doc-1", shown(14_000, ANSWER, typing_ms=None)))
    talk.observe_batch(batch("doc-2", {"type": "document"}), "https://x.example/")
    probe = talk.finish(None)
    assert probe.outcome == Outcome.HUMAN
    assert any("navigated after a human replied" in note for note in probe.notes)


def test_documents_before_the_question_are_not_a_navigation():
    talk = conversation()
    talk.chat_document("doc-1")
    talk.observe_batch(batch("doc-0", {"type": "document"}))  # the frame's blank first document
    assert talk.navigated_to is None


def test_a_frozen_page_clock_gives_no_verdict():
    talk = asked(now=100.0)
    talk.clock_reading(95.0, ORIGIN + 1_000, 95.1)
    talk.clock_reading(130.0, ORIGIN + 1_000, 133.0)
    assert talk.finish(None).outcome == Outcome.PROBE_ERROR


def test_a_page_clock_that_disagrees_with_ours_gives_no_verdict():
    talk = asked(now=100.0)
    talk.clock_reading(95.0, ORIGIN + 1_000, 95.1)
    talk.clock_reading(160.0, ORIGIN + 1_000 + 65_000 * 40, 160.2)  # 40 times fast
    probe = talk.finish(None)
    assert probe.outcome == Outcome.PROBE_ERROR and not probe.fake_online
    assert "the page's clock is not to be trusted" in probe.reasons[0]


def test_a_page_clock_that_keeps_time_is_trusted():
    talk = asked(now=100.0)
    talk.clock_reading(95.0, ORIGIN + 1_000, 95.1)
    talk.clock_reading(160.0, ORIGIN + 1_000 + 65_300, 160.1)  # a call's latency off
    talk.clock_reading(170.0, ORIGIN + 1_000 + 71_000, 175.0)  # a slow call: 70 s is within 70-80 s
    talk.reconcile([])
    assert talk.finish(None).outcome == Outcome.NO_REPLY


def test_lone_surrogates_and_controls_never_reach_storage_or_a_terminal():
    assert valid_text("在的\ud83d，") == "在的\ufffd，"
    assert valid_text("\ud83d\ude00") == "😀"
    assert clean_text("\x1b]0;pwned\x07\x1b[31m在线") == "]0;pwned[31m在线"
    assert for_terminal("\x1b[2J\x9b\u202e好\n") == "\\u001b[2J\\u009b\\u202e好\n"
    assert len(page_text("字" * 100_000)) == 4000
    talk = asked()
    (message,) = talk.observe(shown(9_000, "好的\ud83d", sender="小\udc00王"))
    row = message.to_row()
    assert row["text"] == "好的\ufffd" and row["sender"] == "小\ufffd王"
    row["text"].encode("utf-8")


def test_relabelled_messages_are_the_same_message():
    assert without_time_labels("欢迎光临 刚刚") == without_time_labels("欢迎光临 16秒前") == "欢迎光临"
    assert without_time_labels("14:05 好的") == "好的"
    talk = asked()
    talk.observe(shown(9_000, f"{ANSWER} 刚刚"))
    missed = talk.reconcile([(Side.VISITOR, f"{QUESTION} 1分钟前"), (Side.PLATFORM, f"{ANSWER} 30秒前")])
    assert missed == []


def test_a_flood_is_classified_live_as_it_comes():
    """5,000 replies in 2 s, each classified as it arrives (bench/flood.py times it)."""
    talk = asked()
    for n in range(5_000):
        talk.observe(shown(5_000 + n * 0.4, f"系统通知第{n}条：您的订单状态已更新，编号{100000 + n * 7919}"))
    assert len(talk.messages) == 5_001
    assert talk.replies[Kind.AUTO] == 5_000
    talk.reconcile([])
    probe = talk.finish(None)
    assert probe.outcome == Outcome.AUTO_ONLY
    assert {m.kind for m in talk.messages if m.side == Side.PLATFORM} == {Kind.AUTO}


def test_a_slow_flood_is_not_a_person_however_long_it_lasts():
    """Under load a flood took 4 s: its later messages came 3.9 s after our question with 31
    characters each, a person's speed one at a time, but not together or word for word."""
    talk = asked()
    for n in range(3_000):
        talk.observe(shown(4_100 + n * 1.5, f"系统通知第{n}条：您的订单状态已更新，编号{100000 + n * 7919}"))
    talk.reconcile([])
    probe = talk.finish(None)
    assert probe.outcome == Outcome.AUTO_ONLY
    assert Kind.HUMAN not in {m.kind for m in talk.messages}


def test_distinct_texts_in_a_burst_are_not_a_person_either():
    talk = asked()
    words = "充值到账退款卡密发货订单客服稍等查询处理核实支付宝微信话费点卡游戏"
    for n in range(200):
        text = "".join(words[(n * 7 + i * 3) % len(words)] for i in range(20)) + f"第{n}条"
        talk.observe(shown(6_100 + n * 2, text))
    kinds = [m.kind for m in talk.messages if m.side == Side.PLATFORM]
    assert kinds.count(Kind.HUMAN) <= 1


def test_a_person_after_a_long_bot_message_is_still_a_person():
    talk = asked()
    talk.observe(shown(4_300, "您好，欢迎咨询！" + "本店所有点卡均为官方正品，自动发货，" * 8))
    (reply,) = talk.observe(shown(34_000, "在的亲，话费一般十分钟内到账，失败的话原路退款哈", typing_ms=30_000))
    assert reply.kind == Kind.HUMAN
    assert talk.finish(None).outcome == Outcome.HUMAN


def test_a_reloaded_chat_that_shows_our_question_again_is_followed_without_repeats():
    talk = asked()
    talk.observe_batch(batch("doc-1", shown(5000, "您好，欢迎光临！")))
    # the page reloads: the new document's events wait until the driver follows it
    restored = (shown(8000, "您好，欢迎光临！"), shown(8000, QUESTION, "visitor"))
    talk.observe_batch(batch("doc-2", {"type": "document"}, *restored))
    assert isinstance(talk.next_step(101.0), Stop)
    assert talk.reattach("doc-2") == [] and talk.restored_ours
    assert len(talk.observe_batch(batch("doc-2", shown(20_000, ANSWER)))) == 1
    probe = talk.finish(None)
    assert probe.outcome == Outcome.HUMAN and [m.text for m in talk.messages].count("您好，欢迎光临！") == 1


def test_a_reload_to_a_fresh_chat_is_not_followed():
    talk = asked()
    talk.observe_batch(batch("doc-2", {"type": "document"}, shown(8000, "您好，欢迎光临！")))
    talk.reattach("doc-2")
    assert not talk.restored_ours  # our question is not there: the driver gives up (probe_error)
