"""What real chat systems do that our sandbox did not, fed to the conversation core as recorded
events (no browser): our own bubble decorated or replaced by the server's copy, the chat's own
lines (agent assigned, queue, transfer, no agent on duty, times). A platform is never credited
with our words, and a notice is never a reply, never ours, never a reason to call a probe blind.
The browser side of each shape is tests/test_real_widgets.py."""

from __future__ import annotations

import pytest

from watchdog.records import Kind, Outcome, Seen, Side
from watchdog.text import our_text
from watchdog.verdicts.lines import says_no_agent, system_line

from .test_conversation import ANSWER, QUESTION, ask, conversation, shown

HANDOFF = "转人工"


@pytest.mark.parametrize(
    ("shown_text", "ours"),
    [
        ("Visitor转人工", HANDOFF),  # Live Helper Chat's server copy: the nick glued to the text
        ("我 14:05 转人工 已读", HANDOFF),
        (f"访客8823: {QUESTION}", QUESTION),
        (f"You {QUESTION} Seen", QUESTION),
        (f"{QUESTION} 昨天 09:12 已送达", QUESTION),
        ("您好，转人工请按1", None),  # a reply that quotes us is theirs
        ("转人工请按1", None),
        ("正在为您转人工", None),
    ],
)
def test_our_words_are_found_whatever_decorates_them(shown_text, ours):
    assert our_text(shown_text, [QUESTION, HANDOFF]) == ours


def test_a_row_replaced_by_the_servers_copy_is_one_message_and_never_theirs():
    """Live Helper Chat: our row drawn at once, then replaced by the server's copy with the
    "Visitor" label; in a file without chat.visitor the copy reads as the platform's. Nobody
    answers: the probe must accuse (no reply), not credit a human for our own 转人工."""
    talk = conversation(max_wait_s=120)
    ask(talk, QUESTION, 4000, echo_ms=4020)
    talk.observe(shown(4040, f"\ue104Visitor{QUESTION}"))  # the server's copy, unmarked
    talk.question_sent(100.0)
    talk.sending(HANDOFF, 64_000)
    talk.observe(shown(64_020, HANDOFF))  # the temporary row: our echo
    talk.observe(shown(64_040, "\ue104Visitor" + HANDOFF))  # ...and the copy that replaces it
    assert [(m.side, m.kind) for m in talk.messages] == [(Side.VISITOR, Kind.QUESTION), (Side.VISITOR, Kind.HANDOFF)]
    talk.reconcile([(Side.PLATFORM, f"Visitor {QUESTION}"), (Side.PLATFORM, f"Visitor{HANDOFF}")])
    probe = talk.finish(None)
    assert (probe.outcome, probe.fake_online) == (Outcome.NO_REPLY, True), probe.reasons
    assert probe.first_human_ms is None


def test_our_bubble_stores_what_we_sent_and_keeps_what_the_page_showed():
    talk = conversation()
    talk.sending(QUESTION, 4000)
    (ours,) = talk.observe(shown(4030, f"我 14:05 {QUESTION} 未读", "visitor"))
    assert (ours.text, ours.raw_text, ours.kind) == (QUESTION, f"我 14:05 {QUESTION} 未读", Kind.QUESTION)
    # marked read later: an update of our bubble, still what we sent
    assert talk.observe({"type": "update", "id": 0, "text": f"我 14:05 {QUESTION} 已读"}) == []
    assert talk.messages[0].text == QUESTION


