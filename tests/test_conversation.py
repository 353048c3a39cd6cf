"""The conversation core fed recorded observer events: every rule of "What one probe does"
(docs/en/verdicts.md), without a browser. Page times are ORIGIN + ms; `now` is the driver's clock (s)."""

from __future__ import annotations

import itertools
from typing import Any

from watchdog.config import Chat, Handoff
from watchdog.probe.conversation import (
    AskForHuman,
    Conversation,
    Drain,
    Stop,
    Wait,
    claimed_from_text,
    unreachable,
)
from watchdog.records import Claimed, Kind, Outcome, ProbeRecord, Seen, Side, State
from watchdog.store.templates import TemplateIndex
from watchdog.verdicts.lines import ReadRule

from .conftest import counts

ORIGIN = 1_763_800_000_000.0  # performance.timeOrigin of the page
QUESTION = "你好，请问你们的话费充值一般多久到账？如果充值失败了怎么退款？"
ANSWER = "您好，话费充值一般10分钟内到账，高峰期会慢一点，失败的话会原路退回到您的付款账户。"
ids = itertools.count(1)


def conversation(
    *,
    handoff: Handoff | None = None,
    max_wait_s: float = 600.0,
    time_scale: float = 1.0,
    templates: TemplateIndex | None = None,
    read: ReadRule | None = None,
) -> Conversation:
    probe = ProbeRecord(
        "p1",
        "x",
        "2026-11-22T00:00:00.000Z",
        question=QUESTION,
        max_wait_s=max_wait_s,
        time_scale=time_scale,
        claimed_status=Claimed.ONLINE,
        claimed_status_text="在线",
    )
    talk = Conversation(probe, handoff or Handoff(), templates or TemplateIndex.in_memory(), read)
    talk.page_loaded(ORIGIN)
    return talk


def shown(at_ms: float, text: str, side: str = "platform", **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "id": next(ids),
        "at": ORIGIN + at_ms,
        "text": text,
        "side": side,
        "sender": "",
        "bot": False,
        **extra,
    }


def ask(talk: Conversation, text: str, pressed_ms: float, *, echo_ms: float | None = None) -> None:
    """We press send at `pressed_ms`; the widget shows our message at `echo_ms` (or never)."""
    talk.sending(text, ORIGIN + pressed_ms)
    if echo_ms is not None:
        talk.observe(shown(echo_ms, text, "visitor"))
    else:
        talk.echo_missing()


def test_greetings_before_our_question_are_recorded_as_greetings():
    talk = conversation()
    (greeting,) = talk.observe(shown(800, "您好，欢迎光临！"))
    assert (greeting.seq, greeting.side, greeting.at_ms, greeting.kind) == (1, Side.PLATFORM, 800.0, Kind.GREETING)
    ask(talk, QUESTION, 4000, echo_ms=4030)
    assert [m.kind for m in talk.messages] == [Kind.GREETING, Kind.QUESTION]


def test_every_message_is_returned_for_writing_the_moment_it_is_seen():
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4030)
    (reply,) = talk.observe(shown(30_000, ANSWER, sender="客服-小林"))
    assert (reply.seq, reply.sender, reply.kind) == (2, "客服-小林", Kind.HUMAN)  # live kind stored with it
    assert talk.observe({"type": "typing", "at": ORIGIN + 31_000}) == []


def test_reply_timed_from_our_message_shown_not_from_the_key_press():
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4600)  # a slow widget: shown 0.6 s after the key press
    talk.observe(shown(30_600, ANSWER))
    verdict = talk.finish(None)
    assert talk.probe.question_at_ms == 4600.0
    assert verdict.first_reply_ms == 26_000.0 and verdict.outcome == Outcome.HUMAN


def test_a_message_never_shown_is_timed_from_the_key_press_and_said_so():
    talk = conversation()
    ask(talk, QUESTION, 4000)
    (question,) = [m for m in talk.messages if m.side == Side.VISITOR]
    assert (question.at_ms, [r.code for r in question.reasons]) == (4000.0, ["not_shown"])
    assert "the widget did not show our message: timed from pressing send" in talk.probe.notes


def test_ours_by_text_when_the_widget_does_not_mark_it():
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4030)
    assert [(m.side, m.kind) for m in talk.messages] == [(Side.VISITOR, Kind.QUESTION)]
    # the same text again (a list re-shown) is not a second message of ours, nor theirs
    assert talk.observe(shown(9000, QUESTION, "visitor")) == []
    # unmarked and not pending: still our words, never the platform's (a widget redrawing our
    # bubble without the class chat.visitor names)
    assert talk.observe(shown(9000, QUESTION)) == []


