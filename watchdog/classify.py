"""Message kinds and probe verdicts, each with the human-readable reasons behind it.

Rules (DESIGN.md section 5). A message is a `greeting` when it appeared before our first
message, a `bot` when the widget marks it or its sender is named like one, `auto` when it
came faster than a person reads and types or is a stalling template that does not address
the question, and `human` otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A person needs this long to read a question and start answering...
MIN_HUMAN_REPLY_S = 1.5
# ...and types no faster than this (Chinese with an input method, generously).
MAX_HUMAN_CHARS_PER_S = 8.0
BOT_SENDER = re.compile(r"机器人|智能|小助手|助手|自动回复|系统消息|\bAI\b|robot|\bbot\b|assistant",
                        re.IGNORECASE)
STALLING = ("已收到", "请耐心等待", "耐心等候", "正在排队", "排队中", "正在为您转接", "转接中",
            "请稍候", "请稍等", "加急处理", "稍后回复", "客服繁忙", "咨询人数较多")
# Bigrams too common to show that a reply is about the question.
COMMON_BIGRAMS = {"你好", "您好", "请问", "你们", "我们", "一下", "可以", "什么", "如果", "的话"}


@dataclass
class Kind:
    kind: str  # greeting / bot / auto / human
    confidence: float
    reasons: list[str] = field(default_factory=list)


def seconds(ms: float) -> str:
    return f"{ms / 1000:.1f} s"


def _bigrams(text: str) -> set[str]:
    han = re.findall(r"[\u4e00-\u9fff]+", text)
    return {run[i : i + 2] for run in han for i in range(len(run) - 1)} - COMMON_BIGRAMS


def on_topic(reply: str, question: str) -> bool:
    """Does the reply share at least two content bigrams with the question?"""
    return len(_bigrams(reply) & _bigrams(question)) >= 2


def classify_message(
    *,
    text: str,
    sender: str,
    dom_bot: bool,
    stamp: float,
    question_stamp: float | None,
    previous_visitor_stamp: float | None,
    question: str,
    typing_seen: bool,
    time_scale: float = 1.0,
) -> Kind:
    """Kind of one platform-side message, from what the probe saw when it arrived."""
    if question_stamp is None or stamp < question_stamp:
        return Kind("greeting", 0.95, ["appeared before our first message"])
    if dom_bot:
        return Kind("bot", 0.95, ["the widget marks it as a bot or system message (chat.bot)"])
    if sender and BOT_SENDER.search(sender):
        return Kind("bot", 0.9, [f"sender name {sender}"])
    stall = next((phrase for phrase in STALLING if phrase in text), None)
    if stall and not on_topic(text, question):
        return Kind("auto", 0.85, [f"stalling template ({stall}) that does not address the question"])
    elapsed_ms = stamp - (previous_visitor_stamp or question_stamp)
    simulated_s = elapsed_ms / 1000 / time_scale
    if simulated_s < MIN_HUMAN_REPLY_S:
        return Kind("auto", 0.8, [f"replied {seconds(elapsed_ms)} after our message with "
                                  f"{len(text)} characters"])
    if len(text) > simulated_s * MAX_HUMAN_CHARS_PER_S:
        return Kind("auto", 0.7, [f"{len(text)} characters {seconds(elapsed_ms)} after our "
                                  "message: faster than a person types"])
    reasons = [f"replied {seconds(elapsed_ms)} after our message with {len(text)} characters"]
    confidence = 0.6
    if typing_seen:
        confidence += 0.2
        reasons.append("typing indicator shown before it")
    if on_topic(text, question):
        confidence += 0.1
        reasons.append("addresses the question")
    return Kind("human", round(confidence, 2), reasons)


@dataclass
class Verdict:
    outcome: str
    fake_online: bool = False
    bot_loop: bool = False
    template_only: bool = False
    first_reply_ms: float | None = None
    first_human_ms: float | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class Observed:
    """What one platform-side message was, as the verdict needs it."""

    kind: str
    stamp: float


def decide(
    *,
    failure: tuple[str, str] | None,
    claimed_status: str,
    claimed_text: str,
    replies: list[Observed],
    question_stamp: float | None,
    handoff_stamp: float | None,
    waited: str,
) -> Verdict:
    """One outcome and the flags of a probe (DESIGN.md section 5), with reasons."""
    if failure is not None:
        outcome, reason = failure
        return Verdict(outcome, reasons=[reason])
    after_question = [r for r in replies if question_stamp is not None and r.stamp >= question_stamp]
    humans = [r for r in after_question if r.kind == "human"]
    verdict = Verdict("no_reply")
    if after_question:
        verdict.first_reply_ms = after_question[0].stamp - question_stamp
    if humans:
        verdict.outcome = "human"
        verdict.first_human_ms = humans[0].stamp - question_stamp
        verdict.reasons.append(f"a human replied {seconds(verdict.first_human_ms)} after the question")
    elif after_question:
        verdict.outcome = "auto_only"
        kinds = sorted({r.kind for r in after_question})
        verdict.reasons.append(f"only automated replies ({', '.join(kinds)}) within {waited}")
    elif claimed_status == "offline":
        verdict.outcome = "offline_declared"
        verdict.reasons.append(f"the widget said offline ({claimed_text}) and nobody replied")
    else:
        verdict.reasons.append(f"no reply within {waited}")
    if claimed_status == "online" and verdict.outcome in ("no_reply", "auto_only"):
        verdict.fake_online = True
        verdict.reasons.append(f"fake online: the widget claimed online ({claimed_text}) "
                               f"but {'nobody' if verdict.outcome == 'no_reply' else 'no human'} "
                               f"answered within {waited}")
    if handoff_stamp is not None and not humans:
        after_handoff = [r for r in after_question if r.stamp >= handoff_stamp]
        if after_handoff and all(r.kind in ("bot", "auto") for r in after_handoff):
            verdict.bot_loop = True
            verdict.reasons.append(f"bot loop: asked for a human, got {len(after_handoff)} "
                                   f"automated replies and no human within {waited}")
    if after_question and all(r.kind == "auto" for r in after_question):
        verdict.template_only = True
        verdict.reasons.append("template only: every reply was a greeting or a stalling template")
    return verdict