def test_a_bubble_marked_ours_that_shows_our_words_never_blinds_the_probe():
    talk = conversation(max_wait_s=60)
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.observe(shown(9000, f"访客 {QUESTION}", "visitor"))  # redrawn with a label
    talk.reconcile([(Side.VISITOR, f"访客 {QUESTION}")])
    probe = talk.finish(None)
    assert not any(m.kind == Kind.UNKNOWN for m in talk.messages)
    assert probe.outcome == Outcome.NO_REPLY


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("客服 小美 为您服务", "agent_assigned"),
        ("Olivia has accepted the chat!", "agent_assigned"),
        ("与 客服小美 交流中", "agent_assigned"),
        ("您前面还有 3 位会员在等待", "queue"),
        ("正在转接中...", "transfer"),
        ("暂时没有客服上班", "no_agent"),
        ("14:05", "time"),
        ("昨天 09:12", "time"),
        ("2026-12-04", "time"),
        ("会话已结束", "session"),
        ("对方正在输入...", "typing"),
        ("请对我的服务做出评价", "survey"),  # 环信's satisfaction survey
        ("好的，马上为您处理", None),
        ("欢迎光临，客服在线为您服务！", None),  # a greeting claiming online: no agent named
        (ANSWER, None),
        ("3", None),
    ],
)
def test_a_line_outside_the_bubbles_is_a_notice_only_when_its_words_say_so(text, category):
    assert system_line(text, bubble=False) == category
    # a bubble about a queue, a transfer or no agent is no notice (a stalling template, an offline claim)
    as_bubble = category if category in ("time", "agent_assigned", "session", "typing", "survey") else None
    assert system_line(text, bubble=True) == as_bubble


def test_notices_are_kept_and_never_replies():
    """An agent assigned, then silence: the probe accuses (the notice is no reply), with the
    notice in the transcript as system; a time separator before our question likewise."""
    talk = conversation(max_wait_s=60)
    talk.observe(shown(800, "14:05", line=True))
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.observe(shown(4100, "客服 小美 为您服务", line=True))
    talk.observe(shown(9000, "您前面还有 3 位会员在等待", line=True))
    talk.reconcile([(Side.PLATFORM, "14:05", True), (Side.PLATFORM, "客服 小美 为您服务", True)])
    probe = talk.finish(None)
    kinds = [(m.text, m.kind) for m in talk.messages if m.side == Side.PLATFORM]
    assert kinds == [
        ("14:05", Kind.SYSTEM),
        ("客服 小美 为您服务", Kind.SYSTEM),
        ("您前面还有 3 位会员在等待", Kind.SYSTEM),
    ]
    assert (probe.outcome, probe.fake_online, probe.first_reply_ms) == (Outcome.NO_REPLY, True, None)


def test_a_notice_only_seen_at_the_end_does_not_blind_but_a_reply_does():
    talk = conversation(max_wait_s=60)
    ask(talk, QUESTION, 4000, echo_ms=4030)
    missed = talk.reconcile([(Side.PLATFORM, "正在转接中...", True)])
    assert [(m.kind, m.seen) for m in missed] == [(Kind.SYSTEM, Seen.END)]
    assert talk.finish(None).outcome == Outcome.NO_REPLY

    talk = conversation(max_wait_s=60)
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.reconcile([(Side.PLATFORM, "好的，马上为您处理", True)])  # a line that could be a reply
    assert talk.finish(None).outcome == Outcome.BLIND


def test_a_line_whose_words_say_nothing_of_itself_is_judged_like_a_reply():
    """Precision: a reply drawn unlike the bubbles (a learned shape too narrow) is no notice."""
    talk = conversation(max_wait_s=60)
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.observe(shown(30_000, ANSWER, line=True))
    probe = talk.finish(None)
    assert probe.outcome == Outcome.HUMAN


def test_no_agent_on_duty_said_after_we_asked_is_an_honest_offline_claim():
    talk = conversation(max_wait_s=60)
    ask(talk, QUESTION, 4000, echo_ms=4030)
    talk.observe(shown(5000, "暂时没有客服上班，请留言", line=True))
    probe = talk.finish(None)
    assert (probe.outcome, probe.fake_online) == (Outcome.OFFLINE_DECLARED, False)
    assert "no agent is on duty" in probe.reasons[0]
    assert says_no_agent("客服已下班") and not says_no_agent(ANSWER)


def test_a_reply_that_says_it_is_a_program_is_a_bot_and_one_that_mentions_one_is_not():
    talk = conversation(max_wait_s=60)
    ask(talk, QUESTION, 4000, echo_ms=4030)
    (bot,) = talk.observe(shown(7000, "Live Support我是智能助手，请描述您的问题。"))
    assert bot.kind == Kind.BOT and "it says it is a program" in bot.reasons[0]
    (person,) = talk.observe(shown(40_000, "这个问题智能客服回答不了，我帮您查一下，话费一般十分钟到账。"))
    assert person.kind == Kind.HUMAN