def test_a_learned_message_list_is_kept_with_the_probe_and_said():
    talk = conversation()
    learned = {"message": "ol.ld-thread > li.ld-item", "visitor": "ol.ld-thread > li.ld-item.ld-item--out"}
    talk.observe({"type": "learned", **learned})
    assert talk.probe.learned_message == "ol.ld-thread > li.ld-item"
    assert talk.probe.learned_visitor == "ol.ld-thread > li.ld-item.ld-item--out"
    assert 'learned the message list from our question: message = "ol.ld-thread > li.ld-item"' in talk.probe.notes[-1]


def test_a_rerendered_text_updates_its_message():
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4030)
    event = shown(30_000, "刚刚 您好")
    (first,) = talk.observe(event)
    (updated,) = talk.observe({"type": "update", "id": event["id"], "at": ORIGIN + 36_000, "text": ANSWER})
    assert updated is first and updated.seq == 2 and updated.text == ANSWER and len(talk.messages) == 2


def test_a_typing_indicator_belongs_to_the_next_reply_only():
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.observe({"type": "typing", "at": ORIGIN + 20_000})
    (first,) = talk.observe(shown(26_000, ANSWER))
    (second,) = talk.observe(shown(40_000, "还有别的问题吗？我们这边都是自动充值的，一般都很快。"))
    assert first.typing_ms == 20_000.0 and second.typing_ms is None


def test_observer_errors_become_notes_and_reasons():
    talk = conversation()
    talk.observe({"type": "error", "message": "selector .msg[ is not valid CSS: ..."})
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.finish(None)
    assert talk.probe.reasons[-1].endswith(": selector .msg[ is not valid CSS: ...")


def test_ask_for_a_human_after_the_first_automated_reply():
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.question_sent(100.0)
    assert talk.next_step(100.0) == Wait(160.0)  # the silence before 转人工
    talk.observe(shown(4600, "亲，我是智能客服小美，请输入关键词。", sender="智能客服小美"))
    assert talk.next_step(100.6) == AskForHuman("转人工")
    ask(talk, "转人工", 5000, echo_ms=5030)
    assert talk.next_step(101.0) == Wait(700.0)  # asked once; now until max_wait
    assert talk.probe.handoff_at_ms == 5030.0 and talk.messages[-1].kind == Kind.HANDOFF


def test_ask_for_a_human_after_silence_once_the_page_is_drained():
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.question_sent(100.0)
    assert talk.next_step(159.9) == Wait(160.0)
    assert talk.next_step(160.0) == Drain()  # a reply may be on its way from the page
    assert talk.next_step(160.0) == AskForHuman("转人工")


def test_a_reply_found_by_the_drain_means_no_silence():
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.question_sent(100.0)
    assert talk.next_step(160.0) == Drain()
    talk.observe(shown(63_900, ANSWER))
    assert talk.next_step(160.0) == Wait(175.0)  # a human: grace period, no 转人工


def test_no_handoff_after_an_automated_reply_when_the_question_set_says_so():
    talk = conversation(handoff=Handoff(after_auto_reply=False, after_silence_s=60.0))
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.question_sent(100.0)
    talk.observe(shown(4500, "已收到您的问题，正在加急处理，请耐心等待。"))
    assert talk.next_step(101.0) == Wait(700.0)


def test_stop_after_a_human_plus_grace_or_at_max_wait():
    talk = conversation(max_wait_s=300.0)
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.question_sent(100.0)
    talk.observe(shown(29_000, ANSWER))
    assert talk.next_step(125.0) == Wait(140.0)
    assert talk.next_step(140.0) == Stop("a human replied")
    silent = conversation(max_wait_s=300.0)
    ask(silent, QUESTION, 4000, echo_ms=4030)
    silent.question_sent(100.0)
    ask(silent, "转人工", 64_000, echo_ms=64_030)
    assert silent.next_step(399.9) == Wait(400.0)
    assert silent.next_step(400.0) == Stop("max_wait passed")


def test_waits_are_read_in_simulated_time():
    """time_scale 0.02: after its first 3 real seconds, a sandbox platform runs 50 times faster."""
    talk = conversation(max_wait_s=300.0, time_scale=0.02)
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.question_sent(100.0)
    assert talk.next_step(100.0) == Wait(100.0 + 3 + 57 * 0.02)  # 60 s of silence


def test_a_person_answering_across_our_handoff_is_timed_from_the_question():
    talk = conversation()
    ask(talk, QUESTION, 1000, echo_ms=1000)
    ask(talk, "转人工", 61_000, echo_ms=61_000)
    (answer,) = talk.observe(shown(62_000, ANSWER))
    assert answer.kind == Kind.HUMAN, answer.reasons
    verdict = talk.finish(None)
    assert (verdict.outcome, verdict.fake_online, verdict.first_human_ms) == (Outcome.HUMAN, False, 61_000.0)


def test_only_automated_replies_to_a_widget_claiming_online():
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.observe(shown(4600, "抱歉，小助手没有理解您的意思，请换个说法试试~", bot=True))
    ask(talk, "转人工", 5000, echo_ms=5030)
    talk.observe(shown(5800, "抱歉，小助手没有理解您的意思，请换个说法试试~", bot=True))
    talk.reconcile([(Side.PLATFORM, "抱歉，小助手没有理解您的意思，请换个说法试试~")] * 2)
    verdict = talk.finish(None)
    assert (verdict.outcome, verdict.fake_online, verdict.bot_loop) == (Outcome.AUTO_ONLY, True, True)
    assert talk.probe.state == State.FINISHED and talk.probe.platform_messages == 2
    assert talk.probe.reasons[:2] == verdict.reasons[:2] and all(m.reasons for m in talk.messages[1::2])


def test_a_missing_chat_is_an_honest_offline_only_when_the_widget_said_so():
    talk = conversation()
    assert talk.missing("chat.input textarea not found in the chat") == (
        Outcome.CHAT_MISSING,
        "chat.input textarea not found in the chat",
    )
    talk.probe.claimed_status, talk.probe.claimed_status_text = Claimed.OFFLINE, "离线"
    outcome, reason = talk.missing("chat.input textarea not found in the chat")
    assert outcome == Outcome.OFFLINE_DECLARED and reason.startswith("the widget said offline (离线)")


def test_a_failure_or_an_interruption_is_the_verdict():
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4030)
    verdict = talk.finish((Outcome.PROBE_ERROR, "interrupted: the run was stopped"), interrupted=True)
    assert verdict.outcome == Outcome.PROBE_ERROR and not verdict.fake_online
    assert talk.probe.state == State.INTERRUPTED and talk.probe.reasons == ["interrupted: the run was stopped"]


def test_a_page_that_did_not_load_is_ours_when_the_control_url_fails_too():
    assert unreachable("page did not load", None, None)[0] == Outcome.UNREACHABLE
    outcome, reason = unreachable("page did not load", "https://www.baidu.com/", None)
    assert outcome == Outcome.UNREACHABLE and reason.endswith("(the control URL https://www.baidu.com/ loaded)")
    outcome, reason = unreachable("page did not load", "https://www.baidu.com/", "ConnectError")
    assert outcome == Outcome.PROBE_ERROR and "our network, not the platform" in reason


def test_claimed_status_from_the_status_text():
    chat = Chat(input="textarea")
    assert claimed_from_text("客服在线", chat) == Claimed.ONLINE
    assert claimed_from_text("客服不在线，请留言", chat) == Claimed.OFFLINE  # offline words first
    assert claimed_from_text("Online", chat) == Claimed.ONLINE
    assert claimed_from_text("联系我们", chat) == Claimed.UNKNOWN


def test_what_a_probe_saw_is_template_evidence_for_the_next():
    templates = TemplateIndex.in_memory()
    text = "您好，本店所有商品均为官方正品渠道，下单后5分钟自动发货，请认准店铺名称"
    talk = conversation(templates=templates)
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.observe(shown(30_000, text))
    talk.finish(None)
    assert counts(templates.evidence(text, "another-probe", "elsewhere")) == (1, 1)


def test_no_accusation_without_seeing_our_question():
    """A wrong chat.message: the observer sees nothing, not even our question."""
    talk = conversation()
    ask(talk, QUESTION, 4000)  # never shown among the observed messages
    ask(talk, "转人工", 64_000)
    verdict = talk.finish(None)
    assert (verdict.outcome, verdict.fake_online, verdict.bot_loop) == (Outcome.BLIND, False, False)
    assert verdict.reasons[0].startswith("blind: the probe could not see the conversation: our question never showed")
    assert "chat.message" in verdict.reasons[0]


def test_automated_replies_without_our_question_seen_are_blind_too():
    talk = conversation()
    ask(talk, QUESTION, 4000)
    talk.observe(shown(4600, "已收到您的问题，正在加急处理，请耐心等待。"))
    assert talk.finish(None).outcome == Outcome.BLIND


def test_a_human_is_no_accusation_and_needs_no_proof():
    talk = conversation()
    ask(talk, QUESTION, 4000)
    talk.observe(shown(30_000, ANSWER))
    assert talk.finish(None).outcome == Outcome.HUMAN


def test_text_on_screen_that_the_observer_missed_makes_the_probe_blind():
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.observe(shown(5000, "已收到您的问题，正在加急处理，请耐心等待。"))
    missed = talk.reconcile(
        [
            (Side.VISITOR, QUESTION),
            (Side.PLATFORM, "已收到您的问题，正在加急处理，请耐心等待。"),
            (Side.PLATFORM, " 您好，话费一般10分钟到账 \ue600"),
        ]
    )
    assert [(m.seq, m.text, m.at_ms, m.kind) for m in missed] == [(3, "您好，话费一般10分钟到账", None, None)]
    verdict = talk.finish(None)
    assert verdict.outcome == Outcome.BLIND and not verdict.fake_online
    assert "the screen shows 1 of 2 platform message(s) that the observer never reported" in talk.probe.reasons[-1]


def test_a_properly_timed_human_stands_whatever_else_the_screen_shows():
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.observe(shown(30_000, ANSWER))
    talk.reconcile([(Side.PLATFORM, ANSWER), (Side.PLATFORM, "以上回复由客服提供")])
    assert talk.finish(None).outcome == Outcome.HUMAN


def test_a_transcript_matching_the_screen_says_so():
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.observe(shown(30_000, ANSWER))
    assert talk.reconcile([(Side.VISITOR, QUESTION), (Side.PLATFORM, ANSWER)]) == []
    talk.finish(None)
    assert talk.probe.reasons[-1] == "checked against the screen at the end: 1 platform message(s), all recorded"


def test_icon_glyphs_and_zero_width_characters_are_not_text():
    talk = conversation()
    ask(talk, QUESTION + "\u200b", 4000, echo_ms=4030)  # echoed with a zero-width space: still ours
    assert talk.observe(shown(5000, "\ue601 \u200d")) == []  # an icon alone: no message
    (reply,) = talk.observe(shown(6000, "\ue601 已收到\u200b您的\ufeff问题  请稍候\u2060", sender="\ue602客服-小林"))
    assert (reply.text, reply.sender) == ("已收到您的问题 请稍候", "客服-小林")
    assert reply.raw_text == "\ue601 已收到\u200b您的\ufeff问题  请稍候\u2060"


def test_our_echo_is_known_by_its_text_even_when_the_widget_marks_it_as_theirs():
    talk = conversation()
    talk.sending(QUESTION, ORIGIN + 4000)
    talk.observe(shown(4030, QUESTION))  # a chat.visitor selector that matches nothing
    assert [(m.side, m.kind, m.seen) for m in talk.messages] == [(Side.VISITOR, Kind.QUESTION, Seen.LIVE)]


def test_a_widget_may_decorate_our_text():
    talk = conversation()
    talk.sending(QUESTION, ORIGIN + 4000)
    talk.observe(shown(4030, "我 " + QUESTION + " 已读", "visitor"))
    assert talk.probe.question_at_ms == 4030.0 and talk.messages[0].kind == Kind.QUESTION


def test_text_marked_as_ours_that_we_never_sent_forbids_any_accusation():
    """A chat.visitor selector that matches every bubble: the platform's replies look like ours."""
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4030)
    (unknown,) = talk.observe(shown(30_000, ANSWER, "visitor"))
    assert (unknown.side, unknown.kind) == (Side.VISITOR, Kind.UNKNOWN)
    verdict = talk.finish(None)
    assert (verdict.outcome, verdict.fake_online) == (Outcome.BLIND, False)
    assert "the widget marks as ours 1 message(s) we never sent" in verdict.reasons[0]


def test_no_accusation_without_the_end_of_probe_screen_check():
    """The chat could not be read at the end (or the probe had no message list): replies the
    observer missed cannot be ruled out."""
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4030)
    verdict = talk.finish(None)
    assert (verdict.outcome, verdict.fake_online) == (Outcome.BLIND, False)
    assert "never checked against the screen" in verdict.reasons[0]


def test_a_senders_name_beside_the_bubbles_is_not_a_missed_message():
    talk = conversation()
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.observe(shown(30_000, ANSWER, sender="客服-小红"))
    assert talk.reconcile([(Side.PLATFORM, "客服-小红"), (Side.PLATFORM, ANSWER)]) == []
